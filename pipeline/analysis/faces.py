"""Frontal faces with dlib's HOG detector (ships inside the dlib-bin wheel: no model download).

OpenCV 5 dropped the Haar cascades, and the CNN detectors that ship weights cost seconds per
image; HOG found every frontal face in our checks at ~50 ms per 640 px image.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from pipeline.models import Box

# Two threads running dlib's detector at once were 4-10x slower here than taking turns (it
# thrashes), so detection is serialised; the other thread decodes and runs OpenCV meanwhile.
_lock = threading.Lock()
_detectors: list[Any] = []


def _detector() -> Any:
    if not _detectors:
        import dlib

        _detectors.append(dlib.get_frontal_face_detector())
    return _detectors[0]


# dlib's scores: real faces scored 1.5+ here, a JPEG-artefact hit on a flight suit 0.07
MIN_SCORE = 0.25


def detect_faces(rgb: np.ndarray, min_score: float = MIN_SCORE) -> list[Box]:
    """Normalised boxes, grown a little: dlib's box is eyebrows-to-chin, framing needs the head."""
    h, w = rgb.shape[:2]
    if h < 40 or w < 40:
        return []
    image = np.ascontiguousarray(rgb)
    with _lock:
        rects, scores, _ = _detector().run(image, 0, 0.0)
    boxes = []
    for rect, score in sorted(zip(rects, scores, strict=True), key=lambda rs: -rs[1]):
        if score < min_score:
            continue
        x0, y0, x1, y1 = rect.left(), rect.top(), rect.right(), rect.bottom()
        bw, bh = x1 - x0, y1 - y0
        x0, x1 = x0 - 0.1 * bw, x1 + 0.1 * bw
        y0, y1 = y0 - 0.25 * bh, y1 + 0.1 * bh
        x0, y0 = max(0.0, x0 / w), max(0.0, y0 / h)
        x1, y1 = min(1.0, x1 / w), min(1.0, y1 / h)
        if x1 > x0 and y1 > y0:
            boxes.append(Box(x=round(x0, 4), y=round(y0, 4), w=round(x1 - x0, 4), h=round(y1 - y0, 4)))
    return boxes
