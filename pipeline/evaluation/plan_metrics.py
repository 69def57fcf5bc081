"""Objective metrics of an EditPlan (no rendering): the offline critic and the yardstick.

Each metric is 0..1 (1 = good) with a sentence when it falls short. Beats and energy are read
from the song's analysis, never from what the plan claims about itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.models import ASPECT_SIZES, Box, EditPlan, Library, MediaKind, Segment
from pipeline.planning.framing import contains, cover_width

BEAT_TOLERANCE = 0.05  # a cut within 50 ms of a beat reads as "on the beat"

WEIGHTS: dict[str, float] = {
    "duration": 0.15,
    "on_beat": 0.2,
    "energy_match": 0.1,
    "duplicates": 0.1,
    "quality": 0.1,
    "faces": 0.1,
    "variety": 0.1,
    "story_arc": 0.1,
    "shot_choice": 0.05,
    "chronology": 0.05,
    "transitions": 0.05,
    "flow": 0.05,
}

# words that say nothing about what a picture shows (orientation, file origin)
PLAIN_TAGS = frozenset(
    {"landscape", "portrait", "square", "neardup", "exif", "audio", "png", "jpg", "photo", "img", "left", "right",
     "crop", "official", "rot6", "speech"}
)  # fmt: skip


@dataclass(frozen=True)
class Metric:
    name: str
    score: float
    issue: str | None = None


def _name(library: Library, media_id: str) -> str:
    item = library.items.get(media_id)
    return item.original_name if item else media_id


def beats_in_movie(plan: EditPlan, library: Library) -> list[float]:
    if plan.music is None or plan.music.media_id not in library.music:
        return []
    off = plan.music.source_start
    return [b - off for b in library.music[plan.music.media_id].beats if 0 <= b - off <= plan.duration + 0.1]


def energy_under(plan: EditPlan, library: Library, seg: Segment) -> float | None:
    if plan.music is None or plan.music.media_id not in library.music:
        return None
    song = library.music[plan.music.media_id]
    if not song.energy:
        return None
    hop = song.energy_hop or 0.5
    a = int((seg.timeline_start + plan.music.source_start) / hop)
    b = int((seg.timeline_start + seg.duration + plan.music.source_start) / hop)
    a = min(max(a, 0), len(song.energy) - 1)
    b = min(max(b, a), len(song.energy) - 1)
    window = song.energy[a : b + 1]
    return sum(window) / len(window)


def cut_offsets(plan: EditPlan, library: Library) -> list[float]:
    """Distance from each cut to its nearest beat (seconds)."""
    beats = beats_in_movie(plan, library)
    if not beats:
        return []
    # past the song's last beat there is nothing to cut on (a movie longer than its song)
    return [min(abs(c - b) for b in beats) for c in plan.cut_times() if c <= beats[-1] + 0.5]


def m_duration(plan: EditPlan, library: Library) -> Metric:
    target = plan.request.duration or plan.duration
    actual = sum(s.duration for s in plan.segments)
    err = abs(actual - target)
    score = max(0.0, 1.0 - max(0.0, err - 0.1) / 3.0)
    issue = f"lasts {actual:.1f} s instead of {target:.1f} s" if err > 0.5 else None
    return Metric("duration", score, issue)


def m_on_beat(plan: EditPlan, library: Library) -> Metric:
    offs = cut_offsets(plan, library)
    if not offs:
        return Metric("on_beat", 1.0)
    share = sum(o <= BEAT_TOLERANCE for o in offs) / len(offs)
    score = min(1.0, share / 0.9)
    issue = None
    if share < 0.8:
        off = len(offs) - round(share * len(offs))
        issue = f"{off} of {len(offs)} cuts miss the beat"
    return Metric("on_beat", score, issue)


def _corr(xs: list[float], ys: list[float]) -> float | None:
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    vx = sum((x - mx) ** 2 for x in xs)
    vy = sum((y - my) ** 2 for y in ys)
    if vx < 1e-9 or vy < 1e-6:
        return None
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / (vx * vy) ** 0.5


def energy_correlation(plan: EditPlan, library: Library) -> float | None:
    inner = plan.segments[:-1] if len(plan.segments) > 4 else plan.segments  # the last shot is a remainder
    pairs = [(s.duration, e) for s in inner if (e := energy_under(plan, library, s)) is not None]
    if len(pairs) < 4:
        return None
    return _corr([p[0] for p in pairs], [p[1] for p in pairs])


def m_energy(plan: EditPlan, library: Library) -> Metric:
    r = energy_correlation(plan, library)
    if r is None:
        return Metric("energy_match", 1.0)
    score = min(1.0, max(0.0, 0.6 - 1.4 * r))  # r <= -0.3 scores 1, r = 0 scores 0.6
    issue = (
        None if r < 0 else f"shot lengths don't follow the music (longer shots where it's louder, r={r:+.2f})"
    )
    return Metric("energy_match", score, issue)


def m_duplicates(plan: EditPlan, library: Library) -> Metric:
    used = {s.media_id for s in plan.segments}
    shown = []
    for group in library.duplicate_groups:
        members = [g for g in group if g in used and g not in plan.request.include]
        if len(members) >= 2:
            shown.append(members)
    if not shown:
        return Metric("duplicates", 1.0)
    names = " and ".join(_name(library, m) for m in shown[0][:2])
    return Metric("duplicates", max(0.0, 1.0 - 0.5 * len(shown)), f"near-duplicates both shown: {names}")


def m_quality(plan: EditPlan, library: Library) -> Metric:
    bad: list[tuple[Segment, str]] = []
    for s in plan.segments:
        p = library.photos.get(s.media_id)
        if p is None or s.media_id in plan.request.include:
            continue
        if p.is_blurry or p.is_dark:
            bad.append((s, "blurry" if p.is_blurry else "too dark"))
    if not bad:
        return Metric("quality", 1.0)
    share = sum(s.duration for s, _ in bad) / max(plan.duration, 1e-6)
    score = max(0.0, 1.0 - 0.15 * len(bad) - 2.0 * share)
    s, why = bad[0]
    return Metric("quality", score, f"{_name(library, s.media_id)} is {why} but shown for {s.duration:.1f} s")


def frame_boxes(plan: EditPlan, library: Library, seg: Segment) -> list[Box]:
    if seg.motion is not None:
        return [seg.motion.start, seg.motion.end]
    # no motion: the renderer's default is a centred cover crop
    w, h = ASPECT_SIZES[plan.aspect]
    p = library.photos.get(seg.media_id) or library.videos.get(seg.media_id)
    if p is None:
        return []
    s = p.width / max(1, p.height)
    bw = cover_width(s, w / h)
    bh = bw * s / (w / h)
    return [Box(x=0.5 - bw / 2, y=0.5 - bh / 2, w=bw, h=bh)]


def m_faces(plan: EditPlan, library: Library) -> Metric:
    total = cut = 0
    first: Segment | None = None
    for s in plan.segments:
        a = library.photos.get(s.media_id) or library.videos.get(s.media_id)
        if a is None or not a.faces:
            continue
        for box in frame_boxes(plan, library, s):
            for f in a.faces:
                total += 1
                if not contains(box, f, tol=0.002):
                    cut += 1
                    first = first or s
    if total == 0 or cut == 0 or first is None:
        return Metric("faces", 1.0)
    return Metric(
        "faces",
        max(0.0, 1.0 - cut / total * 2),
        f"a face is cut by the frame in {_name(library, first.media_id)}",
    )


def m_variety(plan: EditPlan, library: Library) -> Metric:
    ids = [s.media_id for s in plan.segments]
    if not ids:
        return Metric("variety", 0.0, "the movie has no shots")
    adjacent = sum(a == b for a, b in zip(ids, ids[1:], strict=False))
    # repeats are only a fault when unused material could have filled those shots
    dup_losers = {g for group in library.duplicate_groups for g in group[1:]}
    usable = sum(
        1
        for m, it in library.items.items()
        if it.kind != MediaKind.MUSIC and m not in plan.request.exclude and m not in dup_losers
    )
    repeats = max(0, len(ids) - len(set(ids)) - max(0, len(ids) - usable))
    score = 1.0 - 0.3 * adjacent - 0.1 * max(0, repeats - adjacent)
    kinds = {s.kind for s in plan.segments}
    avail = {
        i.kind
        for i in library.items.values()
        if i.kind != MediaKind.MUSIC and i.id not in plan.request.exclude
    }
    issue = None
    if adjacent:
        issue = "the same shot appears twice in a row"
    elif repeats:
        issue = f"{repeats} shot{'s' * (repeats > 1)} repeated"
    if len(avail) > len(kinds):
        score -= 0.15
        issue = issue or "only photos or only clips are used although both were sent"
    return Metric("variety", max(0.0, score), issue)


def m_story(plan: EditPlan, library: Library) -> Metric:
    segs = plan.segments
    if len(segs) < 3:
        return Metric("story_arc", 1.0)
    score = 0.0
    missing = []
    if segs[0].story_beat == "opening":
        score += 0.25
    else:
        missing.append("an opening")
    if segs[-1].story_beat == "resolution":
        score += 0.25
    else:
        missing.append("a resolution")
    peaks = [s for s in segs if s.story_beat == "peak"]
    window = _peak_window(plan, library)
    if peaks and window is None:
        score += 0.4
    elif peaks and window is not None:
        hit = any(s.timeline_start < window[1] and s.timeline_start + s.duration > window[0] for s in peaks)
        score += 0.4 if hit else 0.15
        if not hit:
            missing.append("the peak on the song's strongest part")
    else:
        missing.append("a peak")
    strength = peak_strength(plan, library)
    score += 0.1 * strength
    if strength < 0.5:
        missing.append("its strongest shots at the peak")
    return Metric("story_arc", score, ("the story lacks " + ", ".join(missing)) if missing else None)


def peak_strength(plan: EditPlan, library: Library) -> float:
    """1 when the peak's shots are at least as good as the movie's average, less when weaker."""
    peaks = [quality_of(library, s.media_id) for s in plan.segments if s.story_beat == "peak"]
    if not peaks:
        return 0.0
    every = [quality_of(library, s.media_id) for s in plan.segments]
    gap = sum(peaks) / len(peaks) - sum(every) / len(every)
    return min(1.0, max(0.0, 1.0 + gap * 10))


def _peak_window(plan: EditPlan, library: Library) -> tuple[float, float] | None:
    if plan.music is None or plan.music.media_id not in library.music:
        return None
    off = plan.music.source_start
    inside = [
        (max(0.0, s.start - off), min(plan.duration, s.end - off), s.energy)
        for s in library.music[plan.music.media_id].sections
        if s.end - off > 0 and s.start - off < plan.duration
    ]
    if not inside:
        return None
    a, b, _ = max(inside, key=lambda x: (x[2], -x[0]))
    return (a, b)


def quality_of(library: Library, media_id: str) -> float:
    a = library.photos.get(media_id) or library.videos.get(media_id)
    return a.quality if a is not None else 0.5


def m_shot_choice(plan: EditPlan, library: Library) -> Metric:
    """Mean quality of the shots against the best the library could have offered."""
    used = [s.media_id for s in plan.segments]
    if not used:
        return Metric("shot_choice", 0.0)
    dup_losers = {g for group in library.duplicate_groups for g in group[1:]}
    pool = sorted(
        (
            quality_of(library, m)
            for m, it in library.items.items()
            if it.kind != MediaKind.MUSIC and m not in plan.request.exclude and m not in dup_losers
        ),
        reverse=True,
    )
    best = pool[: len(set(used))] or [1.0]
    mean_used = sum(quality_of(library, m) for m in set(used)) / len(set(used))
    ratio = mean_used / max(1e-6, sum(best) / len(best))
    score = min(1.0, max(0.0, (ratio - 0.7) / 0.28))
    issue = None if score >= 0.95 else "weaker shots are used while better ones sit unused"
    return Metric("shot_choice", score, issue)


def m_chronology(plan: EditPlan, library: Library) -> Metric:
    """Where capture times exist (and the user didn't ask for 'as sent'), time runs forward."""
    if plan.request.order == "as_sent":
        return Metric("chronology", 1.0)
    pins = {plan.request.opening_id, plan.request.closing_id}
    times = []
    first_uses = {s.media_id: s for s in reversed(plan.segments)}  # a repeat isn't a time jump
    for s in sorted(first_uses.values(), key=lambda s: s.index):
        a = library.photos.get(s.media_id) or library.videos.get(s.media_id)
        item = library.items.get(s.media_id)
        t = (a.capture_time if a else None) or (item.capture_time if item else None)
        if s.media_id not in pins:
            times.append(t)
    dated = [t.replace(tzinfo=None) for t in times if t is not None]
    if len(dated) < 3 or len(dated) < len(times) / 2:
        return Metric("chronology", 1.0)
    backwards = sum(b < a for a, b in zip(dated, dated[1:], strict=False))
    score = 1.0 - backwards / (len(dated) - 1)
    issue = f"{backwards} shots jump back in time" if backwards else None
    return Metric("chronology", score, issue)


def m_transitions(plan: EditPlan, library: Library) -> Metric:
    """A transition straddles its cut, so it must fit in half of each neighbouring shot."""
    segs = plan.segments
    bad = 0
    for prev, cur in zip(segs, segs[1:], strict=False):
        d = cur.transition_in.duration
        if cur.transition_in.kind != "cut" and d > 0.5 * min(prev.duration, cur.duration) + 1e-6:
            bad += 1
    if segs and segs[0].transition_in.duration > segs[0].duration + 1e-6:
        bad += 1
    if not bad:
        return Metric("transitions", 1.0)
    return Metric(
        "transitions",
        max(0.0, 1.0 - bad / max(1, len(segs) - 1) * 3),
        f"{bad} transitions are longer than their shots allow",
    )


def content_tags(library: Library, media_id: str) -> frozenset[str]:
    return frozenset(t for t in library.tags_of(media_id) if t not in PLAIN_TAGS)


def likeness(library: Library, a: Segment, b: Segment) -> float:
    """How alike two neighbouring shots feel: shared content tags, and two clips back to back."""
    ta, tb = content_tags(library, a.media_id), content_tags(library, b.media_id)
    tags = len(ta & tb) / len(ta | tb) if ta and tb else 0.0
    return min(1.0, tags + (0.5 if a.kind == b.kind == MediaKind.VIDEO else 0.0))


def m_flow(plan: EditPlan, library: Library) -> Metric:
    """Neighbouring shots should differ: alike shots back to back feel like a repeat."""
    # the same shot twice in a row is variety's fault, not counted again here
    pairs = [
        (a, b) for a, b in zip(plan.segments, plan.segments[1:], strict=False) if a.media_id != b.media_id
    ]
    if not pairs:
        return Metric("flow", 1.0)
    sims = [likeness(library, a, b) for a, b in pairs]
    score = max(0.0, 1.0 - 1.5 * sum(sims) / len(sims))
    worst = max(range(len(sims)), key=lambda i: (sims[i], -i))
    issue = None
    if sims[worst] >= 0.5:
        a, b = pairs[worst]
        issue = f"{_name(library, a.media_id)} and {_name(library, b.media_id)} look alike back to back"
    return Metric("flow", score, issue)


ALL = (
    m_duration,
    m_on_beat,
    m_energy,
    m_duplicates,
    m_quality,
    m_faces,
    m_variety,
    m_story,
    m_shot_choice,
    m_chronology,
    m_transitions,
    m_flow,
)
