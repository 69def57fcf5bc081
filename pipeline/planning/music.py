"""The song as the planner sees it: which song, where it starts, and its beats/energy in movie time."""

from __future__ import annotations

from bisect import bisect_left

from pipeline.models import Library, MusicAnalysis, MusicSection, PlanRequest

FAST_MOODS = {"upbeat", "energetic", "fast", "punchy", "hype", "party"}
SLOW_MOODS = {"calm", "slow", "relaxed", "gentle", "nostalgic", "dreamy", "peaceful", "emotional"}


def choose_song(
    request: PlanRequest, library: Library, mood: str | None, duration: float | None = None
) -> MusicAnalysis | None:
    if request.music_id and request.music_id in library.music:
        return library.music[request.music_id]
    if not library.music:
        return None

    def fit(m: MusicAnalysis) -> tuple[float, str]:
        mean_energy = sum(m.energy) / len(m.energy) if m.energy else 0.5
        tempo = m.tempo if m.tempo < 170 else m.tempo / 2  # octave errors: treat 190 as 95
        liveliness = 0.5 * mean_energy + 0.5 * min(1.0, max(0.0, (tempo - 70) / 80))
        if mood in FAST_MOODS:
            score = liveliness
        elif mood in SLOW_MOODS:
            score = 1 - liveliness
        else:
            score = 0.5 + 0.2 * min(1.0, m.duration / 90)  # long enough for most movies
        score += 0.1 * (len(m.beats) > 8)
        if duration and m.duration < duration:
            score -= 0.3  # the music would stop before the movie does
        return (-score, m.media_id)

    return sorted(library.music.values(), key=fit)[0]


def peak_section(song: MusicAnalysis) -> MusicSection | None:
    if not song.sections:
        return None
    return max(song.sections, key=lambda s: (s.energy, s.label == "peak", -s.start))


def choose_offset(song: MusicAnalysis, duration: float) -> float:
    """Where in the song the movie starts: so the song's peak lands ~65 % into the movie,
    snapped to a beat so the first cut pattern starts on the pulse."""
    room = max(0.0, song.duration - duration)
    if room <= 0:
        return 0.0
    peak = peak_section(song)
    target = 0.0 if peak is None else peak.start - 0.65 * duration
    target = min(max(target, 0.0), room)
    if song.downbeats or song.beats:
        grid = [b for b in (song.downbeats or song.beats) if b <= room + 1e-6]
        if grid:
            target = min(grid, key=lambda b: (abs(b - target), b))
    return round(target, 3)


class SongView:
    """Beats, energy and sections shifted into movie time (0 = first frame of the movie)."""

    def __init__(self, song: MusicAnalysis | None, offset: float, duration: float) -> None:
        self.song = song
        self.offset = offset
        self.duration = duration
        self._lohi = self._percentiles(song)
        if song is None:
            self.beats: list[float] = []
        else:
            self.beats = [round(b - offset, 4) for b in song.beats if 0 < b - offset < duration]

    def level_at(self, t: float, width: float = 0.0) -> float:
        """Energy with the song's own contrast stretched: a song that is loud throughout still
        has quieter and louder stretches, and the cut should feel them (half absolute, half
        relative to the song's 10th..90th percentile)."""
        e = self.energy_at(t, width)
        lo, hi = self._lohi
        rel = (e - lo) / (hi - lo) if hi - lo > 0.05 else 0.5
        return 0.5 * e + 0.5 * min(1.0, max(0.0, rel))

    @staticmethod
    def _percentiles(song: MusicAnalysis | None) -> tuple[float, float]:
        if song is None or len(song.energy) < 4:
            return (0.0, 1.0)
        ranked = sorted(song.energy)
        return (ranked[len(ranked) // 10], ranked[(len(ranked) * 9) // 10])

    def energy_at(self, t: float, width: float = 0.0) -> float:
        """Mean energy over [t, t + width] (or at t), 0.5 when the song says nothing."""
        song = self.song
        if song is None or not song.energy:
            return 0.5
        hop = song.energy_hop or 0.5
        i0 = int(max(0.0, t + self.offset) / hop)
        i1 = int(max(0.0, t + width + self.offset) / hop)
        i0 = min(i0, len(song.energy) - 1)
        i1 = min(max(i1, i0), len(song.energy) - 1)
        window = song.energy[i0 : i1 + 1]
        return float(sum(window) / len(window))

    def nearest_beat(self, t: float, lo: float, hi: float) -> float | None:
        """The beat closest to t within [lo, hi], or None."""
        if not self.beats:
            return None
        i = bisect_left(self.beats, t)
        best = None
        for j in (i - 2, i - 1, i, i + 1):
            if 0 <= j < len(self.beats):
                b = self.beats[j]
                if lo <= b <= hi and (best is None or abs(b - t) < abs(best - t)):
                    best = b
        if best is None:  # t's neighbours were outside the window: scan it
            inside = [b for b in self.beats[bisect_left(self.beats, lo) :] if b <= hi]
            if inside:
                best = min(inside, key=lambda b: abs(b - t))
        return best

    def sections(self) -> list[tuple[float, float, str, float]]:
        """(start, end, label, energy) in movie time, clipped to the movie."""
        if self.song is None:
            return []
        out: list[tuple[float, float, str, float]] = []
        for s in self.song.sections:
            a, b = s.start - self.offset, s.end - self.offset
            if b > 0 and a < self.duration:
                out.append((max(0.0, a), min(self.duration, b), s.label, s.energy))
        return out

    def peak_window(self) -> tuple[float, float] | None:
        """The strongest section that falls inside the movie, in movie time."""
        inside = self.sections()
        if not inside:
            return None
        a, b, _, _ = max(inside, key=lambda s: (s[3], s[2] == "peak", -s[0]))
        return (a, b)
