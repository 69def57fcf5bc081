"""The heuristic planner: the offline brain's edit, and the baseline the AI planner must beat."""

from __future__ import annotations

from pipeline.errors import NotEnoughMedia
from pipeline.models import EditPlan, LeftOut, Library, MediaKind, MusicCue, PlanRequest, Segment
from pipeline.planning.music import SongView, choose_offset, choose_song
from pipeline.planning.prompt import MOOD_PACE, find_media, parse_prompt
from pipeline.planning.selection import MIN_SHOT, PHOTO_MAX, Candidate, build_pool, by_rank, story_order
from pipeline.planning.shots import make_segments
from pipeline.planning.timeline import build_grid, fit_lengths, starts_of

MAX_DURATION = 600.0
MAX_FACTOR = 2.0  # shots at most ~2x their natural length before material is shown twice


def effective_request(request: PlanRequest, library: Library) -> tuple[PlanRequest, float]:
    """The request with the prompt's explicit asks filled in where the field was left unset,
    and the mood's pace factor."""
    asks = parse_prompt(request.prompt)
    update: dict = {}
    if request.duration is None and asks.duration is not None:
        update["duration"] = asks.duration
    mood = request.mood if request.mood != "auto" else (asks.mood or "auto")
    update["mood"] = mood
    mood_pace = MOOD_PACE.get(mood, 1.0)
    # prefer the keeper of a near-duplicate group and sharp shots when a word matches several
    losers = {g for group in library.duplicate_groups for g in group[1:]}
    weak = {m for m, p in library.photos.items() if p.is_blurry or p.is_dark}
    candidates = sorted(
        (m for m, it in library.items.items() if it.kind != MediaKind.MUSIC and m not in request.exclude),
        key=lambda m: (m in losers, m in weak),
    )
    if request.opening_id is None and asks.opening_word:
        update["opening_id"] = find_media(asks.opening_word, library, candidates)
    if request.closing_id is None and asks.closing_word:
        found = find_media(asks.closing_word, library, candidates)
        if found != update.get("opening_id", request.opening_id):
            update["closing_id"] = found
    return request.model_copy(update=update), mood_pace


def _derived_duration(good: list[Candidate], song_len: float | None) -> float:
    total = sum(3.0 if c.kind == MediaKind.PHOTO else min(c.max_len, 4.0) for c in good)
    total = max(8.0, total)
    if song_len:
        total = min(total, song_len)
    return round(min(total, MAX_DURATION), 1)


async def plan_edit(request: PlanRequest, library: Library, parent: EditPlan | None = None) -> EditPlan:
    return heuristic_plan(request, library, parent)


