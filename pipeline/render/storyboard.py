"""A storyboard picture of a plan: what a chat shows before (and while) the movie renders.

Top: one thumbnail per shot in order (framed as the movie frames it: the Ken Burns start box),
with its number, length and story beat. Bottom: the song's energy as a waveform-like band over
the movie's time, beat ticks, and the cut points (solid = hard cut, dashed = transition), each
linked to its thumbnail.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from pipeline.models import Box, EditPlan, Library, MediaKind, Segment
from pipeline.settings import PipelineSettings

log = logging.getLogger(__name__)

THUMB_LONG = 176  # px, the thumbnail's long side
MARGIN = 24
GAP = 12
MIN_CELL = 128  # room for the labels under a narrow (9:16) thumbnail
MAX_PER_ROW = 20  # then wrap: chats refuse photos wider than ~20:1 (Telegram) or 10000 px
WAVE_H = 150
BG = (24, 24, 28)
FG = (235, 235, 240)
DIM = (150, 150, 160)
BEAT_COLOURS = {
    "opening": (92, 170, 255),
    "build": (120, 200, 120),
    "peak": (255, 120, 80),
    "resolution": (190, 140, 255),
}
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")


def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = FONT_DIR / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")
    try:
        return ImageFont.truetype(str(path), size)
    except OSError:
        return ImageFont.load_default()


def thumb_size(aspect: str) -> tuple[int, int]:
    w, h = (int(x) for x in aspect.split(":"))
    if w >= h:
        return THUMB_LONG, round(THUMB_LONG * h / w)
    return round(THUMB_LONG * w / h), THUMB_LONG


def _crop(img: Image.Image, box: Box | None, size: tuple[int, int]) -> Image.Image:
    """The box (normalised, may reach outside the image) at `size`, outside filled with a
    blurred, darkened copy — as the renderer fills it."""
    img = img.convert("RGB")
    if box is None:  # centre cover crop
        iw, ih = img.size
        s, a = iw / ih, size[0] / size[1]
        bw = min(1.0, a / s)
        bh = bw * s / a
        box = Box(x=0.5 - bw / 2, y=0.5 - bh / 2, w=bw, h=bh)
    iw, ih = img.size
    px = (box.x * iw, box.y * ih, (box.x + box.w) * iw, (box.y + box.h) * ih)
    inside = px[0] >= -0.5 and px[1] >= -0.5 and px[2] <= iw + 0.5 and px[3] <= ih + 0.5
    if inside:
        return img.resize(size, Image.Resampling.BILINEAR, box=tuple(max(0.0, v) for v in px))  # type: ignore[arg-type]
    fill = img.resize(size, Image.Resampling.BILINEAR).filter(ImageFilter.GaussianBlur(6))
    fill = Image.eval(fill, lambda v: int(v * 0.55))
    sx, sy = size[0] / (px[2] - px[0]), size[1] / (px[3] - px[1])
    pw, ph = max(1, round(iw * sx)), max(1, round(ih * sy))
    fill.paste(img.resize((pw, ph), Image.Resampling.BILINEAR), (round(-px[0] * sx), round(-px[1] * sy)))
    return fill


def _open_photo(path: Path, size: tuple[int, int]) -> Image.Image:
    with Image.open(path) as img:
        img.draft("RGB", (size[0] * 3, size[1] * 3))  # JPEG: decode at a fraction of full size
        return img.convert("RGB")


def _video_frame(path: Path, at: float, rotation: int) -> Image.Image:
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        if stream.time_base is not None and at > 0:
            container.seek(int(at / stream.time_base), stream=stream, backward=True)
        frame_img = None
        for frame in container.decode(stream):
            frame_img = frame.to_image()
            if frame.time is None or frame.time >= at - 0.05:
                break
    if frame_img is None:
        raise ValueError("no video frames")
    return frame_img.rotate(-rotation, expand=True) if rotation else frame_img


def _placeholder(size: tuple[int, int], text: str) -> Image.Image:
    img = Image.new("RGB", size, (60, 60, 68))
    d = ImageDraw.Draw(img)
    d.text((6, size[1] // 2 - 6), text[:22], fill=DIM, font=_font(11))
    return img


def _thumbnail(seg: Segment, library: Library, size: tuple[int, int]) -> Image.Image:
    item = library.items.get(seg.media_id)
    if item is None:
        return _placeholder(size, "unknown media")
    box = seg.motion.start if seg.motion else None
    try:
        if item.kind == MediaKind.VIDEO:
            end = seg.source_end if seg.source_end is not None else seg.source_start + seg.duration
            frame = _video_frame(item.path, (seg.source_start + end) / 2, item.rotation)
        else:
            frame = _open_photo(item.path, size)
        return _crop(frame, box, size)
    except Exception as exc:  # a missing or unreadable file must not sink the picture
        log.warning("storyboard: no thumbnail for %s: %s", item.original_name, exc)
        return _placeholder(size, item.original_name)


def draw_storyboard(plan: EditPlan, library: Library) -> Image.Image:
    tw, th = thumb_size(plan.aspect)
    cell = max(tw, MIN_CELL) + GAP
    n = len(plan.segments)
    per_row = max(1, min(n, MAX_PER_ROW))
    rows = -(-n // per_row) if n else 1
    width = max(720, 2 * MARGIN + per_row * cell - GAP)
    head = 46
    labels = 44
    row_h = th + labels + 8
    link = 40
    footer = 22 if plan.left_out else 0
    height = head + rows * row_h - 8 + link + WAVE_H + 40 + footer
    img = Image.new("RGB", (width, height), BG)
    d = ImageDraw.Draw(img)
    small, normal, bold = _font(11), _font(13), _font(16, bold=True)

    song = library.items.get(plan.music.media_id) if plan.music else None
    title = f"{plan.title + ' — ' if plan.title else ''}{n} shots, {plan.duration:.1f} s, {plan.aspect}"
    d.text((MARGIN, 14), title, fill=FG, font=bold)
    d.text(
        (MARGIN + 8 + d.textlength(title, font=bold), 17),
        f"music: {song.original_name if song else 'none'}",
        fill=DIM,
        font=normal,
    )

    # timeline geometry
    wave_top = head + rows * row_h - 8 + link
    x0, x1 = MARGIN, width - MARGIN
    total = max(plan.duration, 1e-6)

    def tx(t: float) -> float:
        return x0 + (x1 - x0) * min(max(t / total, 0.0), 1.0)

    for i, seg in enumerate(plan.segments):
        row, col = divmod(i, per_row)
        top = head + row * row_h
        cx = MARGIN + col * cell + (cell - GAP) // 2
        left = cx - tw // 2
        img.paste(_thumbnail(seg, library, (tw, th)), (left, top))
        colour = BEAT_COLOURS.get(seg.story_beat, FG)
        d.rectangle((left, top + th, left + tw - 1, top + th + 3), fill=colour)
        d.text((cx, top + th + 8), f"#{i + 1}  {seg.duration:.1f} s", fill=FG, font=normal, anchor="ma")
        d.text((cx, top + th + 25), seg.story_beat, fill=colour, font=small, anchor="ma")
        if rows == 1:  # link the thumbnail to its shot on the timeline (lines would cross rows)
            d.line(
                (cx, top + th + labels, tx(seg.timeline_start + seg.duration / 2), wave_top),
                fill=(80, 80, 92),
                width=1,
            )

    _draw_music(d, plan, library, wave_top, x0, x1, tx)
    for k, seg in enumerate(plan.segments):
        d.rectangle((tx(seg.timeline_start), wave_top + WAVE_H + 4, tx(seg.timeline_start + seg.duration) - 1, wave_top + WAVE_H + 10),
                    fill=BEAT_COLOURS.get(seg.story_beat, FG) if k % 2 == 0 else tuple(int(c * 0.7) for c in BEAT_COLOURS.get(seg.story_beat, FG)))  # fmt: skip
        if k == 0:
            continue
        x = tx(seg.timeline_start)
        hard = seg.transition_in.kind == "cut"
        if hard:
            d.line((x, wave_top, x, wave_top + WAVE_H), fill=(255, 255, 255), width=2)
        else:
            for y in range(wave_top, wave_top + WAVE_H, 8):
                d.line((x, y, x, y + 4), fill=(140, 200, 255), width=2)
    for t in range(0, int(total) + 1, 5 if total <= 60 else 10):
        d.text((tx(t), wave_top + WAVE_H + 14), f"{t}s", fill=DIM, font=small, anchor="ma")
    if plan.left_out:
        d.text(
            (MARGIN, height - footer - 2),
            _left_out_line(plan, library, d, small, width - 2 * MARGIN),
            fill=DIM,
            font=small,
        )
    return img


def _left_out_line(
    plan: EditPlan,
    library: Library,
    d: ImageDraw.ImageDraw,
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
    room: float,
) -> str:
    """'left out: d08 (blurry), d07 (near-duplicate of d06…), …' cut to the picture's width."""
    parts = []
    for lo in plan.left_out:
        item = library.items.get(lo.media_id)
        parts.append(f"{item.original_name if item else lo.media_id} ({lo.reason})")
    text = "left out: " + ", ".join(parts)
    while len(text) > 12 and d.textlength(text, font=font) > room:
        text = text[: int(len(text) * 0.9)].rstrip(", ") + "…"
    return text


