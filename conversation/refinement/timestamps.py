"""Movie timestamps in feedback ("at 0:23 too fast") and the shot on screen at that time."""

from __future__ import annotations

import re
from collections.abc import Sequence

from pipeline.models import PaceSection, Segment

_TS = re.compile(
    r"(?:\b(?:at|around|@|from)\s*|@)(?:(\d{1,2}):(\d{2})(?:\.(\d))?|(\d+(?:\.\d+)?)\s*(?:s|sec|secs|seconds?)\b)",
    re.IGNORECASE,
)


def find_timestamp(text: str) -> tuple[float, str] | None:
    """(seconds, the text as written) of the first movie timestamp, or None."""
    m = _TS.search(text)
    if not m:
        return None
    if m.group(1) is not None:
        secs = int(m.group(1)) * 60 + int(m.group(2)) + (int(m.group(3)) / 10 if m.group(3) else 0.0)
        shown = f"{m.group(1)}:{m.group(2)}"
    else:
        secs = float(m.group(4))
        shown = f"{m.group(4)} s"
    return secs, shown


def strip_timestamp(text: str) -> str:
    return _TS.sub(" ", text, count=1).strip(" ,:-")


def segment_at(segments: Sequence[Segment], at: float) -> Segment | None:
    if not segments:
        return None
    for s in segments:
        if s.timeline_start <= at < s.timeline_start + s.duration:
            return s
    last = segments[-1]
    return last if at >= last.timeline_start else segments[0]


def section_at(at: float, duration: float | None) -> PaceSection:
    if not duration:
        return "all"
    f = at / duration
    return "start" if f < 1 / 3 else "end" if f > 2 / 3 else "middle"