def heuristic_plan(request: PlanRequest, library: Library, parent: EditPlan | None = None) -> EditPlan:
    req, mood_pace = effective_request(request, library)
    pool = build_pool(req, library, parent)
    if not pool.good and not pool.reserves:
        raise NotEnoughMedia("There are no photos or clips to make a movie from yet: send a few first.")
    song_a = choose_song(req, library, req.mood, req.duration)
    duration = req.duration or _derived_duration(
        pool.good or pool.reserves, song_a.duration if song_a else None
    )
    offset = choose_offset(song_a, duration) if song_a else 0.0
    song = SongView(song_a, offset, duration)

    # how many shots: shots get longer until the material covers them
    good = by_rank(pool.good)
    reserves = by_rank(pool.reserves)
    factor = 1.0
    lengths = build_grid(song, duration, req.pace, mood_pace, factor)
    for _ in range(240):
        if len(lengths) <= len(good) or (len(lengths) <= len(good) + len(reserves) and factor >= 1.8):
            break
        if factor >= MAX_FACTOR:
            break  # longer shots would drag: show some material twice instead (below)
        factor *= 1.03  # fine steps: don't overshoot into fewer shots than the material allows
        lengths = build_grid(song, duration, req.pace, mood_pace, factor)
    if req.title:
        lengths = hold_opening(lengths, song)
    n = len(lengths)
    n_good = min(n, len(good))
    pins = [m for m in (req.opening_id, req.closing_id) if m]
    chosen = _take(good, n_good, pins, req.include)
    forced = reserves[: max(0, n - n_good)]
    material = len(chosen) + len(forced)
    if material < n and material < 2:  # one picture: one shot
        lengths = merge_to(lengths, material)
        n = len(lengths)
    elif material < n:
        # not enough material even with long shots: make the shots short enough for what
        # we have (a clip can't be held longer than it lasts), then show things again
        caps = [min(c.max_len, PHOTO_MAX) for c in chosen + forced]
        while duration / len(lengths) > sum(caps) / len(caps) and factor > 0.5:
            factor /= 1.03
            lengths = build_grid(song, duration, req.pace, mood_pace, factor)
        n = len(lengths)

    opening = req.opening_id if any(c.media_id == req.opening_id for c in chosen) else None
    closing = req.closing_id if any(c.media_id == req.closing_id for c in chosen) else None
    seq = story_order(chosen, req, parent, opening, closing)
    if len(seq) + len(forced) < n:  # good material shown again; fillers stay once, and short
        seq = _cycle(seq, n - len(forced), closing)
    seq = _insert_reserves(seq, forced, lengths)
    if len(seq) < len(lengths):  # defensive: every slot needs media
        lengths = merge_to(lengths, len(seq))
    lengths = fit_lengths(lengths, _caps(seq, lengths, duration), song)
    lengths = exact_lengths(lengths, duration)

    used = {c.media_id for c in seq}
    left = list(pool.left_out)
    left += [LeftOut(media_id=c.media_id, reason=c.reserve or "") for c in reserves if c.media_id not in used]
    left += [LeftOut(media_id=c.media_id, reason="no room") for c in good if c.media_id not in used]
    sent = {m: i for i, m in enumerate(library.items)}
    left.sort(key=lambda lo: sent.get(lo.media_id, 0))

    reasons = {c.media_id: _reason(c, library, req) for c in seq}
    if len({c.media_id for c in seq}) < len(seq):
        reasons = {
            m: r + "; shown more than once: not enough material for the length" for m, r in reasons.items()
        }
    segments = make_segments([c.media_id for c in seq], lengths, song, library, req, reasons)
    fade_out = round(min(2.0, duration / 4), 2)  # a short movie can't spend 2 s fading
    music = MusicCue(media_id=song_a.media_id, source_start=offset, fade_out=fade_out) if song_a else None
    return EditPlan(
        duration=round(sum(s.duration for s in segments), 4),
        aspect=req.aspect,
        segments=segments,
        music=music,
        title=req.title,
        tempo=song_a.tempo if song_a else None,
        narrative_arc=narrative(segments, library),
        variety_score=variety(segments, library),
        reasoning=_plan_reasoning(
            req, song_a.media_id if song_a else None, library, len(segments), mood_pace
        ),
        request=request,
        left_out=tuple(left),
        planner="heuristic",
    )


