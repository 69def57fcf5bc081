"""Frame-exact timing of a plan: which shot(s) a frame shows and where chunks may split.

The plan is a list of cut points. A transition straddles its cut (half before, half after), so a
shot is on screen from `start - d_in/2` to `end + d_out/2`. Every frame is a pure function of its
index, which is what lets chunks (and machines) render any frame range and still join seamlessly.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.models import EditPlan, Segment

# A transition may take at most this share of either neighbouring shot (half of it on each side).
MAX_TRANSITION_SHARE = 0.9


@dataclass(frozen=True)
class Shot:
    """A segment with its resolved on-screen span (seconds, timeline time)."""

    index: int  # position in the plan
    segment: Segment
    start: float  # cut in
    end: float  # cut out
    d_in: float  # transition into this shot (0 = hard cut)
    d_out: float  # transition out of it (the next shot's d_in)

    @property
    def show_from(self) -> float:
        return self.start - self.d_in / 2

    @property
    def show_to(self) -> float:
        return self.end + self.d_out / 2

    def local(self, t: float) -> float:
        """0..1 through the shot's whole on-screen span: motion runs smoothly through transitions."""
        span = self.show_to - self.show_from
        return min(1.0, max(0.0, (t - self.show_from) / span)) if span > 0 else 0.0


@dataclass(frozen=True)
class FrameRef:
    """What frame n shows: shot `a` alone, or a transition from `a` to `b` at progress p."""

    t: float
    a: int
    b: int | None = None
    p: float = 0.0


class Timeline:
    def __init__(self, plan: EditPlan, fps: int) -> None:
        self.plan = plan
        self.fps = fps
        self.n_frames = max(1, round(plan.duration * fps))
        segs = sorted(plan.segments, key=lambda s: s.timeline_start)
        ends = [s.timeline_start for s in segs[1:]] + [plan.duration]
        d_in = [0.0] * len(segs)
        for i in range(1, len(segs)):
            tr = segs[i].transition_in
            if tr.kind != "cut" and tr.duration > 0:
                room = min(ends[i - 1] - segs[i - 1].timeline_start, ends[i] - segs[i].timeline_start)
                d_in[i] = max(0.0, min(tr.duration, room * MAX_TRANSITION_SHARE))
        self.shots = [
            Shot(i, s, s.timeline_start, ends[i], d_in[i], d_in[i + 1] if i + 1 < len(segs) else 0.0)
            for i, s in enumerate(segs)
        ]
        self._starts = [s.start for s in self.shots]

    def time(self, n: int) -> float:
        return n / self.fps

    def frame(self, n: int) -> FrameRef:
        t = self.time(n)
        # the shot whose cut-in is the last at or before t
        i = max(0, _bisect_right(self._starts, t) - 1)
        shot = self.shots[i]
        if shot.d_in > 0 and t < shot.start + shot.d_in / 2:
            return FrameRef(t, i - 1, i, (t - shot.show_from) / shot.d_in)
        nxt = self.shots[i + 1] if i + 1 < len(self.shots) else None
        if nxt is not None and nxt.d_in > 0 and t >= nxt.show_from:
            return FrameRef(t, i, i + 1, (t - nxt.show_from) / nxt.d_in)
        return FrameRef(t, i)

    def in_transition(self, n: int) -> bool:
        return self.frame(n).b is not None

    def hard_cut_frames(self) -> list[int]:
        return [round(s.start * self.fps) for s in self.shots[1:] if s.d_in == 0]

    def shots_touching(self, f0: int, f1: int) -> list[int]:
        """Shots visible in frames [f0, f1), decided exactly as the frames themselves are."""
        seen: set[int] = set()
        for n in range(f0, f1):
            ref = self.frame(n)
            seen.add(ref.a)
            if ref.b is not None:
                seen.add(ref.b)
        return sorted(seen)


def _bisect_right(xs: list[float], x: float) -> int:
    lo, hi = 0, len(xs)
    while lo < hi:
        mid = (lo + hi) // 2
        if x < xs[mid]:
            hi = mid
        else:
            lo = mid + 1
    return lo


def chunk_bounds(tl: Timeline, max_seconds: float = 12.0, min_seconds: float = 3.0) -> list[tuple[int, int]]:
    """Frame ranges [f0, f1) covering the movie, split at hard cuts first.

    Long stretches without a hard cut (all crossfades) are split mid-shot at a frame outside any
    transition: frames are pure functions of their index, so the join is invisible either way."""
    n = tl.n_frames
    fps = tl.fps
    cuts = [f for f in tl.hard_cut_frames() if 0 < f < n]
    bounds = [0, *cuts, n]
    # split long stretches at shot midpoints (never inside a transition)
    out: list[int] = [0]
    max_f, min_f = int(max_seconds * fps), int(min_seconds * fps)
    mids = sorted(
        round((s.start + s.end) / 2 * fps)
        for s in tl.shots
        if not tl.in_transition(round((s.start + s.end) / 2 * fps))
    )
    for a, b in zip(bounds, bounds[1:], strict=False):
        cur = a
        while b - cur > max_f:
            options = [m for m in mids if cur + min_f <= m <= min(cur + max_f, b - min_f)]
            if not options:
                break
            cur = options[-1]
            out.append(cur)
        out.append(b)
    # merge slivers into their neighbour
    merged = [out[0]]
    for f in out[1:]:
        if f - merged[-1] < min_f and f != n:
            continue
        merged.append(f)
    if len(merged) > 2 and merged[-1] - merged[-2] < min_f:
        merged.pop(-2)
    return list(zip(merged, merged[1:], strict=False))
