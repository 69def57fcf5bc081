"""Pictures for one shot at output size: photos warped at sub-pixel precision, clips decoded by ffmpeg.

Photos are decoded once per shot into a canvas that already holds the blurred, darkened fill
wherever a Ken Burns box reaches outside the photo, converted once to BT.709 limited-range
YUV 4:2:0, so every frame is one scale-and-shift per plane (bilinear at 1/128 px: no whole-pixel
steps, no bars) and the encoder gets yuv420p it needs no conversion for (half the bytes of RGB,
no per-frame colour conversion anywhere). Clips are decoded, rotated, trimmed, resampled to the
output rate, fitted and converted to the same YUV by an ffmpeg child.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import io
import math
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast

import cv2
import numpy as np
from PIL import Image

from pipeline.models import Box, Motion, PhotoAnalysis
from pipeline.render.ffmpeg import widen_pipe

try:  # a C scale-and-shift, about 4x cheaper than OpenCV's general affine warp (setup.py)
    from pipeline.render._resample import resample as c_resample
except ImportError:  # installed without a C compiler: OpenCV does the same, slower
    c_resample = None  # type: ignore[assignment]

# Far from the output's aspect (a portrait in 16:9): show all of it over a blurred fill, because
# covering the frame would throw away more than this share of the picture.
MAX_COVER_LOSS = 0.45
DEFAULT_ZOOM = 1.08
FACE_MARGIN = 0.03
FILL_DARKEN = 0.55


def ease(u: float, kind: str) -> float:
    if kind == "linear":
        return u
    return u * u * (3 - 2 * u)  # smoothstep: starts and ends at rest


def lerp_box(a: Box, b: Box, u: float) -> tuple[float, float, float, float]:
    return (a.x + (b.x - a.x) * u, a.y + (b.y - a.y) * u, a.w + (b.w - a.w) * u, a.h + (b.h - a.h) * u)


def default_motion(src_w: int, src_h: int, out_w: int, out_h: int, analysis: PhotoAnalysis | None) -> Motion:
    """A gentle push-in toward the interesting part, used when the plan gives no motion."""
    out_aspect = out_w / out_h
    src_aspect = src_w / src_h
    # box size (normalised) that covers the frame with the output's pixel aspect
    if src_aspect >= out_aspect:
        h = 1.0
        w = out_aspect / src_aspect
    else:
        w = 1.0
        h = src_aspect / out_aspect
    if 1 - w * h > MAX_COVER_LOSS:  # fit the whole photo instead; the rest is blurred fill
        scale = 1 / min(w, h)
        w, h = w * scale, h * scale
    cx, cy = 0.5, 0.5
    target = analysis.salient if analysis and analysis.salient else None
    if target is not None:
        cx, cy = target.x + target.w / 2, target.y + target.h / 2
    faces = analysis.faces if analysis else ()
    if faces:  # every face, with a margin, must stay in the frame for the whole move
        fx0 = min(f.x for f in faces) - FACE_MARGIN
        fy0 = min(f.y for f in faces) - FACE_MARGIN
        fx1 = max(f.x + f.w for f in faces) + FACE_MARGIN
        fy1 = max(f.y + f.h for f in faces) + FACE_MARGIN
        cx, cy = (fx0 + fx1) / 2, (fy0 + fy1) / 2

    def box_at(zoom: float) -> Box:
        bw, bh = w / zoom, h / zoom
        x = min(max(cx - bw / 2, min(0.0, 1 - bw)), max(0.0, 1 - bw))
        y = min(max(cy - bh / 2, min(0.0, 1 - bh)), max(0.0, 1 - bh))
        if faces:  # slide (within the photo) until the faces are inside
            x = min(max(x, fx1 - bw), fx0) if bw >= fx1 - fx0 else x
            y = min(max(y, fy1 - bh), fy0) if bh >= fy1 - fy0 else y
            x = min(max(x, min(0.0, 1 - bw)), max(0.0, 1 - bw))
            y = min(max(y, min(0.0, 1 - bh)), max(0.0, 1 - bh))
        if bw > 1:
            x = (1 - bw) / 2
        if bh > 1:
            y = (1 - bh) / 2
        return Box(x=x, y=y, w=bw, h=bh)

    zoom = DEFAULT_ZOOM
    if faces:  # don't push in past the faces
        zoom = max(1.0, min(zoom, w / max(1e-3, fx1 - fx0), h / max(1e-3, fy1 - fy0)))
    return Motion(start=box_at(1.0), end=box_at(zoom))


def load_rgb(path: Path, max_side: int | None = None) -> np.ndarray:
    with Image.open(path) as img:
        if max_side and max(img.size) > max_side:
            img.draft("RGB", (max_side, max_side))  # JPEG: decode at a reduced scale directly
        return np.asarray(img.convert("RGB"))


class PhotoShot:
    """A photo prepared for one shot's motion: a canvas plus box -> affine matrix."""

    def __init__(self, path: Path, motion: Motion, out_w: int, out_h: int, keep_rgb: bool = False) -> None:
        self.motion = motion
        self.out_w, self.out_h = out_w, out_h
        boxes = (motion.start, motion.end)
        # extent (normalised) the warp can reach: the photo plus both boxes
        x0 = min(0.0, *(b.x for b in boxes))
        y0 = min(0.0, *(b.y for b in boxes))
        x1 = max(1.0, *(b.x + b.w for b in boxes))
        y1 = max(1.0, *(b.y + b.h for b in boxes))
        min_w = max(1e-3, min(b.w for b in boxes))
        # working scale: the tightest box maps about 1:1 onto the output (never upscale the photo)
        with Image.open(path) as probe:
            src_w, src_h = probe.size
        need = out_w / (min_w * src_w)
        s = min(1.0, need)
        rgb = load_rgb(path, max_side=math.ceil(max(src_w, src_h) * s) + 2)
        pw, ph = max(1, round(src_w * s)), max(1, round(src_h * s))
        if (pw, ph) != (rgb.shape[1], rgb.shape[0]):
            rgb = cv2.resize(rgb, (pw, ph), interpolation=cv2.INTER_AREA)
        self.px_w, self.px_h = pw, ph  # photo size in canvas pixels
        outside = x0 < -1e-3 or y0 < -1e-3 or x1 > 1 + 1e-3 or y1 > 1 + 1e-3
        if outside:
            ox, oy = math.ceil(-x0 * pw) + 2, math.ceil(-y0 * ph) + 2
            cw, ch = ox + math.ceil(x1 * pw) + 2, oy + math.ceil(y1 * ph) + 2
            canvas = _blurred_fill(rgb, cw, ch)
            canvas[oy : oy + ph, ox : ox + pw] = rgb
            self.off_x, self.off_y = float(ox), float(oy)
        else:
            canvas = np.ascontiguousarray(rgb)
            self.off_x = self.off_y = 0.0
        self.canvas = canvas if keep_rgb else None  # the benchmark's ideal render needs it
        self.y, self.u, self.v = rgb_to_yuv_planes(canvas)

    def matrix(self, u: float) -> np.ndarray:
        """Inverse map (output pixel -> canvas pixel) for progress u in 0..1, pixel-centre exact."""
        x, y, w, h = lerp_box(self.motion.start, self.motion.end, ease(u, self.motion.easing))
        ax = w * self.px_w / self.out_w
        ay = h * self.px_h / self.out_h
        cx = self.off_x + x * self.px_w + 0.5 * ax - 0.5
        cy = self.off_y + y * self.px_h + 0.5 * ay - 0.5
        return np.array([[ax, 0.0, cx], [0.0, ay, cy]], dtype=np.float64)

    def render(self, u: float, out: np.ndarray) -> np.ndarray:
        """Warp into `out`, a flat yuv420p frame buffer of the output size."""
        m = self.matrix(u)
        # chroma: output sample (i, j) sits at luma (2i, 2j + 0.5) (MPEG-2 siting); canvas chroma
        # samples are 2x2 averages centred at luma (2i + 0.5, 2j + 0.5)
        ax, cx, ay, cy = m[0, 0], m[0, 2], m[1, 1], m[1, 2]
        mc = np.array([[ax, 0.0, (cx - 0.5) / 2], [0.0, ay, (0.5 * ay + cy - 0.5) / 2]], dtype=np.float64)
        y, u_, v = planes(out, self.out_w, self.out_h)
        warp_plane(self.y, m, y)
        warp_plane(self.u, mc, u_)
        warp_plane(self.v, mc, v)
        return out


