"""Picture quality: colour as a player decodes it, and Ken Burns motion without jitter."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from PIL import Image

from pipeline.models import Box, EditPlan, MediaKind, Motion, PhotoAnalysis, RenderSpec, Segment
from pipeline.render import render_movie, sources
from pipeline.render.sources import PhotoShot, default_motion, frame_bytes, planes
from pipeline.settings import PipelineSettings
from tests.conftest import TinyMedia
from tests.unit.pipeline.render.conftest import library_of, media_item

PATCHES = [
    (200, 40, 40),
    (40, 180, 60),
    (40, 60, 200),
    (230, 230, 230),
    (20, 20, 20),
    (128, 128, 128),
    (240, 200, 40),
    (60, 200, 220),
]


def player_rgb(frame: av.VideoFrame) -> np.ndarray:
    """Decode as a player does: honour the stream's matrix and range tags."""
    return frame.to_ndarray(
        format="rgb24", src_colorspace=frame.colorspace, src_color_range=frame.color_range
    )


async def test_colour_patches_survive_within_3_of_255(
    tiny_media: TinyMedia, tiny_spec: Callable[..., RenderSpec], pipeline_settings: PipelineSettings
) -> None:
    img = np.zeros((180, 320, 3), np.uint8)
    for k, colour in enumerate(PATCHES):
        x, y = (k % 4) * 80, (k // 4) * 90
        img[y : y + 90, x : x + 80] = colour
    path = tiny_media.root / "patches.png"
    Image.fromarray(img).save(path)
    item = media_item(path, MediaKind.PHOTO)
    still = Motion(start=Box(x=0, y=0, w=1, h=1), end=Box(x=0, y=0, w=1, h=1))
    plan = EditPlan(
        duration=1.0, aspect="16:9",
        segments=(Segment(index=0, media_id=item.id, kind=MediaKind.PHOTO, timeline_start=0, duration=1.0, motion=still),),
    )  # fmt: skip
    result = await render_movie(plan, library_of(item), tiny_spec(crf=16), pipeline_settings)
    with av.open(str(result.path)) as box:
        frame = player_rgb(next(box.decode(video=0))).astype(int)
    worst = 0
    for k, colour in enumerate(PATCHES):
        x, y = (k % 4) * 80, (k // 4) * 90
        inner = frame[y + 20 : y + 70, x + 20 : x + 60].reshape(-1, 3)
        worst = max(worst, int(np.abs(np.median(inner, axis=0) - np.array(colour)).max()))
    assert worst <= 3, f"colour error {worst}/255"


def measured_shift(a: np.ndarray, b: np.ndarray) -> float:
    """Horizontal shift of b against a (Lucas-Kanade on a smooth texture: accurate to ~0.01 px
    for sub-pixel shifts, unlike phase correlation's integer-biased peak)."""
    ga, gb = (x.astype(np.float64)[8:-8, 8:-8] for x in (a, b))
    gx = np.gradient((ga + gb) / 2, axis=1)
    return float(-(gx * (gb - ga)).sum() / (gx * gx).sum())


def test_pan_moves_smoothly_at_sub_pixel_steps(tiny_media: TinyMedia) -> None:
    """A slow linear pan of 0.37 px per frame: every frame-to-frame step is within 0.05 px of the
    even pace (zoompan steps whole pixels, 0 or 1: ~0.5 px off every frame, visible judder)."""
    rng = np.random.default_rng(7)
    texture = cv2.GaussianBlur(rng.integers(0, 255, (400, 1200, 3)).astype(np.uint8), (0, 0), 3)
    src = tiny_media.root / "wide.png"
    Image.fromarray(cv2.normalize(texture, None, 0, 255, cv2.NORM_MINMAX)).save(src)
    w, h = 320, 180
    frames_n = 40
    box_w = 0.5
    box_h = box_w * 1200 / 400 * h / w
    travel = (
        0.37 * frames_n / (w / (box_w * 1200)) / 1200
    )  # normalised source travel for 0.37 output px/frame
    motion = Motion(
        start=Box(x=0.1, y=0.2, w=box_w, h=box_h),
        end=Box(x=0.1 + travel, y=0.2, w=box_w, h=box_h),
        easing="linear",
    )
    shot = PhotoShot(Path(src), motion, w, h)
    out = [
        planes(shot.render(k / frames_n, np.empty(frame_bytes(w, h), np.uint8)), w, h)[0].copy()
        for k in range(frames_n + 1)
    ]
    steps = [measured_shift(out[k + 1], out[k]) for k in range(frames_n)]
    mean = float(np.mean(steps))
    assert abs(mean - 0.37) < 0.06, steps  # it moves as planned...
    assert max(abs(s - mean) for s in steps) < 0.05, steps  # ...at an even pace (zoompan: ~0.5 px off)


def test_default_framing_keeps_faces_in_a_vertical_frame() -> None:
    """No motion in the plan: the renderer's own push-in keeps every face inside 9:16, start to end."""
    faces = (Box(x=0.05, y=0.3, w=0.1, h=0.15), Box(x=0.22, y=0.35, w=0.1, h=0.15))
    analysis = PhotoAnalysis(
        media_id="x", width=1000, height=1300, sharpness=1, brightness=0.5, exposure=1, colourfulness=1, faces=faces,
        salient=Box(x=0.6, y=0.4, w=0.2, h=0.2),
    )  # fmt: skip
    motion = default_motion(1000, 1300, 1080, 1920, analysis)
    assert motion.start.w < 1 and motion.end.w < motion.start.w  # a real crop and a push-in
    for box in (motion.start, motion.end):
        assert abs(box.w * 1000 / (box.h * 1300) - 1080 / 1920) < 1e-6
        for f in faces:
            assert box.x <= f.x and f.x + f.w <= box.x + box.w
            assert box.y <= f.y and f.y + f.h <= box.y + box.h


@pytest.mark.parametrize("compiled", [True, False], ids=["c-extension", "opencv-fallback"])
def test_scale_and_shift_matches_an_exact_float_warp(compiled: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both warps a Ken Burns frame can take (the C extension, or OpenCV without a compiler) land
    within 1/255 of an exact float bilinear warp, edges repeated, for zooms in and out, tiny and
    one-pixel sources, and views into a yuv420p frame buffer."""
    if compiled and sources.c_resample is None:
        pytest.fail("the C extension was not built: pip install -e . needs a C compiler")
    if not compiled:
        monkeypatch.setattr(sources, "c_resample", None)
    rng = np.random.default_rng(11)
    for sh, sw, dh, dw in [
        (300, 500, 180, 320),
        (90, 160, 180, 320),
        (1, 1, 4, 6),
        (1, 7, 3, 5),
        (9, 1, 5, 3),
    ]:
        src = cv2.GaussianBlur(rng.integers(0, 255, (sh, sw)).astype(np.uint8), (0, 0), 1.0)
        for _ in range(8):
            a = rng.uniform(0.3, 2.0)
            m = np.array(
                [
                    [a, 0.0, rng.uniform(-20, sw / 2)],
                    [0.0, a * rng.uniform(0.9, 1.1), rng.uniform(-20, sh / 2)],
                ]
            )
            dst = planes(np.zeros(frame_bytes(dw, dh), np.uint8), dw, dh)[0]  # a view, as in a render
            sources.warp_plane(src, m, dst)
            exact = cv2.warpAffine(
                src.astype(np.float32), m, (dw, dh),
                flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE,
            )  # fmt: skip
            assert float(np.abs(dst - exact).max()) <= 1.0, (sh, sw, dh, dw, m)
