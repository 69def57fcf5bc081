"""The rule-based refiner: fix what the metric critic found, keep everything else.

Content fixes (duplicates, blurry/dark shots, repeats, weak shots) swap in unused better media in
the same place; timing fixes rebuild the cut grid for the same sequence (on the beats, lengths
following the energy, exact duration). A part the critic scored fine is left alone.
"""

from __future__ import annotations

from datetime import datetime

from pipeline.models import Critique, EditPlan, LeftOut, Library, MediaKind, PlanRequest
from pipeline.planning.music import SongView, choose_offset, choose_song
from pipeline.planning.planner import (
    effective_request,
    exact_lengths,
    hold_opening,
    merge_to,
    narrative,
    variety,
)
from pipeline.planning.polish import polish_order
from pipeline.planning.selection import Candidate, build_pool, by_rank, use_chronology
from pipeline.planning.shots import make_segments, story_beats
from pipeline.planning.timeline import build_grid, fit_lengths, snap_cuts, starts_of

FINE = 0.97


def _needs(critique: Critique, *names: str) -> bool:
    return any(critique.parts.get(n, 1.0) < FINE for n in names)


def refine_plan_sync(plan: EditPlan, critique: Critique, library: Library) -> EditPlan:
    req, mood_pace = effective_request(plan.request, library)
    pool = build_pool(req, library, None)
    by_id: dict[str, Candidate] = {c.media_id: c for c in pool.good + pool.reserves}
    seq = [
        s.media_id
        for s in plan.segments
        if s.media_id in library.items and library.items[s.media_id].kind != MediaKind.MUSIC
    ]
    pinned = {m for m in (req.opening_id, req.closing_id) if m} | set(req.include)
    spares = [c for c in by_rank(pool.good) if c.media_id not in seq]
    removed: dict[str, str] = {}

    def replace(i: int, why: str, keep_if_no_spare: bool = False) -> None:
        old = seq[i]
        neighbours = {seq[j] for j in (i - 1, i + 1) if 0 <= j < len(seq)}
        pick = next((c for c in spares if c.media_id not in neighbours and c.media_id not in seq), None)
        if pick is not None:
            spares.remove(pick)
            seq[i] = pick.media_id
        elif keep_if_no_spare:
            return  # a blurry shot beats a hole when nothing better is left
        else:
            seq[i] = ""  # dropped below
        if old not in seq:
            removed[old] = why

    if _needs(critique, "duplicates", "quality", "variety", "shot_choice"):
        # a near-duplicate goes only when another of its group is shown too; the shown keeper
        # is the pinned one, else the group's best
        shown = set(seq)
        losers: dict[str, str] = {}
        for group in library.duplicate_groups:
            members = [g for g in group if g in shown]
            if len(members) < 2:
                continue
            keeper = next((g for g in members if g in pinned), members[0])
            losers.update({g: keeper for g in members if g != keeper and g not in pinned})
        seen: set[str] = set()
        reserve_ids = {c.media_id for c in pool.reserves}
        for i, mid in enumerate(list(seq)):
            p = library.photos.get(mid)
            if i > 0 and seq[i - 1] == mid:
                replace(i, "no room")  # the same shot twice in a row
            elif mid in seen and mid not in pinned:
                replace(i, "no room", keep_if_no_spare=True)  # a repeat is fine when material is short
            elif mid in losers or (mid in reserve_ids and mid not in pinned):
                reason = (
                    f"near-duplicate of {library.items[losers[mid]].original_name}"
                    if mid in losers
                    else "no room"
                )
                if p is not None and mid not in losers:
                    reason = "blurry" if p.is_blurry else "too dark" if p.is_dark else reason
                replace(i, reason, keep_if_no_spare=mid not in losers)
            elif mid in req.exclude:
                replace(i, "excluded by you")
            seen.add(seq[i])
        seq = [m for m in seq if m]
        if not seq:
            return plan
        if _needs(critique, "shot_choice"):
            _swap_weak(seq, spares, pinned, by_id, removed)

    if _needs(critique, "chronology") and len(set(seq)) == len(seq):
        seq = _chronological(seq, library, req)

    song_a = library.music.get(plan.music.media_id) if plan.music else choose_song(req, library, req.mood)
    duration = req.duration or plan.duration
    offset = plan.music.source_start if plan.music else (choose_offset(song_a, duration) if song_a else 0.0)
    song = SongView(song_a, offset, duration)

    lengths = [s.duration for s in plan.segments] if len(seq) == len(plan.segments) else []
    if lengths and abs(sum(lengths) - duration) <= 0.05 and not _needs(critique, "energy_match"):
        if _needs(critique, "on_beat"):
            lengths = snap_cuts(lengths, song)  # the lightest fix: each cut to its nearest beat
    else:
        lengths = _grid_for(len(seq), song, duration, req.pace, mood_pace)
        if req.title:
            lengths = hold_opening(lengths, song)
    if len(lengths) < len(seq):  # the song's grid can't hold every shot: the weakest go
        weakest = sorted(seq, key=lambda m: (m in pinned, by_id[m].score if m in by_id else 0.0))
        for m in weakest[: len(seq) - len(lengths)]:
            removed[m] = "no room"
        seq = [m for m in seq if m not in removed]
    seq = _no_repeats_in_a_row(seq)
    lengths = fit_lengths(lengths[: len(seq)], [by_id[m].max_len if m in by_id else 7.0 for m in seq], song)
    lengths = exact_lengths(lengths, duration)

    if (
        _needs(critique, "flow", "story_arc")
        and req.order != "as_sent"
        and not use_chronology(req, list(by_id.values()))
    ):
        # photos only: a clip's or a filler's slot length was fitted to that very item
        fixed = pinned | {
            m for m in seq if m not in by_id or by_id[m].reserve or by_id[m].kind == MediaKind.VIDEO
        }
        beats = story_beats(starts_of(lengths), lengths, song)
        seq = polish_order(seq, beats, library, fixed)

    reasons = {s.media_id: s.reasoning for s in plan.segments}
    for m in seq:
        reasons.setdefault(m, "swapped in by the critic's review: a stronger shot")
    segments = make_segments(seq, lengths, song, library, req, reasons)
    used = set(seq)
    left = [lo for lo in plan.left_out if lo.media_id not in used]
    left += [LeftOut(media_id=m, reason=r) for m, r in removed.items() if m not in used]
    sent = {m: i for i, m in enumerate(library.items)}
    left.sort(key=lambda lo: sent.get(lo.media_id, 0))
    return plan.model_copy(
        update={
            "duration": round(sum(s.duration for s in segments), 4),
            "segments": segments,
            "left_out": tuple(left),
            "narrative_arc": narrative(segments, library),
            "variety_score": variety(segments, library),
            "reasoning": (plan.reasoning + " Refined: " + "; ".join(critique.issues[:3])).strip(),
        }
    )