def _take(ranked: list[Candidate], n: int, pins: list[str], include: frozenset[str]) -> list[Candidate]:
    """The n best, with what the user pinned or asked for, and a share of clips: moving
    pictures lift a slideshow, so some make the cut even when photos score higher."""
    must = [c for c in ranked if c.media_id in pins or c.media_id in include]
    rest = [c for c in ranked if c not in must]
    chosen = (must + rest)[:n]
    clips = [c for c in rest if c.kind == MediaKind.VIDEO]
    quota = min(len(clips), max(1, n // 6)) if n >= 3 else 0
    missing = [c for c in clips if c not in chosen][
        : max(0, quota - sum(c.kind == MediaKind.VIDEO for c in chosen))
    ]
    for clip in missing:
        weakest = next((c for c in reversed(chosen) if c not in must and c.kind != MediaKind.VIDEO), None)
        if weakest is None:
            break
        chosen[chosen.index(weakest)] = clip
    return chosen


def _cycle(seq: list[Candidate], n: int, closing: str | None) -> list[Candidate]:
    """The sequence played again until it fills n shots; never the same item twice in a row,
    and a pinned closing shot stays last."""
    last = seq[-1] if closing and seq[-1].media_id == closing and len(seq) > 2 else None
    body = seq[:-1] if last else list(seq)
    out: list[Candidate] = []
    while len(out) < n - (1 if last else 0):
        before = len(out)
        for c in body:
            if len(out) >= n - (1 if last else 0):
                break
            if out and out[-1].media_id == c.media_id:
                continue
            out.append(c)
        if len(out) == before:
            break
    if last:
        if out and out[-1].media_id == last.media_id:
            out.pop()
        out.append(last)
    return out


def _insert_reserves(seq: list[Candidate], forced: list[Candidate], lengths: list[float]) -> list[Candidate]:
    """Blurry/dark items needed to fill go into the shortest slots (never first or last)."""
    if not forced:
        return seq
    n = len(seq) + len(forced)
    slots = set(sorted(range(n), key=lambda i: (i in (0, n - 1), lengths[i], i))[: len(forced)])
    out: list[Candidate] = []
    it_good, it_res = iter(seq), iter(forced)
    for i in range(n):
        out.append(next(it_res) if i in slots else next(it_good))
    return out


def _caps(seq: list[Candidate], lengths: list[float], duration: float) -> list[float]:
    """Longest shot per item. With blurry/dark fillers in the cut, they get the shortest
    shots and the good photos (scarce, or we wouldn't need fillers) take the rest."""
    if not any(c.reserve for c in seq):
        return [c.max_len for c in seq]
    good = [d for c, d in zip(seq, lengths, strict=True) if not c.reserve] or [2.0]
    short = max(1.0, 0.6 * min(good))
    return [short if c.reserve else duration if c.kind == MediaKind.PHOTO else c.max_len for c in seq]


TITLE_HOLD = 2.5  # seconds the opening shot stays so a title over it can be read


def hold_opening(lengths: list[float], song: SongView) -> list[float]:
    """With a title, the first cut moves to a later beat so the opening shot holds long enough."""
    total = sum(lengths)
    if len(lengths) < 2 or lengths[0] >= TITLE_HOLD or total < TITLE_HOLD + MIN_SHOT:
        return lengths
    cut = (
        song.nearest_beat(TITLE_HOLD + 0.25, TITLE_HOLD, min(TITLE_HOLD + 1.5, total - MIN_SHOT))
        or TITLE_HOLD
    )
    later = [c for c in starts_of(lengths)[1:] if c >= cut + MIN_SHOT]  # cuts inside the hold go
    bounds = [0.0, cut, *later, total]
    return [b - a for a, b in zip(bounds, bounds[1:], strict=False)]


def merge_to(lengths: list[float], n: int) -> list[float]:
    lengths = list(lengths)
    while len(lengths) > max(1, n):
        i = min(range(len(lengths) - 1), key=lambda k: (lengths[k] + lengths[k + 1], k))
        lengths[i : i + 2] = [lengths[i] + lengths[i + 1]]
    return lengths


def exact_lengths(lengths: list[float], duration: float) -> list[float]:
    """Round to 0.1 ms while keeping the sum exactly the target (last shot absorbs the rest)."""
    out = [round(x, 4) for x in lengths[:-1]]
    out.append(round(duration - sum(out), 4))
    return out


def _reason(c: Candidate, library: Library, req: PlanRequest) -> str:
    bits = []
    if c.media_id == req.opening_id:
        bits.append("you asked to open with it")
    if c.media_id == req.closing_id:
        bits.append("you asked to end on it")
    if c.media_id in req.include:
        bits.append("you asked for it")
    if c.reserve:
        bits.append(f"{c.reserve}, used briefly to fill the length")
    if c.has_faces:
        bits.append("has faces")
    p = library.photos.get(c.media_id)
    if p is not None and not c.reserve and p.quality >= 0.7:
        bits.append("sharp, well exposed")
    if c.kind == MediaKind.VIDEO:
        bits.append("best part of the clip")
    return "; ".join(bits) or "fits the story"


def narrative(segments: tuple[Segment, ...], library: Library) -> str:
    parts = []
    for beat in ("opening", "build", "peak", "resolution"):
        names = [library.items[s.media_id].original_name for s in segments if s.story_beat == beat]
        if names:
            parts.append(
                f"{beat}: {len(names)} shot{'s' * (len(names) != 1)} ({names[0]}{', …' * (len(names) > 1)})"
            )
    return "; ".join(parts)


def variety(segments: tuple[Segment, ...], library: Library) -> float:
    if not segments:
        return 0.0
    ids = [s.media_id for s in segments]
    unique = len(set(ids)) / len(ids)
    adjacent = sum(a == b for a, b in zip(ids, ids[1:], strict=False))
    kinds = {s.kind for s in segments}
    avail = {i.kind for i in library.items.values() if i.kind != MediaKind.MUSIC}
    mix = 1.0 if len(kinds) >= len(avail) else 0.8
    return round(max(0.0, unique * mix - 0.2 * adjacent), 3)


def _plan_reasoning(req: PlanRequest, song: str | None, library: Library, n: int, mood_pace: float) -> str:
    name = library.items[song].original_name if song and song in library.items else song
    pace = "faster" if mood_pace < 1 else "slower" if mood_pace > 1 else "even"
    return (
        f"{n} shots cut on the beats of {name or 'no music'}, shorter where the music is loud; "
        f"mood {req.mood} ({pace} pace); order {req.order}."
    )
