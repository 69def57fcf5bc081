"""Turning (media, start, length) slots into Segments: story beats, transitions, trims, motion."""

from __future__ import annotations

from pipeline.models import (
    ASPECT_SIZES,
    Library,
    MediaKind,
    PlanRequest,
    Segment,
    StoryBeat,
    Transition,
    TransitionKind,
)
from pipeline.planning.framing import photo_motion, static_frame
from pipeline.planning.music import SongView

PLAYFUL: tuple[TransitionKind, ...] = ("slideleft", "wipeleft", "circleopen", "slideup", "wiperight")
FIRST_FADE = 0.6  # the movie fades in from black


def story_beats(starts: list[float], lengths: list[float], song: SongView) -> list[StoryBeat]:
    """opening → build → peak (the strongest section inside the movie) → resolution."""
    n = len(starts)
    total = sum(lengths) or 1.0
    peak = song.peak_window()
    if peak is None or peak[1] - peak[0] < 0.5:
        peak = (0.55 * total, 0.85 * total)  # no sections known: a classic arc
    beats: list[StoryBeat] = []
    for i, (a, d) in enumerate(zip(starts, lengths, strict=True)):
        mid = a + d / 2
        if i == 0 or (mid < 0.12 * total and i < n - 1):
            beats.append("opening")
        elif i == n - 1 or (mid > 0.9 * total and n > 3):
            beats.append("resolution")
        elif peak[0] <= mid <= peak[1]:
            beats.append("peak")
        else:
            beats.append("build")
    if n >= 4 and "peak" not in beats:
        # the peak section fell between shot middles: the shot overlapping it most is the peak
        inner = range(1, n - 1)
        best = max(inner, key=lambda i: min(starts[i] + lengths[i], peak[1]) - max(starts[i], peak[0]))
        beats[best] = "peak"
    return beats


def transitions(
    starts: list[float], lengths: list[float], song: SongView, request: PlanRequest
) -> list[Transition]:
    out = (
        [Transition(kind="dip_black", duration=round(min(FIRST_FADE, lengths[0] / 2), 3))] if lengths else []
    )
    calm_bias = (
        0.15 if request.mood in ("calm", "slow", "nostalgic", "relaxed", "dreamy", "peaceful") else 0.0
    )
    downbeats = set()
    if song.song is not None:
        downbeats = {round(b - song.offset, 2) for b in song.song.downbeats}
    for i in range(1, len(starts)):
        room = 0.45 * min(lengths[i - 1], lengths[i])  # half of it eats into each neighbour
        energy = song.level_at(starts[i] - 0.5, 1.0)
        style = request.transition_style
        kind: TransitionKind
        if style == "cuts":
            kind, dur = "cut", 0.0
        elif style == "crossfades":
            kind, dur = "crossfade", 0.6
        elif style == "dips":
            kind, dur = "dip_black", 0.6
        elif style == "playful":
            kind, dur = PLAYFUL[i % len(PLAYFUL)], 0.5
        elif energy >= 0.6 - calm_bias or (energy >= 0.45 and round(starts[i], 2) in downbeats):
            kind, dur = "cut", 0.0  # hard cut on the beat where the music drives
        else:
            kind = "crossfade"
            dur = 0.8 - 0.5 * min(1.0, max(0.0, energy / 0.6))  # 0.8 s when calm, 0.3 s livelier
        dur = min(dur, room)
        if kind != "cut" and dur < 0.2:
            kind, dur = "cut", 0.0
        out.append(Transition(kind=kind, duration=round(dur, 3)))
    return out


def _overlap(a: float, b: float, used: list[tuple[float, float]]) -> float:
    return sum(max(0.0, min(b, y) - max(a, x)) for x, y in used)