def _swap_weak(
    seq: list[str],
    spares: list[Candidate],
    pinned: set[str],
    by_id: dict[str, Candidate],
    removed: dict[str, str],
) -> None:
    for _ in range(3):
        movable = [i for i, m in enumerate(seq) if m not in pinned and m in by_id]
        if not movable or not spares:
            return
        i = min(movable, key=lambda k: (by_id[seq[k]].score, k))
        best = spares[0]
        if best.score <= by_id[seq[i]].score + 0.05:
            return
        # a clip must stay a clip slot's worth: only swap like for like when it's a video
        if by_id[seq[i]].kind == MediaKind.VIDEO and best.kind != MediaKind.VIDEO:
            return
        removed[seq[i]] = "no room"
        seq[i] = best.media_id
        spares.pop(0)


def _grid_for(n: int, song: SongView, duration: float, pace: dict, mood_pace: float) -> list[float]:
    """A beat grid with exactly n shots where possible (search the shot-length factor)."""
    best: list[float] | None = None
    factor = 0.4
    while factor < 8:
        lengths = build_grid(song, duration, pace, mood_pace, factor)
        if len(lengths) == n:
            return lengths
        if len(lengths) >= n and (best is None or len(lengths) < len(best)):
            best = lengths
        factor *= 1.03
    if best is None:
        return build_grid(song, duration, pace, mood_pace, 0.4)
    return merge_to(best, n)


def _chronological(seq: list[str], library: Library, req: PlanRequest) -> list[str]:
    """Dated shots back in capture order, in the slots dated shots held; pins stay put."""
    pins = {req.opening_id, req.closing_id}

    def when(m: str) -> datetime | None:
        a = library.photos.get(m) or library.videos.get(m)
        t = (a.capture_time if a else None) or library.items[m].capture_time
        return t.replace(tzinfo=None) if t else None

    slots = [i for i, m in enumerate(seq) if m not in pins and when(m) is not None]
    ordered = sorted((seq[i] for i in slots), key=lambda m: (when(m), m))
    out = list(seq)
    for i, m in zip(slots, ordered, strict=True):
        out[i] = m
    return out


def _no_repeats_in_a_row(seq: list[str]) -> list[str]:
    out: list[str] = []
    for m in seq:
        if out and out[-1] == m:
            continue
        out.append(m)
    return out
