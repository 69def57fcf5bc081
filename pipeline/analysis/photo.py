"""One photo's look: sharpness, exposure, colour, faces, where the interest is, its pHash.

Everything is measured at a fixed working size (long side WORK_SIDE), so the numbers compare
across photos of any resolution. The thresholds were calibrated on ../shared/corpus/dev
(see THRESHOLDS below and the calibration test in tests/unit/pipeline/analysis).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from pipeline.analysis.faces import detect_faces
from pipeline.analysis.tagging import colour_tags, shape_tags
from pipeline.models import Box, MediaItem, PhotoAnalysis

WORK_SIDE = 640  # metrics, hashes and features
FACE_SIDE = 800  # faces need more pixels: dlib's HOG window is 80 px (faces >= 1/10 of the long side)


@dataclass(frozen=True)
class Thresholds:
    # variance of Laplacian at WORK_SIDE; dev corpus: d08 8.7, d09 32.7 vs smooth-but-sharp sky d21 48.9
    blur_laplacian: float = 20.0
    # motion blur smears one direction only: min/max of directional gradient energy.
    # dev: d08 0.13, d09 0.07; every other photo >= 0.28
    motion_anisotropy: float = 0.2
    motion_laplacian: float = 200.0  # ... and only if the image isn't crisp anyway
    # dark: the highlights never get bright. 95th-percentile luma, dev: d10 0.50, d11 0.31;
    # others >= 0.62 (mean luma alone can't tell d10 0.29 from a dark-suited portrait d02 0.31)
    dark_p95: float = 0.56
    dark_mean: float = 0.12


THRESHOLDS = Thresholds()


@dataclass(frozen=True)
class PhotoFeatures:
    """What duplicate detection needs beyond the pHash (kept out of the JSON model)."""

    keypoints: np.ndarray  # (n, 2) float32 at WORK_SIDE
    descriptors: np.ndarray  # (n, 32) uint8 ORB


def analyse_photo(item: MediaItem) -> tuple[PhotoAnalysis, PhotoFeatures]:
    import imagehash

    with Image.open(item.path) as src:
        src.draft("RGB", (FACE_SIDE, FACE_SIDE))  # JPEG: decode at a reduced scale, much faster
        rgb = src.convert("RGB")
    width, height = item.width or rgb.width, item.height or rgb.height
    face_img = _fit(rgb, FACE_SIDE)
    work = _fit(face_img, WORK_SIDE)
    arr = np.asarray(work)
    gray = cv2.cvtColor(arr, cv2.COLOR_RGB2GRAY)

    sharpness = float(cv2.Laplacian(gray, cv2.CV_64F).var())
    anisotropy = _anisotropy(gray)
    luma = gray.astype(np.float32) / 255.0
    brightness = float(luma.mean())
    p95 = float(np.percentile(luma, 95))
    exposure = _exposure(luma)
    colourfulness = _colourfulness(arr)

    t = THRESHOLDS
    is_dark = p95 < t.dark_p95 or brightness < t.dark_mean
    # in a dark frame low detail is mostly low light, not blur: judge blur only in usable light
    is_blurry = not is_dark and (
        sharpness < t.blur_laplacian or (anisotropy < t.motion_anisotropy and sharpness < t.motion_laplacian)
    )
    faces = detect_faces(np.asarray(face_img))
    salient = _union(faces) if faces else _energy_box(gray)
    quality = _quality(
        sharpness, exposure, colourfulness, min(width, height), bool(faces), is_blurry, is_dark
    )

    tags = ["face"] if faces else []
    if len(faces) >= 3:
        tags.append("group")
    tags += ["dark"] * is_dark + ["blurry"] * is_blurry
    tags += colour_tags(arr, colourfulness, brightness, bool(faces))
    tags += shape_tags(width, height)

    orb = cv2.ORB.create(nfeatures=500)
    kps, des = orb.detectAndCompute(gray, None)
    features = PhotoFeatures(
        keypoints=np.array([k.pt for k in kps], dtype=np.float32).reshape(-1, 2),
        descriptors=des if des is not None else np.zeros((0, 32), np.uint8),
    )
    analysis = PhotoAnalysis(
        media_id=item.id,
        width=width,
        height=height,
        sharpness=round(sharpness, 2),
        brightness=round(brightness, 4),
        exposure=round(exposure, 4),
        colourfulness=round(colourfulness, 2),
        faces=tuple(faces),
        salient=salient,
        phash=str(imagehash.phash(work)),
        quality=round(quality, 4),
        is_blurry=is_blurry,
        is_dark=is_dark,
        tags=tuple(dict.fromkeys(tags)),
        capture_time=item.capture_time,
    )
    return analysis, features


def _fit(image: Image.Image, side: int) -> Image.Image:
    if max(image.size) <= side:
        return image
    scale = side / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)


def _anisotropy(gray: np.ndarray) -> float:
    g = gray.astype(np.float32)
    k_diag1 = np.array([[0, 1, 2], [-1, 0, 1], [-2, -1, 0]], np.float32)
    k_diag2 = np.array([[2, 1, 0], [1, 0, -1], [0, -1, -2]], np.float32)
    energies = [
        float(np.mean(cv2.Sobel(g, cv2.CV_32F, 1, 0) ** 2)),
        float(np.mean(cv2.Sobel(g, cv2.CV_32F, 0, 1) ** 2)),
        float(np.mean(cv2.filter2D(g, -1, k_diag1) ** 2)),
        float(np.mean(cv2.filter2D(g, -1, k_diag2) ** 2)),
    ]
    return min(energies) / max(max(energies), 1e-6)


def _exposure(luma: np.ndarray) -> float:
    """1 = histogram spread over the range; crushed shadows, clipped highlights or a mean far
    from mid-grey pull it down."""
    crushed = float((luma < 0.03).mean())
    clipped = float((luma > 0.97).mean())
    mean = float(luma.mean())
    spread = float(np.percentile(luma, 98) - np.percentile(luma, 2))
    score = 1.0 - 2.0 * max(0.0, abs(mean - 0.47) - 0.12) - 1.5 * (crushed + clipped) - max(0.0, 0.5 - spread)
    return float(min(1.0, max(0.0, score)))


def _colourfulness(arr: np.ndarray) -> float:
    """Hasler & Suesstrunk (2003) M: 0 grey, ~15 slightly, ~33 moderately, ~59 quite, >82 extremely."""
    r, g, b = (arr[..., i].astype(np.float32) for i in range(3))
    rg = r - g
    yb = 0.5 * (r + g) - b
    return float(math.hypot(rg.std(), yb.std()) + 0.3 * math.hypot(rg.mean(), yb.mean()))


def _union(boxes: list[Box]) -> Box:
    x0 = min(b.x for b in boxes)
    y0 = min(b.y for b in boxes)
    x1 = max(b.x + b.w for b in boxes)
    y1 = max(b.y + b.h for b in boxes)
    return Box(x=round(x0, 4), y=round(y0, 4), w=round(x1 - x0, 4), h=round(y1 - y0, 4))


def _energy_box(gray: np.ndarray) -> Box:
    """Where the detail is: the box holding the central 70 % of the edge energy on each axis."""
    small = cv2.resize(
        gray, (64, max(1, round(64 * gray.shape[0] / gray.shape[1]))), interpolation=cv2.INTER_AREA
    )
    g = small.astype(np.float32)
    energy = np.abs(cv2.Sobel(g, cv2.CV_32F, 1, 0)) + np.abs(cv2.Sobel(g, cv2.CV_32F, 0, 1))
    energy = cv2.GaussianBlur(energy, (0, 0), 2.0) + 1e-3
    h, w = energy.shape
    x0, x1 = _mass_span(energy.sum(axis=0))
    y0, y1 = _mass_span(energy.sum(axis=1))
    box_w = max((x1 - x0) / w, 0.2)
    box_h = max((y1 - y0) / h, 0.2)
    cx = (x0 + x1) / 2 / w
    cy = (y0 + y1) / 2 / h
    x = min(max(cx - box_w / 2, 0.0), 1.0 - box_w)
    y = min(max(cy - box_h / 2, 0.0), 1.0 - box_h)
    return Box(x=round(x, 4), y=round(y, 4), w=round(box_w, 4), h=round(box_h, 4))


def _mass_span(profile: np.ndarray, keep: float = 0.7) -> tuple[float, float]:
    cdf = np.cumsum(profile) / profile.sum()
    lo = float(np.searchsorted(cdf, (1 - keep) / 2))
    hi = float(np.searchsorted(cdf, 1 - (1 - keep) / 2)) + 1
    return lo, hi


def _quality(
    sharpness: float,
    exposure: float,
    colourfulness: float,
    short_side: int,
    faces: bool,
    blurry: bool,
    dark: bool,
) -> float:
    sharp = min(1.0, max(0.0, math.log(max(sharpness, 1.0) / 10.0) / math.log(100.0)))  # 10 -> 0, 1000 -> 1
    colour = min(1.0, colourfulness / 60.0)
    resolution = min(1.0, short_side / 720.0)
    score = 0.4 * sharp + 0.3 * exposure + 0.15 * colour + 0.1 * resolution + 0.05 * faces
    if blurry:
        score *= 0.5
    if dark:
        score *= 0.6
    return float(min(1.0, max(0.0, score)))