def _trim(
    library: Library,
    media_id: str,
    length: float,
    margin_in: float,
    margin_out: float,
    used: list[tuple[float, float]] | None = None,
) -> tuple[float, float]:
    """Source in/out for a clip: inside its best segment, leaving half a transition each side;
    a clip shown again takes a part it hasn't shown yet where it can."""
    v = library.videos.get(media_id)
    item = library.items[media_id]
    clip = (v.duration if v else item.duration) or length
    need = length + margin_in + margin_out
    segs = sorted(v.best_segments, key=lambda s: (-s.score, s.start)) if v else []
    if used:
        fresh = [s for s in segs if _overlap(s.start, s.end, used) == 0]
        if not any(s.end - s.start >= length for s in fresh):
            # no unseen best part is long enough: the least-seen stretch of the whole clip
            steps = [k * 0.25 for k in range(int(max(0.0, clip - length) / 0.25) + 1)]
            start = min(steps, key=lambda a: (_overlap(a, a + length, used), a)) if steps else 0.0
            return round(start, 3), round(min(clip, start + length), 3)
        segs = fresh
    window = next(((s.start, s.end) for s in segs if s.end - s.start >= need), None)
    if window is None:
        window = next(((s.start, s.end) for s in segs if s.end - s.start >= length), (0.0, clip))
    centre = (window[0] + window[1]) / 2
    start = centre - length / 2
    start = min(
        max(start, margin_in, window[0] if window[1] - window[0] >= need else 0.0), clip - length - margin_out
    )
    start = max(0.0, start)
    end = min(clip, start + length)
    return round(start, 3), round(end, 3)


def clip_audio(library: Library, media_id: str, request: PlanRequest, has_music: bool) -> str:
    item = library.items[media_id]
    v = library.videos.get(media_id)
    has_audio = (v.has_audio if v else False) or item.has_audio
    if not has_audio or request.clip_audio == "mute":
        return "mute"
    if request.clip_audio in ("keep", "duck"):
        return request.clip_audio
    return "duck" if has_music else "keep"


def make_segments(
    order: list[str],
    lengths: list[float],
    song: SongView,
    library: Library,
    request: PlanRequest,
    reasons: dict[str, str],
) -> tuple[Segment, ...]:
    starts = [round(s, 4) for s in _starts(lengths)]
    beats = story_beats(starts, lengths, song)
    trans = transitions(starts, lengths, song, request)
    out_w, out_h = ASPECT_SIZES[request.aspect]
    aspect = out_w / out_h
    segments = []
    shown: dict[str, list[tuple[float, float]]] = {}
    for i, mid in enumerate(order):
        item = library.items[mid]
        d = lengths[i]
        energy = round(song.energy_at(starts[i], d), 3)
        half_in = trans[i].duration / 2
        half_out = trans[i + 1].duration / 2 if i + 1 < len(trans) else 0.0
        fields: dict = {}
        if item.kind == MediaKind.VIDEO:
            v = library.videos.get(mid)
            a, b = _trim(library, mid, d, half_in, half_out, shown.get(mid))
            shown.setdefault(mid, []).append((a, b))
            w, h = (v.width, v.height) if v else (item.width or out_w, item.height or out_h)
            fields = {
                "source_start": a,
                "source_end": b,
                "audio": clip_audio(library, mid, request, song.song is not None),
                "motion": static_frame(w, h, aspect, v.faces if v else ()),
            }
        else:
            p = library.photos.get(mid)
            w, h = (p.width, p.height) if p else (item.width or out_w, item.height or out_h)
            fields["motion"] = photo_motion(
                w,
                h,
                aspect,
                faces=p.faces if p else (),
                salient=p.salient if p else None,
                duration=d,
                zoom_in=(i % 2 == 0) != (beats[i] == "resolution"),  # the ending pulls back
            )
        segments.append(
            Segment(
                index=i,
                media_id=mid,
                kind=item.kind,
                timeline_start=starts[i],
                duration=round(d, 4),
                transition_in=trans[i],
                story_beat=beats[i],
                energy=energy,
                reasoning=reasons.get(mid, ""),
                caption=request.captions.get(mid),
                **fields,
            )
        )
    return tuple(segments)


def _starts(lengths: list[float]) -> list[float]:
    out, t = [], 0.0
    for d in lengths:
        out.append(t)
        t += d
    return out
