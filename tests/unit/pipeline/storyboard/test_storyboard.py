"""The storyboard PNG: one thumbnail per shot, in order, over the song's energy and the cuts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from pipeline.models import EditPlan, Library, MediaKind, PlanRequest
from pipeline.planning import plan_edit
from pipeline.render.storyboard import BG, GAP, MARGIN, MAX_PER_ROW, MIN_CELL, render_storyboard, thumb_size
from pipeline.settings import PipelineSettings
from tests.unit.pipeline.planning.synth import make_library


def _cells(png: Path, plan: EditPlan) -> list[np.ndarray]:
    with Image.open(png) as img:
        arr = np.asarray(img.convert("RGB")).astype(int)
    tw, th = thumb_size(plan.aspect)
    cell = max(tw, MIN_CELL) + GAP
    out = []
    for i in range(len(plan.segments)):
        row, col = divmod(i, MAX_PER_ROW)
        top = 46 + row * (th + 52)
        cx = MARGIN + col * cell + (cell - GAP) // 2
        out.append(arr[top : top + th, cx - tw // 2 : cx + tw // 2])
    return out


async def test_png_has_one_thumbnail_per_shot_and_grows_with_shot_count(
    tmp_path: Path, pipeline_settings: PipelineSettings
) -> None:
    lib = make_library(tmp_path / "media", write_files=True, videos=0, n_photos=24)
    short = await plan_edit(PlanRequest(duration=20), lib)
    long = await plan_edit(PlanRequest(duration=60), lib)
    sizes = []
    for plan, name in ((short, "short.png"), (long, "long.png")):
        out = await render_storyboard(plan, lib, tmp_path / "boards" / name, pipeline_settings)
        assert out.is_file() and out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        with Image.open(out) as img:
            sizes.append(img.size)
        cells = _cells(out, plan)
        assert len(cells) == len(plan.segments)
        for c in cells:  # every thumbnail is a picture, not background or a flat placeholder
            assert c.std() > 20 and np.abs(c - np.array(BG)).mean() > 30
        # consecutive thumbnails differ (different photos, in order)
        for a, b in zip(cells, cells[1:], strict=False):
            assert np.abs(a - b).mean() > 5
    assert len(long.segments) > len(short.segments)
    assert sizes[1][0] > sizes[0][0]
    assert sizes[0][1] <= sizes[1][1]


async def test_vertical_plan_and_a_real_clip_frame(
    tmp_path: Path, tiny_media, pipeline_settings: PipelineSettings
) -> None:
    lib = make_library(
        tmp_path / "media", write_files=True, videos=1, n_photos=4, blurry=0, dark=0, dup_pair=False
    )
    clip = tiny_media.clip("v0_clip.mp4", seconds=8.0)
    video_id = next(m for m, it in lib.items.items() if it.kind == MediaKind.VIDEO)
    items = {**lib.items, video_id: lib.items[video_id].model_copy(update={"path": clip})}
    lib = lib.model_copy(update={"items": items})
    plan = await plan_edit(PlanRequest(duration=15, aspect="9:16"), lib)
    out = await render_storyboard(plan, lib, tmp_path / "v.png", pipeline_settings)
    tw, th = thumb_size("9:16")
    assert th > tw
    video_cell = next(
        c for c, s in zip(_cells(out, plan), plan.segments, strict=True) if s.kind == MediaKind.VIDEO
    )
    assert video_cell.std() > 20  # a decoded testsrc2 frame, not a placeholder


async def test_missing_files_and_no_music_still_make_a_picture(
    tmp_path: Path, pipeline_settings: PipelineSettings
) -> None:
    lib: Library = make_library(tmp_path / "nowhere", music=False, n_photos=3)
    plan = await plan_edit(PlanRequest(duration=10), lib)
    out = await render_storyboard(plan, lib, tmp_path / "x.png", pipeline_settings)
    with Image.open(out) as img:
        assert img.size[0] >= 720 and img.size[1] > 300


async def test_many_shots_wrap_into_rows_a_chat_accepts(
    tmp_path: Path, pipeline_settings: PipelineSettings
) -> None:
    lib = make_library(tmp_path / "media", write_files=True, videos=0, n_photos=60)
    plan = await plan_edit(PlanRequest(duration=90, mood="energetic"), lib)
    assert len(plan.segments) > 2 * MAX_PER_ROW
    out = await render_storyboard(plan, lib, tmp_path / "many.png", pipeline_settings)
    with Image.open(out) as img:
        w, h = img.size
    assert w / h <= 20 and w + h <= 10000  # Telegram's sendPhoto limits
    cells = _cells(out, plan)
    assert all(c.std() > 20 for c in cells)  # every shot drawn, the last rows too


async def test_left_out_media_are_listed_under_the_timeline(
    tmp_path: Path, pipeline_settings: PipelineSettings
) -> None:
    lib = make_library(tmp_path / "media", write_files=True, videos=0, n_photos=4)
    plan = await plan_edit(PlanRequest(duration=12), lib)
    assert plan.left_out
    with_list = await render_storyboard(plan, lib, tmp_path / "a.png", pipeline_settings)
    without = await render_storyboard(
        plan.model_copy(update={"left_out": ()}), lib, tmp_path / "b.png", pipeline_settings
    )
    with Image.open(with_list) as a, Image.open(without) as b:
        assert a.size[1] > b.size[1]
        footer = np.asarray(a.convert("L"))[b.size[1] :, :]
        assert footer.max() > 100  # text drawn there
