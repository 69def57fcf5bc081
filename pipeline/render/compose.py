"""Frame n of the movie as a flat yuv420p buffer: shots from `sources`, transitions, title, captions.

User text is rasterised here with Pillow and blended as pixels: it never enters an ffmpeg
filtergraph, so nothing a user types (quotes, colons, backslashes, `%{`) can change the graph.
"""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from pipeline.models import Library, MediaKind
from pipeline.render.sources import (
    RGB_TO_YUV,
    ClipShot,
    PhotoShot,
    default_motion,
    frame_bytes,
    planes,
    release_free_memory,
)
from pipeline.render.timeline import FrameRef, Timeline

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
TITLE_SECONDS = 3.0
TEXT_FADE = 0.3


def find_font(bold: bool = True) -> Path | None:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    for d in FONT_DIRS:
        if (d / name).is_file():
            return d / name
    return None


class TextLayer:
    """Pre-rendered text (premultiplied RGB + alpha) for a region of the frame."""

    def __init__(self, text: str, out_w: int, out_h: int, size_frac: float, y_frac: float) -> None:
        size = max(10, round(min(out_w, out_h) * size_frac))
        path = find_font()
        font = ImageFont.truetype(str(path), size) if path else ImageFont.load_default(size)
        text = text.replace("\r", "").strip()[:300]
        # long lines wrap (about 40 characters) rather than shrinking to an unreadable size
        text = "\n".join(textwrap.fill(line, 40) or " " for line in text.split("\n")[:4])
        stroke = max(1, size // 14)
        probe = ImageDraw.Draw(Image.new("L", (1, 1)))
        left, top, right, bottom = probe.multiline_textbbox(
            (0, 0), text, font=font, stroke_width=stroke, align="center"
        )
        if right - left > out_w * 0.92 and path is not None:  # too wide: shrink to fit (one pass)
            size = max(8, int(size * out_w * 0.92 / (right - left)))
            font, stroke = ImageFont.truetype(str(path), size), max(1, size // 14)
            left, top, right, bottom = probe.multiline_textbbox(
                (0, 0), text, font=font, stroke_width=stroke, align="center"
            )
        tw, th = int(min(out_w, right - left + 4)), int(min(out_h, bottom - top + 4))
        img = Image.new("RGBA", (max(1, tw), max(1, th)), (0, 0, 0, 0))
        ImageDraw.Draw(img).multiline_text(
            (tw / 2 - (right + left) / 2, 2 - top), text, font=font, fill=(255, 255, 255, 255),
            stroke_width=stroke, stroke_fill=(0, 0, 0, 200), align="center",
        )  # fmt: skip
        # even position and size, so the chroma planes line up with luma 2:1
        pad_w, pad_h = tw + tw % 2, th + th % 2
        rgba = np.zeros((pad_h, pad_w, 4), np.uint8)
        rgba[:th, :tw] = np.asarray(img)
        yuv = cv2.transform(np.ascontiguousarray(rgba[..., :3]), RGB_TO_YUV).astype(np.float32)
        alpha = rgba[..., 3].astype(np.float32) / 255.0
        half = (pad_w // 2, pad_h // 2)
        a_c = cv2.resize(alpha, half, interpolation=cv2.INTER_AREA)
        self.layers = [
            (alpha, yuv[..., 0] * alpha),
            (a_c, cv2.resize(yuv[..., 1] * alpha, half, interpolation=cv2.INTER_AREA)),
            (a_c, cv2.resize(yuv[..., 2] * alpha, half, interpolation=cv2.INTER_AREA)),
        ]
        self.out_w, self.out_h = out_w, out_h
        self.x = ((out_w - pad_w) // 2) & ~1
        self.y = min(out_h - pad_h, max(0, round(out_h * y_frac - pad_h / 2))) & ~1

    def blend(self, frame: np.ndarray, strength: float) -> None:
        if strength <= 0:
            return
        for k, (plane, (alpha, premult)) in enumerate(
            zip(planes(frame, self.out_w, self.out_h), self.layers, strict=True)
        ):
            d = 1 if k == 0 else 2
            h, w = alpha.shape
            roi = plane[self.y // d : self.y // d + h, self.x // d : self.x // d + w]
            roi[:] = np.clip(roi * (1.0 - alpha * strength) + premult * strength + 0.5, 0, 255).astype(
                np.uint8
            )


def _fade(t: float, start: float, end: float) -> float:
    if t < start or t >= end:
        return 0.0
    return min(1.0, (t - start) / TEXT_FADE, (end - t) / TEXT_FADE)


class Compositor:
    """Builds frames in order (clip decoders read forward); holds only the shots in view."""

    def __init__(self, tl: Timeline, library: Library, out_w: int, out_h: int, ffmpeg: str) -> None:
        self.tl, self.library = tl, library
        self.w, self.h, self.ffmpeg = out_w, out_h, ffmpeg
        self.procs: list[subprocess.Popen[bytes]] = []
        self._live: dict[int, PhotoShot | ClipShot] = {}
        self._buf = [np.empty(frame_bytes(out_w, out_h), np.uint8) for _ in range(3)]
        self._texts: dict[int, TextLayer] = {}
        self._title: TextLayer | None = None
        if tl.plan.title and tl.plan.title.strip():
            self._title = TextLayer(tl.plan.title, out_w, out_h, 0.085, 0.45)
        self._dist: dict[int, np.ndarray] = {}

    # ------------------------------------------------------------------ shots
    def _shot(self, i: int, first_t: float) -> PhotoShot | ClipShot:
        src = self._live.get(i)
        if src is not None:
            return src
        shot = self.tl.shots[i]
        seg = shot.segment
        item = self.library.items.get(seg.media_id)
        if item is None:
            raise KeyError(f"segment {seg.index} uses unknown media {seg.media_id}")
        if seg.kind == MediaKind.PHOTO or item.kind == MediaKind.PHOTO:
            motion = seg.motion
            if motion is None:
                with Image.open(item.path) as im:
                    sw, sh = im.size
                motion = default_motion(sw, sh, self.w, self.h, self.library.photos.get(seg.media_id))
            src = PhotoShot(item.path, motion, self.w, self.h)
            release_free_memory()
        else:
            first_source = seg.source_start + (first_t - shot.start)
            last_source = seg.source_start + (shot.show_to - shot.start)
            src = ClipShot(
                ffmpeg=self.ffmpeg, path=item.path, start=max(0.0, first_source),
                seconds=max(1.0 / self.tl.fps, last_source - max(0.0, first_source)),
                out_w=self.w, out_h=self.h, fps=self.tl.fps,
                src_w=item.width or self.w, src_h=item.height or self.h, procs=self.procs,
            )  # fmt: skip
        self._live[i] = src
        return src

    def _draw(self, i: int, t: float, out: np.ndarray) -> np.ndarray:
        src = self._shot(i, t)
        shot = self.tl.shots[i]
        if isinstance(src, PhotoShot):
            return src.render(shot.local(t), out)
        seg = shot.segment
        end = seg.source_end if seg.source_end is not None else float("inf")
        source_t = min(seg.source_start + (t - shot.start), end - 1.0 / self.tl.fps)
        out[:] = src.frame_at(source_t)
        return out

    def _retire(self, keep: set[int]) -> None:
        for i in [k for k in self._live if k not in keep]:
            src = self._live.pop(i)
            if isinstance(src, ClipShot):
                src.close()

    # ------------------------------------------------------------------ frames
    def frame(self, n: int) -> np.ndarray:
        ref = self.tl.frame(n)
        self._retire({ref.a} | ({ref.b} if ref.b is not None else set()))
        out = self._buf[0]
        if ref.b is None:
            self._draw(ref.a, ref.t, out)
        else:
            self._transition(ref, out)
        self._overlay_text(ref, out)
        return out

    def _transition(self, ref: FrameRef, out: np.ndarray) -> None:
        assert ref.b is not None
        kind = self.tl.shots[ref.b].segment.transition_in.kind
        p = min(1.0, max(0.0, ref.p))
        a = self._draw(ref.a, ref.t, self._buf[1])
        b = self._draw(ref.b, ref.t, self._buf[2])
        if kind in ("dip_black", "dip_white"):
            src, k = (a, 1 - 2 * p) if p < 0.5 else (b, 2 * p - 1)
            luma = 16.0 if kind == "dip_black" else 235.0  # limited range black / white
            for plane_src, plane_out, level in zip(
                planes(src, self.w, self.h), planes(out, self.w, self.h), (luma, 128.0, 128.0), strict=True
            ):
                cv2.addWeighted(plane_src, k, plane_src, 0.0, level * (1 - k), dst=plane_out)
            return
        if kind in ("wipeleft", "wiperight", "slideleft", "slideup", "circleopen"):
            for d, (pa, pb, po) in enumerate(
                zip(
                    planes(a, self.w, self.h),
                    planes(b, self.w, self.h),
                    planes(out, self.w, self.h),
                    strict=True,
                )
            ):
                self._geometric(kind, p, pa, pb, po, 1 if d == 0 else 2)
            return
        cv2.addWeighted(a, 1 - p, b, p, 0.0, dst=out)  # crossfade (and anything unknown)

    def _geometric(self, kind: str, p: float, a: np.ndarray, b: np.ndarray, out: np.ndarray, d: int) -> None:
        h, w = a.shape
        if kind == "wipeleft":  # the new shot is revealed from the right edge leftwards
            x = round(w * (1 - p))
            out[:, :x] = a[:, :x]
            out[:, x:] = b[:, x:]
        elif kind == "wiperight":
            x = round(w * p)
            out[:, :x] = b[:, :x]
            out[:, x:] = a[:, x:]
        elif kind == "slideleft":  # both move left: the old one out, the new one in
            x = round(w * p)
            out[:, : w - x] = a[:, x:]
            out[:, w - x :] = b[:, :x]
        elif kind == "slideup":
            y = round(h * p)
            out[: h - y] = a[y:]
            out[h - y :] = b[:y]
        else:  # circleopen
            dist = self._dist.get(d)
            if dist is None:
                yy, xx = np.mgrid[0:h, 0:w]
                dist = self._dist[d] = np.hypot(xx - w / 2, yy - h / 2).astype(np.float32)
            out[:] = a
            np.copyto(out, b, where=dist <= p * float(np.hypot(w / 2, h / 2)))

    def _overlay_text(self, ref: FrameRef, out: np.ndarray) -> None:
        t = ref.t
        if self._title is not None:
            first = self.tl.shots[0]
            self._title.blend(out, _fade(t, 0.0, min(TITLE_SECONDS, first.end)))
        for i in {ref.a, ref.b} - {None}:
            assert i is not None
            shot = self.tl.shots[i]
            caption = shot.segment.caption
            if not caption or not caption.strip():
                continue
            strength = _fade(t, shot.start, shot.end)
            if strength <= 0:
                continue
            layer = self._texts.get(i)
            if layer is None:
                layer = self._texts[i] = TextLayer(caption, self.w, self.h, 0.05, 0.87)
                if len(self._texts) > 4:  # captions of passed shots are not needed again
                    self._texts.pop(min(self._texts))
            layer.blend(out, strength)

    def close(self) -> None:
        self._retire(set())  # clip decoders only: `procs` may be shared with the encoder
