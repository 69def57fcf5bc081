"""Near-duplicate photo groups, best first.

Two tests, either suffices: perceptual-hash distance (same framing, small changes — a burst, a
re-save, a blurred copy) and ORB feature matching with a RANSAC similarity fit (a crop, a small
shift of viewpoint — pHash compares whole frames, so a crop or a stereo pair can differ by
~20-30 bits, as much as unrelated photos). Calibrated on the dev corpus: true pairs had 60-119
RANSAC inliers, unrelated pairs at most 25.
"""

from __future__ import annotations

import itertools

import cv2
import numpy as np

from pipeline.models import PhotoAnalysis

PHASH_MAX_BITS = 10
MIN_INLIERS = 40
ALL_PAIRS_UP_TO = (
    60  # beyond this many photos, ORB only compares neighbours (in sent order) and pHash-close pairs
)
NEIGHBOURS = 8


def duplicate_groups(
    photos: list[PhotoAnalysis], features: dict[str, tuple[np.ndarray, np.ndarray]]
) -> tuple[tuple[str, ...], ...]:
    ids = [p.media_id for p in photos]
    parent = {i: i for i in ids}

    def find(i: str) -> str:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    matcher = cv2.BFMatcher(cv2.NORM_HAMMING)
    hashes = {p.media_id: _hash_int(p.phash) for p in photos}
    for (ia, a), (ib, b) in itertools.combinations(enumerate(photos), 2):
        if find(a.media_id) == find(b.media_id):
            continue
        distance = _hamming(hashes[a.media_id], hashes[b.media_id])
        same = distance <= PHASH_MAX_BITS
        near = len(ids) <= ALL_PAIRS_UP_TO or abs(ia - ib) <= NEIGHBOURS or distance <= 26
        if not same and near and a.media_id in features and b.media_id in features:
            same = _inliers(matcher, features[a.media_id], features[b.media_id]) >= MIN_INLIERS
        if same:
            parent[find(a.media_id)] = find(b.media_id)

    groups: dict[str, list[PhotoAnalysis]] = {}
    for p in photos:
        groups.setdefault(find(p.media_id), []).append(p)
    out = []
    for members in groups.values():
        if len(members) > 1:
            members.sort(key=lambda p: (-p.quality, -p.sharpness, -(p.width * p.height), p.media_id))
            out.append(tuple(p.media_id for p in members))
    out.sort(key=lambda g: ids.index(g[0]))
    return tuple(out)


def _hash_int(phash: str) -> int | None:
    try:
        return int(phash, 16)
    except ValueError:
        return None


def _hamming(a: int | None, b: int | None) -> int:
    if a is None or b is None:
        return 64
    return (a ^ b).bit_count()


def _inliers(
    matcher: cv2.BFMatcher, fa: tuple[np.ndarray, np.ndarray], fb: tuple[np.ndarray, np.ndarray]
) -> int:
    (pa, da), (pb, db) = fa, fb
    if len(da) < 8 or len(db) < 8:
        return 0
    pairs = matcher.knnMatch(da, db, k=2)
    good = [m[0] for m in pairs if len(m) == 2 and m[0].distance < 0.75 * m[1].distance]
    if len(good) < MIN_INLIERS:
        return len(good)
    src = np.array([pa[m.queryIdx] for m in good], dtype=np.float32)
    dst = np.array([pb[m.trainIdx] for m in good], dtype=np.float32)
    _, mask = cv2.estimateAffinePartial2D(src, dst, method=cv2.RANSAC, ransacReprojThreshold=5.0)
    return int(mask.sum()) if mask is not None else 0
