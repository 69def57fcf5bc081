"""Ken Burns framing: crop boxes with the output's aspect, aimed at faces / the salient region.

Coordinates are normalised to the upright source (0..1 each axis). A box with the output's pixel
aspect A over a source of aspect s (= width / height) has h = w * s / A. Every face (plus a
margin) stays inside both the start and the end box; when that or the photo's shape needs more
than the photo has, the box grows past 0..1 and the renderer fills the outside with a blurred copy.
"""

from __future__ import annotations

from pipeline.models import Box, Motion

FACE_MARGIN = 0.25  # of the face's size, on each side: hair and chin stay in frame
FAR_ASPECT = 1.8  # source/output aspect ratio beyond which we fit or pan instead of cropping


def zoom_for(duration: float) -> float:
    """5 % for a quick shot up to 12 % for a long one: gentle, never a lurch."""
    return 0.05 + 0.07 * min(1.0, max(0.0, (duration - 1.0) / 5.0))


def face_region(faces: tuple[Box, ...], margin: float = FACE_MARGIN) -> Box | None:
    if not faces:
        return None
    x0 = min(f.x - f.w * margin for f in faces)
    y0 = min(f.y - f.h * margin for f in faces)
    x1 = max(f.x + f.w * (1 + margin) for f in faces)
    y1 = max(f.y + f.h * (1 + margin) for f in faces)
    return Box(x=x0, y=y0, w=x1 - x0, h=y1 - y0)


def contains(outer: Box, inner: Box, tol: float = 1e-6) -> bool:
    return (
        outer.x <= inner.x + tol
        and outer.y <= inner.y + tol
        and outer.x + outer.w >= inner.x + inner.w - tol
        and outer.y + outer.h >= inner.y + inner.h - tol
    )


def _place(size: float, centre: float, must: tuple[float, float] | None) -> float:
    """Start coordinate of a span of `size` centred near `centre`, inside 0..1 when it fits there,
    and always covering `must` (lo, hi) when given."""
    # larger than the photo: keep the photo centred in it (even blurred margins)
    lo = min(max(centre - size / 2, 0.0), 1.0 - size) if size <= 1 else 0.5 - size / 2
    if must is not None:
        lo = min(max(lo, must[1] - size), must[0])
    return lo


def _box(w: float, s: float, aspect: float, centre: tuple[float, float], must: Box | None) -> Box:
    h = w * s / aspect
    x = _place(w, centre[0], (must.x, must.x + must.w) if must else None)
    y = _place(h, centre[1], (must.y, must.y + must.h) if must else None)
    return Box(x=x, y=y, w=w, h=h)


def cover_width(s: float, aspect: float) -> float:
    """Width of the largest output-shaped box inside the photo."""
    return min(1.0, aspect / s)


def photo_motion(
    src_w: int,
    src_h: int,
    out_aspect: float,
    *,
    faces: tuple[Box, ...] = (),
    salient: Box | None = None,
    duration: float = 3.0,
    zoom_in: bool = True,
) -> Motion:
    s = src_w / max(1, src_h)
    must = face_region(faces)
    if salient is not None:
        centre = (salient.x + salient.w / 2, salient.y + salient.h / 2)
    elif must is not None:
        centre = (must.x + must.w / 2, must.y + must.h / 2)
    else:
        centre = (0.5, 0.45)  # a touch above the middle: horizons and heads sit there
    z = zoom_for(duration)
    ratio = max(s / out_aspect, out_aspect / s)

    if ratio >= FAR_ASPECT and must is None and s > out_aspect:
        # panorama: slow pan across at full height (small zoom on top keeps it alive)
        w = cover_width(s, out_aspect)
        h = w * s / out_aspect
        span = min(1.0 - w, 0.35)  # don't whip across a very wide photo
        x0 = min(max(centre[0] - w / 2 - span / 2, 0.0), 1.0 - w - span)
        left = Box(x=x0, y=0.5 - h / 2, w=w, h=h)
        right = Box(x=x0 + span, y=0.5 - h / 2, w=w, h=h)
        start, end = (left, right) if zoom_in else (right, left)
        return Motion(start=start, end=end, easing="linear")

    # portrait into landscape (or similar): fit the height with a little crop, sides blurred
    far_portrait = ratio >= FAR_ASPECT and s < out_aspect
    base_w = out_aspect / s * 0.85 if far_portrait else cover_width(s, out_aspect)
    if must is not None:
        need = max(must.w, must.h * out_aspect / s)
        base_w = max(base_w, need * (1 + z))  # the zoomed-in box must still hold every face

    big = _box(base_w, s, out_aspect, centre, must)
    small = _box(base_w / (1 + z), s, out_aspect, centre, must)
    start, end = (big, small) if zoom_in else (small, big)
    return Motion(start=start, end=end, easing="ease_in_out")


def static_frame(src_w: int, src_h: int, out_aspect: float, faces: tuple[Box, ...] = ()) -> Motion:
    """A still crop for a video: the output shape, keeping any faces, else centred."""
    s = src_w / max(1, src_h)
    must = face_region(faces)
    w = cover_width(s, out_aspect)
    if max(s / out_aspect, out_aspect / s) >= FAR_ASPECT and s < out_aspect:
        w = out_aspect / s * 0.85
    if must is not None:
        w = max(w, must.w, must.h * out_aspect / s)
    centre = (must.x + must.w / 2, must.y + must.h / 2) if must else (0.5, 0.5)
    box = _box(w, s, out_aspect, centre, must)
    return Motion(start=box, end=box, easing="linear")