def warp_plane(src: np.ndarray, m: np.ndarray, dst: np.ndarray) -> None:
    """dst(x, y) = src(m00 x + m02, m11 y + m12): bilinear, sub-pixel, edge pixels repeated."""
    if c_resample is not None:
        h, w = src.shape
        dh, dw = dst.shape
        c_resample(src, w, h, src.strides[0], dst, dw, dh, dst.strides[0], m[0, 0], m[0, 2], m[1, 1], m[1, 2])
        return
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    cv2.warpAffine(
        src, m, (dst.shape[1], dst.shape[0]), dst=dst, flags=flags, borderMode=cv2.BORDER_REPLICATE
    )


# BT.709 limited range ("tv"): what the encoder is told the pixels are
RGB_TO_YUV = np.array(
    [
        [0.2126 * 219 / 255, 0.7152 * 219 / 255, 0.0722 * 219 / 255, 16.0],
        [-0.2126 / 1.8556 * 224 / 255, -0.7152 / 1.8556 * 224 / 255, 0.5 * 224 / 255, 128.0],
        [0.5 * 224 / 255, -0.7152 / 1.5748 * 224 / 255, -0.0722 / 1.5748 * 224 / 255, 128.0],
    ],
    dtype=np.float32,
)
YUV_TO_RGB = np.linalg.inv(np.vstack([RGB_TO_YUV, [0, 0, 0, 1]]))[:3].astype(np.float32)


