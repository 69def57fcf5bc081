"""Cut points: on the song's beats, shot length following its energy and the user's pace.

The grid is built from the music alone (no media yet), then the planner fits media into it;
`fit_lengths` moves single cuts to other beats where a clip is too short for its slot.
"""

from __future__ import annotations

from pipeline.models import PaceSection
from pipeline.planning.music import SongView
from pipeline.planning.selection import MIN_SHOT, PHOTO_MAX

CALM_SHOT = 3.6  # seconds per shot where the music is quiet
BUSY_SHOT = 1.5  # ... and where it is loudest


def base_length(energy: float) -> float:
    e = min(1.0, max(0.0, energy))
    return CALM_SHOT + (BUSY_SHOT - CALM_SHOT) * e


def pace_at(t: float, duration: float, pace: dict[PaceSection, float], mood_pace: float) -> float:
    third = duration / 3 or 1.0
    section: PaceSection = "start" if t < third else "middle" if t < 2 * third else "end"
    return pace.get(section, 1.0) * pace.get("all", 1.0) * mood_pace


def build_grid(
    song: SongView,
    duration: float,
    pace: dict[PaceSection, float],
    mood_pace: float,
    factor: float = 1.0,
) -> list[float]:
    """Shot lengths (summing to `duration`), each cut on a beat where one is near."""
    cap = PHOTO_MAX * max(1.0, factor / 1.6)
    lengths: list[float] = []
    t = 0.0
    while True:
        remaining = duration - t
        p = pace_at(t, duration, pace, mood_pace)
        guess = base_length(song.level_at(t, 2.0)) * p * factor
        want = min(max(base_length(song.level_at(t, guess)) * p * factor, MIN_SHOT), cap * max(1.0, p))
        linger = min(1.5 * want, want + 2.5)  # the closing shot stays a little longer: the story resolves
        if remaining <= linger * 1.25 or remaining < 2 * MIN_SHOT:
            lengths.append(remaining)
            break
        if remaining < want + linger:
            # two shots left: the closing shot lingers, and the one before it is no stub
            if remaining - linger >= 0.7 * want:
                target = duration - linger
            elif remaining <= linger * 1.3:
                lengths.append(remaining)
                break
            else:
                target = t + remaining / 2
            cut = song.nearest_beat(target, t + MIN_SHOT, duration - MIN_SHOT)
        else:
            cut = song.nearest_beat(t + want, t + max(MIN_SHOT, want * 0.6), t + want * 1.45)
        if cut is None:
            cut = t + min(want, remaining - linger)
        if duration - cut < max(MIN_SHOT, 0.5 * want):
            # would leave a flicker at the end: cut earlier instead (or end here)
            earlier = song.nearest_beat(duration - want, t + MIN_SHOT, duration - MIN_SHOT)
            cut = earlier if earlier is not None else duration - max(MIN_SHOT, 0.5 * want)
        lengths.append(cut - t)
        t = cut
    return lengths


def starts_of(lengths: list[float]) -> list[float]:
    out, t = [], 0.0
    for d in lengths:
        out.append(t)
        t += d
    return out


def fit_lengths(lengths: list[float], max_lens: list[float], song: SongView) -> list[float]:
    """Shorten a slot whose media can't fill it (a short clip): move its cut back to an earlier
    beat and give the time to a neighbour that can take it."""
    lengths = list(lengths)
    for i, cap in enumerate(max_lens):
        excess = lengths[i] - cap
        if excess <= 1e-6:
            continue
        starts = starts_of(lengths)
        neighbours = [
            j for j in (i + 1, i - 1) if 0 <= j < len(lengths) and max_lens[j] - lengths[j] > excess
        ]
        if not neighbours:
            continue  # nothing can absorb it; the renderer holds the clip's last frame
        j = neighbours[0]
        if j == i + 1:
            end = starts[i] + lengths[i]
            beat = song.nearest_beat(starts[i] + cap, starts[i] + MIN_SHOT, starts[i] + cap)
            moved = end - (beat if beat is not None else starts[i] + cap)
        else:
            beat = song.nearest_beat(
                starts[i] + excess, starts[i] + excess, starts[i] + lengths[i] - MIN_SHOT
            )
            moved = (beat if beat is not None else starts[i] + excess) - starts[i]
        lengths[i] -= moved
        lengths[j] += moved
    return lengths


def snap_cuts(lengths: list[float], song: SongView, tolerance: float = 0.6) -> list[float]:
    """Move each cut to the nearest beat within `tolerance` s, keeping order and shot minimum."""
    if not song.beats or len(lengths) < 2:
        return list(lengths)
    total = sum(lengths)
    cuts = starts_of(lengths)[1:]
    snapped: list[float] = []
    prev = 0.0
    for k, c in enumerate(cuts):
        nxt = cuts[k + 1] if k + 1 < len(cuts) else total
        lo, hi = prev + MIN_SHOT, min(c + tolerance, nxt - MIN_SHOT + tolerance, total - MIN_SHOT)
        b = song.nearest_beat(c, max(lo, c - tolerance), hi)
        new = b if b is not None else min(max(c, lo), total - MIN_SHOT)
        snapped.append(new)
        prev = new
    bounds = [0.0, *snapped, total]
    return [bounds[i + 1] - bounds[i] for i in range(len(bounds) - 1)]
