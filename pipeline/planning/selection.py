"""Which media may appear, how good each one is, and in what order they tell the story."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pipeline.models import EditPlan, LeftOut, Library, MediaKind, PlanRequest

PHOTO_MAX = 7.0  # a still held longer than this feels stuck, whatever the pace
MIN_SHOT = 0.6  # below this a shot is a flicker


@dataclass(frozen=True)
class Candidate:
    media_id: str
    kind: MediaKind
    name: str
    score: float  # higher = show it sooner / keep it when room is short
    sent: int  # position as sent
    capture_time: datetime | None
    max_len: float  # longest shot this item can fill
    reserve: str | None = None  # "blurry" / "too dark": used only when needed to fill
    has_faces: bool = False


@dataclass(frozen=True)
class Pool:
    good: list[Candidate]
    reserves: list[Candidate]
    left_out: list[LeftOut]


def _video_max(library: Library, media_id: str) -> float:
    v = library.videos.get(media_id)
    item = library.items[media_id]
    duration = (v.duration if v else item.duration) or 0.0
    if v and v.best_segments:
        longest = max(s.end - s.start for s in v.best_segments)
        if longest >= 1.5:
            return max(MIN_SHOT, min(longest, duration))
    return max(MIN_SHOT, duration - 0.2)


def _score(library: Library, media_id: str, kind: MediaKind) -> tuple[float, bool]:
    if kind == MediaKind.PHOTO:
        p = library.photos.get(media_id)
        if p is None:
            return 0.4, False
        faces = bool(p.faces)
        sharp = min(1.0, p.sharpness / 400.0)
        return p.quality + 0.15 * faces + 0.05 * sharp + 0.02 * min(1.0, p.colourfulness / 60), faces
    v = library.videos.get(media_id)
    if v is None:
        return 0.45, False
    best = max((s.score for s in v.best_segments), default=v.quality)
    return 0.5 * v.quality + 0.5 * best + 0.1 + 0.05 * bool(v.faces), bool(v.faces)


def build_pool(request: PlanRequest, library: Library, parent: EditPlan | None) -> Pool:
    """Sort every photo/video into usable, reserve (blurry/dark) or left out (with a reason)."""
    left_out: list[LeftOut] = []
    parent_ids = {s.media_id for s in parent.segments} if parent else set()
    visuals = [(i, m) for i, m in enumerate(library.items.values()) if m.kind != MediaKind.MUSIC]
    present = {m.id for _, m in visuals}

    dup_of: dict[str, str] = {}
    for group in library.duplicate_groups:
        members = [g for g in group if g in present and g not in request.exclude]
        if not members:
            continue
        # the keeper: one the user asked for, else the one already in the movie, else the best
        pins = (request.opening_id, request.closing_id)
        keeper = next((g for g in members if g in request.include or g in pins), None)
        keeper = keeper or next((g for g in members if g in parent_ids), None) or members[0]
        for g in members:
            if g != keeper and g not in request.include:
                dup_of[g] = keeper

    good: list[Candidate] = []
    reserves: list[Candidate] = []
    for sent, item in visuals:
        mid = item.id
        if mid in request.exclude:
            left_out.append(LeftOut(media_id=mid, reason="excluded by you"))
            continue
        if mid in dup_of:
            left_out.append(
                LeftOut(media_id=mid, reason=f"near-duplicate of {library.items[dup_of[mid]].original_name}")
            )
            continue
        score, faces = _score(library, mid, item.kind)
        reserve = None
        if item.kind == MediaKind.PHOTO:
            p = library.photos.get(mid)
            if (
                p is not None
                and mid not in request.include
                and mid not in (request.opening_id, request.closing_id)
            ):
                reserve = "blurry" if p.is_blurry else "too dark" if p.is_dark else None
            max_len = PHOTO_MAX
            capture = p.capture_time if p and p.capture_time else item.capture_time
        else:
            v = library.videos.get(mid)
            max_len = _video_max(library, mid)
            capture = v.capture_time if v and v.capture_time else item.capture_time
        if mid in request.include or mid in (request.opening_id, request.closing_id):
            score += 1.0
        if mid in parent_ids:
            score += 0.5  # a refinement keeps what the user already saw
        cand = Candidate(
            mid, item.kind, item.original_name, round(score, 6), sent, capture, max_len, reserve, faces
        )
        (reserves if reserve else good).append(cand)
    return Pool(good=good, reserves=reserves, left_out=left_out)


def by_rank(cands: list[Candidate]) -> list[Candidate]:
    return sorted(cands, key=lambda c: (-c.score, c.sent, c.media_id))


def use_chronology(request: PlanRequest, cands: list[Candidate]) -> bool:
    if request.order == "chronological":
        return True
    if request.order == "as_sent":
        return False
    dated = sum(c.capture_time is not None for c in cands)
    return dated >= max(2, len(cands) / 2)


def story_order(
    chosen: list[Candidate],
    request: PlanRequest,
    parent: EditPlan | None,
    opening: str | None,
    closing: str | None,
) -> list[Candidate]:
    """The sequence: chronological (capture time) or as sent, videos spread out, the parent's
    order kept on a refinement, opening/closing pinned; never the same clip twice in a row."""
    if use_chronology(request, chosen):
        far_future = datetime.max.replace(tzinfo=None)

        def key(c: Candidate) -> tuple[int, datetime, int]:
            t = c.capture_time.replace(tzinfo=None) if c.capture_time else far_future
            return (c.capture_time is None, t, c.sent)

        seq = sorted(chosen, key=key)
    else:
        seq = sorted(chosen, key=lambda c: c.sent)
        seq = _spread_videos(seq)

    if parent is not None and parent.request.order == request.order:
        seq = _keep_parent_order(seq, parent)

    for pin, at_end in ((opening, False), (closing, True)):
        if pin is None:
            continue
        found = [c for c in seq if c.media_id == pin]
        if found:
            seq = [c for c in seq if c.media_id != pin]
            seq = [*seq, found[0]] if at_end else [found[0], *seq]
    return seq


def _spread_videos(seq: list[Candidate]) -> list[Candidate]:
    """As sent, but clips evenly through the photos, so the kinds mix (no block of clips)."""
    videos = [c for c in seq if c.kind == MediaKind.VIDEO]
    photos = [c for c in seq if c.kind != MediaKind.VIDEO]
    if not videos or not photos:
        return seq
    out: list[Candidate] = []
    step = (len(photos) + 1) / (len(videos) + 1)
    slots = {round(step * (k + 1)) - 1 for k in range(len(videos))}
    vi = iter(videos)
    for i, p in enumerate(photos):
        out.append(p)
        if i in slots:
            out.append(next(vi))
    out.extend(vi)
    return out


def _keep_parent_order(seq: list[Candidate], parent: EditPlan) -> list[Candidate]:
    """Items from the parent movie keep their relative order; new items slot in after the
    item that precedes them in the base order."""
    rank: dict[str, int] = {}
    for s in parent.segments:
        rank.setdefault(s.media_id, len(rank))
    old = sorted((c for c in seq if c.media_id in rank), key=lambda c: rank[c.media_id])
    out = list(old)
    for i, c in enumerate(seq):
        if c.media_id in rank:
            continue
        prev = next((seq[j] for j in range(i - 1, -1, -1) if seq[j] in out), None)
        out.insert(out.index(prev) + 1 if prev is not None else 0, c)
    return out