def frame_bytes(w: int, h: int) -> int:
    return w * h * 3 // 2


def planes(buf: np.ndarray, w: int, h: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Views of a flat yuv420p buffer: Y (h, w), U and V (h/2, w/2)."""
    n, q = w * h, (w // 2) * (h // 2)
    return (
        buf[:n].reshape(h, w),
        buf[n : n + q].reshape(h // 2, w // 2),
        buf[n + q : n + 2 * q].reshape(h // 2, w // 2),
    )


def rgb_to_yuv_planes(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Full-resolution Y and 2x2-averaged U, V of an RGB image (padded to even size)."""
    h, w = rgb.shape[:2]
    if h % 2 or w % 2:
        rgb = cv2.copyMakeBorder(rgb, 0, h % 2, 0, w % 2, cv2.BORDER_REPLICATE)
    yuv = cv2.transform(rgb, RGB_TO_YUV)
    y = np.ascontiguousarray(yuv[..., 0])
    half = (yuv.shape[1] // 2, yuv.shape[0] // 2)
    u = cv2.resize(yuv[..., 1], half, interpolation=cv2.INTER_AREA)
    v = cv2.resize(yuv[..., 2], half, interpolation=cv2.INTER_AREA)
    return y, u, v


def yuv_to_rgb(buf: np.ndarray, w: int, h: int) -> np.ndarray:
    """An RGB picture of a yuv420p frame (posters, tests)."""
    y, u, v = planes(buf, w, h)
    up = (w, h)
    yuv = np.dstack(
        [
            y,
            cv2.resize(u, up, interpolation=cv2.INTER_LINEAR),
            cv2.resize(v, up, interpolation=cv2.INTER_LINEAR),
        ]
    )
    return cv2.transform(yuv, YUV_TO_RGB)


def _blurred_fill(rgb: np.ndarray, cw: int, ch: int) -> np.ndarray:
    """The photo stretched to cover a cw x ch canvas, heavily blurred and darkened (cheaply, at low res)."""
    small_w, small_h = max(8, cw // 16), max(8, ch // 16)
    ph, pw = rgb.shape[:2]
    scale = max(small_w / pw, small_h / ph)
    tmp = cv2.resize(
        rgb, (max(1, round(pw * scale)), max(1, round(ph * scale))), interpolation=cv2.INTER_AREA
    )
    y0 = max(0, (tmp.shape[0] - small_h) // 2)
    x0 = max(0, (tmp.shape[1] - small_w) // 2)
    tmp = tmp[y0 : y0 + small_h, x0 : x0 + small_w]
    tmp = cv2.GaussianBlur(tmp, (0, 0), sigmaX=2.5)
    tmp = (tmp.astype(np.float32) * FILL_DARKEN).astype(np.uint8)
    return cv2.resize(tmp, (cw, ch), interpolation=cv2.INTER_LINEAR)


@dataclass
class ClipShot:
    """Frames of a clip at the output's size and rate, decoded by an ffmpeg child on first use.

    `frame_at(source_time)` reads forward; it holds the first/last frame outside the trim."""

    ffmpeg: str
    path: Path
    start: float  # source time of the first frame we may need
    seconds: float  # how much source to decode
    out_w: int
    out_h: int
    fps: int
    src_w: int
    src_h: int
    procs: list[subprocess.Popen[bytes]]  # registry so cancellation can kill us

    def __post_init__(self) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        self._index = -1
        self._frame: np.ndarray | None = None
        self._spare: np.ndarray | None = None
        self._eof = False

    def _filter(self) -> str:
        """Frame rate and colour are settled at the clip's own size, then one upscale in YUV:
        converting colour after the upscale, or blurring in RGB, cost two to three times as much."""
        w, h = self.out_w, self.out_h
        out_aspect, src_aspect = w / h, self.src_w / max(1, self.src_h)
        lost = 1 - min(out_aspect, src_aspect) / max(out_aspect, src_aspect)
        head = (
            f"fps={self.fps}:start_time=0:round=near,"
            "scale=out_color_matrix=bt709:out_range=tv,format=yuv420p,"
        )
        if lost <= MAX_COVER_LOSS / 2:
            return f"{head}scale={w}:{h}:force_original_aspect_ratio=increase,crop={w}:{h},setsar=1"
        # limited-range YUV darkened toward black: the same as scaling RGB by FILL_DARKEN
        k = FILL_DARKEN
        dark = f"lutyuv=y=16+(val-16)*{k}:u=128+(val-128)*{k}:v=128+(val-128)*{k}"
        return (
            f"{head}split[a][b];[a]scale={max(8, w // 16)}:{max(8, h // 16)},gblur=sigma=2.5,{dark},"
            f"scale={w}:{h}:flags=bilinear[bg];[b]scale={w}:{h}:force_original_aspect_ratio=decrease[fg];"
            f"[bg][fg]overlay=(W-w)/2:(H-h)/2:format=yuv420,setsar=1"
        )

    def _open(self) -> None:
        args = [
            self.ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error",
            "-ss", f"{max(0.0, self.start):.6f}", "-t", f"{self.seconds + 1.0 / self.fps:.6f}",
            "-i", str(self.path), "-an", "-filter_complex", self._filter(),
            "-f", "rawvideo", "-pix_fmt", "yuv420p", "pipe:1",
        ]  # fmt: skip
        self._proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        if self._proc.stdout is not None:
            widen_pipe(self._proc.stdout.fileno())
        self.procs.append(self._proc)

    def frame_at(self, source_time: float) -> np.ndarray:
        if self._proc is None:
            self._open()
        want = max(0, round((source_time - max(0.0, self.start)) * self.fps))
        assert self._proc is not None and self._proc.stdout is not None
        while self._index < want and not self._eof:
            # read into the spare of two reused buffers, not a fresh frame-sized object per frame
            if self._spare is None:
                self._spare = np.empty(frame_bytes(self.out_w, self.out_h), np.uint8)
            if not _read_exactly(self._proc.stdout, self._spare):
                self._eof = True
                break
            self._frame, self._spare = self._spare, self._frame
            self._index += 1
        if self._frame is None:  # nothing decodable: black rather than a crash mid-movie
            self._frame = np.full(frame_bytes(self.out_w, self.out_h), 128, np.uint8)
            self._frame[: self.out_w * self.out_h] = 16
        return self._frame

    def close(self) -> None:
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.kill()
            self._proc.wait()
            if self._proc.stdout is not None:
                self._proc.stdout.close()
            if self._proc in self.procs:
                self.procs.remove(self._proc)
            self._proc = None


def _read_exactly(stream: IO[bytes], buf: np.ndarray) -> bool:
    reader = cast(io.BufferedReader, stream)  # Popen's stdout, buffered: it has readinto
    view = buf.data
    got = 0
    while got < len(view):
        n = reader.readinto(view[got:])
        if not n:
            return False
        got += n
    return True


try:
    _libc: ctypes.CDLL | None = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
except OSError:
    _libc = None


def release_free_memory() -> None:
    """Hand the decode of a photo (tens of MB, freed at once) back to the OS: glibc keeps freed
    heap for reuse, which would sit on top of the encoder in the render's peak memory."""
    trim = getattr(_libc, "malloc_trim", None)
    if trim is not None:
        trim(0)
