"""Words the planner can match a prompt against: from the file name and from how a shot looks."""

from __future__ import annotations

import re

import numpy as np

# camera/app prefixes and container words that say nothing about the content
_NOISE = {
    "img", "dsc", "dscn", "dcim", "pxl", "mvimg", "vid", "mov", "photo", "image", "jpg", "jpeg", "png", "heic",
    "mp4", "copy", "edited", "final", "screenshot", "whatsapp", "signal", "telegram", "the", "and", "with",
}  # fmt: skip


def filename_words(name: str) -> list[str]:
    """'d13_sunset_boats.jpg' -> ['sunset', 'boats'] (ids like d13, dates and counters dropped)."""
    stem = name.rsplit(".", 1)[0] if "." in name else name
    words = re.split(r"[^0-9A-Za-z]+|(?<=[a-z])(?=[A-Z])", stem)
    out = []
    negated = False
    for word in words:
        w = word.lower()
        if w in ("no", "not", "without", "non"):
            negated = True  # "dv2_street_no_audio": the file says it has NO audio, don't tag "audio"
            continue
        if negated or len(w) < 3 or w in _NOISE or any(ch.isdigit() for ch in w):
            negated = False
            continue
        out.append(w)
    return list(dict.fromkeys(out))


def colour_tags(rgb: np.ndarray, colourfulness: float, brightness: float, faces: bool = False) -> list[str]:
    import cv2  # here, not at the top: the music child process imports this package too

    small = cv2.resize(
        rgb, (96, max(1, round(96 * rgb.shape[0] / rgb.shape[1]))), interpolation=cv2.INTER_AREA
    )
    hsv = cv2.cvtColor(small, cv2.COLOR_RGB2HSV_FULL).astype(np.float32)
    hue = hsv[..., 0] * (360.0 / 256.0)
    sat, val = hsv[..., 1] / 255.0, hsv[..., 2] / 255.0
    vivid = (sat > 0.35) & (val > 0.3)
    warm = vivid & ((hue < 50) | (hue > 330))
    blue = vivid & (hue > 180) & (hue < 260)
    green = vivid & (hue > 70) & (hue < 170)
    tags = []
    if colourfulness < 5:
        tags.append("monochrome")
    elif colourfulness > 75:
        tags.append("colourful")
    if warm.mean() > 0.35:
        tags.append("warm")
    if blue.mean() > 0.4:
        tags.append("blue")
    if green.mean() > 0.3:
        tags.append("green")
    half = small.shape[0] // 2
    orange_sky = float((vivid & (hue > 15) & (hue < 50))[:half].mean())
    top_warm, bottom_warm = float(warm[:half].mean()), float(warm[half:].mean())
    wide = rgb.shape[1] > rgb.shape[0]
    if (
        not faces
        and wide
        and orange_sky >= 0.2
        and top_warm > 2 * bottom_warm
        and val[:half].mean() > val[half:].mean()
    ):
        tags.append("sunset")  # an orange glow in a sky brighter than the ground (dev: d13 only)
    if brightness > 0.7:
        tags.append("bright")
    return tags


def shape_tags(width: int, height: int) -> list[str]:
    ratio = width / max(height, 1)
    if ratio >= 2.2:
        return ["panorama", "landscape"]
    if ratio > 1.05:
        return ["landscape"]
    if ratio < 0.95:
        return ["portrait"]
    return ["square"]
