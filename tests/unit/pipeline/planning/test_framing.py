"""Ken Burns boxes: output aspect, faces kept with a margin, gentle zoom, fit or pan for odd shapes."""

from __future__ import annotations

import pytest

from pipeline.models import Box
from pipeline.planning.framing import contains, face_region, photo_motion, static_frame

WIDE, TALL, SQUARE = 16 / 9, 9 / 16, 1.0


def _aspect(box: Box, w: int, h: int) -> float:
    return box.w * w / (box.h * h)


@pytest.mark.parametrize("out", [WIDE, TALL, SQUARE])
@pytest.mark.parametrize("size", [(1500, 1000), (1000, 1500), (1000, 1000), (4000, 1000)])
@pytest.mark.parametrize("zoom_in", [True, False])
def test_boxes_have_the_output_aspect_and_keep_faces_with_margin(
    out: float, size: tuple[int, int], zoom_in: bool
) -> None:
    faces = (Box(x=0.05, y=0.3, w=0.1, h=0.15), Box(x=0.8, y=0.35, w=0.1, h=0.15))
    m = photo_motion(*size, out, faces=faces, duration=4.0, zoom_in=zoom_in)
    margin = face_region(faces)
    for box in (m.start, m.end):
        assert _aspect(box, *size) == pytest.approx(out, rel=1e-6)
        assert contains(box, margin)
    ratio = max(m.start.w, m.end.w) / min(m.start.w, m.end.w)
    assert 1.05 <= ratio <= 1.12 + 1e-9
    assert (m.start.w > m.end.w) == zoom_in


def test_zoom_grows_with_shot_length_within_5_to_12_percent() -> None:
    short = photo_motion(1500, 1000, WIDE, duration=1.0)
    long = photo_motion(1500, 1000, WIDE, duration=8.0)
    assert short.start.w / short.end.w == pytest.approx(1.05)
    assert long.start.w / long.end.w == pytest.approx(1.12)


def test_plain_landscape_stays_inside_the_photo_and_aims_at_the_salient_region() -> None:
    m = photo_motion(1500, 1000, WIDE, salient=Box(x=0.75, y=0.2, w=0.2, h=0.2), duration=4.0)
    for b in (m.start, m.end):
        assert b.x >= -1e-9 and b.y >= -1e-9 and b.x + b.w <= 1 + 1e-9 and b.y + b.h <= 1 + 1e-9
    assert m.end.x + m.end.w / 2 > 0.5  # the push-in drifts toward the right-hand subject


def test_portrait_in_landscape_is_fitted_over_a_blurred_fill() -> None:
    m = photo_motion(1000, 2000, WIDE, duration=4.0)
    assert min(m.start.x, m.end.x) < 0 and max(m.start.x + m.start.w, m.end.x + m.end.w) > 1
    assert max(m.start.h, m.end.h) <= 1.0 + 1e-9  # most of the height is shown, not a thin strip


def test_panorama_without_faces_pans_across() -> None:
    m = photo_motion(6000, 1000, WIDE, duration=5.0)
    assert m.start.w == pytest.approx(m.end.w) and m.start.h == pytest.approx(1.0)
    assert m.end.x - m.start.x == pytest.approx(0.35)  # a slow pan, not a whip across
    assert min(m.start.x, m.end.x) >= 0 and max(m.start.x, m.end.x) + m.start.w <= 1 + 1e-9


def test_clip_frame_is_static_and_keeps_faces() -> None:
    faces = (Box(x=0.1, y=0.4, w=0.08, h=0.14),)
    m = static_frame(640, 360, TALL, faces)
    assert m.start == m.end and contains(m.start, faces[0])
    assert _aspect(m.start, 640, 360) == pytest.approx(TALL)