def _draw_music(
    d: ImageDraw.ImageDraw,
    plan: EditPlan,
    library: Library,
    top: int,
    x0: int,
    x1: int,
    tx: Callable[[float], float],
) -> None:
    d.rectangle((x0, top, x1, top + WAVE_H), fill=(34, 34, 40))
    mid = top + WAVE_H / 2
    song = library.music.get(plan.music.media_id) if plan.music else None
    if song is None:
        d.text(((x0 + x1) / 2, mid), "no music", fill=DIM, font=_font(13), anchor="mm")
        return
    off = plan.music.source_start if plan.music else 0.0
    for s in song.sections:  # section bands behind the energy
        a, b = s.start - off, s.end - off
        if b > 0 and a < plan.duration:
            shade = 40 + int(40 * s.energy)
            d.rectangle((tx(a), top, tx(b), top + WAVE_H), fill=(shade, shade - 4, shade + 8))
            d.text((tx(max(a, 0.0)) + 4, top + 3), s.label, fill=DIM, font=_font(10))
    if song.energy:
        hop = song.energy_hop or 0.5
        pts_top, pts_bottom = [], []
        steps = max(2, int(x1 - x0) // 2)
        for k in range(steps + 1):
            t = plan.duration * k / steps
            i = min(len(song.energy) - 1, max(0, int((t + off) / hop)))
            amp = (WAVE_H / 2 - 12) * max(0.03, song.energy[i])
            pts_top.append((tx(t), mid - amp))
            pts_bottom.append((tx(t), mid + amp))
        d.polygon(pts_top + pts_bottom[::-1], fill=(70, 150, 140))
    for b in song.beats:
        t = b - off
        if 0 <= t <= plan.duration:
            d.line((tx(t), top + WAVE_H - 9, tx(t), top + WAVE_H - 1), fill=(230, 200, 90), width=1)


async def render_storyboard(
    plan: EditPlan, library: Library, output: Path, settings: PipelineSettings
) -> Path:
    """Write the storyboard PNG to `output` and return its path."""

    def work() -> Path:
        img = draw_storyboard(plan, library)
        output.parent.mkdir(parents=True, exist_ok=True)
        img.save(output, format="PNG", optimize=False)
        return output

    return await asyncio.to_thread(work)
