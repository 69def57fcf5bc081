"""Turn the model's plan draft into a valid EditPlan. The draft is never trusted raw.

Repairs: unknown, excluded or music ids dropped; a shot repeated back to back merged; lengths
clamped to what the media can fill and scaled to the movie's duration (topped up from the
heuristic plan when the draft runs short); cuts snapped to the song's beats; video trims kept
inside the clip. Segments, framing and transitions come from the planner's own helpers."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.intelligence.schemas import PlanDraft, ShotDraft
from pipeline.models import EditPlan, LeftOut, Library, MediaKind, Segment
from pipeline.planning.music import SongView
from pipeline.planning.planner import effective_request, narrative, variety
from pipeline.planning.selection import MIN_SHOT, PHOTO_MAX
from pipeline.planning.shots import make_segments
from pipeline.planning.timeline import snap_cuts

MAX_TITLE = 60


class EmptyDraft(ValueError):
    """Nothing usable in the draft: the caller falls back to the heuristic plan."""


@dataclass
class Repairs:
    dropped: list[str] = field(default_factory=list)  # ids the model invented or may not use
    clamped: int = 0
    snapped: int = 0
    topped_up: int = 0

    def note(self) -> str:
        bits = []
        if self.dropped:
            bits.append(f"dropped {len(self.dropped)} unknown/excluded shot(s)")
        if self.clamped:
            bits.append(f"clamped {self.clamped} shot length(s)/trim(s)")
        if self.snapped:
            bits.append(f"moved {self.snapped} cut(s) onto beats")
        if self.topped_up:
            bits.append(f"added {self.topped_up} shot(s) to fill the duration")
        return "; ".join(bits)


def _clip_length(library: Library, mid: str) -> float:
    v = library.videos.get(mid)
    return float((v.duration if v else library.items[mid].duration) or PHOTO_MAX)


def _cap(library: Library, mid: str) -> float:
    if library.items[mid].kind == MediaKind.VIDEO:
        return max(MIN_SHOT, _clip_length(library, mid) - 0.1)
    return PHOTO_MAX


def _fill(lengths: list[float], caps: list[float], duration: float) -> list[float]:
    """Scale lengths to sum to `duration`, respecting each cap and the shot minimum."""
    out = [min(max(d, MIN_SHOT), c) for d, c in zip(lengths, caps, strict=True)]
    for _ in range(8):
        total = sum(out)
        if abs(total - duration) < 1e-3:
            break
        free = [
            i
            for i, (d, c) in enumerate(zip(out, caps, strict=True))
            if (d < c if total < duration else d > MIN_SHOT)
        ]
        if not free:
            break
        share = sum(out[i] for i in free)
        k = 1 + (duration - total) / share
        for i in free:
            out[i] = min(max(out[i] * k, MIN_SHOT), caps[i])
    return out


def repair_plan(draft: PlanDraft, baseline: EditPlan, library: Library) -> tuple[EditPlan, Repairs]:
    """`draft` made valid against `library`; `baseline` (the heuristic plan for the same request)
    supplies the song, its offset, the duration and shots to top up with."""
    request = baseline.request
    req, _ = effective_request(request, library)
    fixes = Repairs()
    usable = {m for m, it in library.items.items() if it.kind != MediaKind.MUSIC and m not in req.exclude}

    shots: list[ShotDraft] = []
    for shot in draft.shots:
        if shot.media_id not in usable:
            fixes.dropped.append(shot.media_id)
        elif shots and shots[-1].media_id == shot.media_id:
            shots[-1] = shots[-1].model_copy(update={"seconds": shots[-1].seconds + max(shot.seconds, 0.0)})
        else:
            shots.append(shot)
    if not shots:
        raise EmptyDraft("the draft names no media from this library")

    duration = baseline.duration
    order = [s.media_id for s in shots]
    asked = [s.seconds if s.seconds and s.seconds > 0 else 3.0 for s in shots]
    caps = [_cap(library, m) for m in order]
    fixes.clamped += sum(1 for d, c in zip(asked, caps, strict=True) if d > c + 1e-6 or d < MIN_SHOT)
    # a draft too short to fill the movie is topped up with the heuristic plan's unused shots
    while sum(caps) < duration:
        spare = next((s.media_id for s in baseline.segments if s.media_id not in order), None)
        if spare is None:
            break
        order.append(spare)
        asked.append(3.0)
        caps.append(_cap(library, spare))
        fixes.topped_up += 1
    lengths = _fill(asked, caps, duration)

    song_a = library.music.get(baseline.music.media_id) if baseline.music else None
    song = SongView(song_a, baseline.music.source_start if baseline.music else 0.0, duration)
    snapped = snap_cuts(lengths, song)
    fixes.snapped = sum(1 for a, b in zip(_cuts(lengths), _cuts(snapped), strict=False) if abs(a - b) > 0.02)
    # snapping may push a clip past its end: keep the clamp, give the remainder to the last shot
    snapped = [min(d, c) for d, c in zip(snapped, caps, strict=True)]
    snapped[-1] += duration - sum(snapped)
    if snapped[-1] < MIN_SHOT:
        snapped = lengths

    reasons = {s.media_id: s.reasoning[:200] for s in shots}
    segments = make_segments(order, snapped, song, library, req, reasons)
    wanted = {s.media_id: s for s in shots}
    segments = tuple(_trim(seg, wanted.get(seg.media_id), library, fixes) for seg in segments)

    used = set(order)
    left = [lo for lo in baseline.left_out if lo.media_id not in used]
    left += [LeftOut(media_id=m, reason="not chosen by the AI editor") for m in baseline_ids(baseline) - used]
    plan = EditPlan(
        duration=round(sum(s.duration for s in segments), 4),
        aspect=req.aspect,
        segments=segments,
        music=baseline.music,
        # the user's own title wins; the model's is a suggestion, kept short enough to render
        title=req.title
        if req.title is not None
        else (" ".join((draft.title or "").split())[:MAX_TITLE] or None),
        tempo=baseline.tempo,
        narrative_arc=(draft.narrative_arc or narrative(segments, library))[:400],
        variety_score=variety(segments, library),
        reasoning=(draft.reasoning or baseline.reasoning)[:600],
        request=request,
        left_out=tuple(left),
        planner="gemini",
    )
    return plan, fixes


def baseline_ids(plan: EditPlan) -> set[str]:
    return {s.media_id for s in plan.segments}


def _cuts(lengths: list[float]) -> list[float]:
    out, t = [], 0.0
    for d in lengths[:-1]:
        t += d
        out.append(t)
    return out


def _trim(seg: Segment, shot: ShotDraft | None, library: Library, fixes: Repairs) -> Segment:
    """The model's own trim for a clip when it gave one, moved inside the clip."""
    if seg.kind != MediaKind.VIDEO or shot is None or shot.source_start is None:
        return seg
    clip = _clip_length(library, seg.media_id)
    start = min(max(0.0, shot.source_start), max(0.0, clip - seg.duration))
    if abs(start - shot.source_start) > 1e-6 or (shot.source_end is not None and shot.source_end > clip):
        fixes.clamped += 1
    return seg.model_copy(
        update={"source_start": round(start, 3), "source_end": round(min(clip, start + seg.duration), 3)}
    )
