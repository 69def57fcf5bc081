"""One song: tempo, beats, downbeats, an energy curve and intro/build/peak/outro sections.

librosa is imported inside the function (its import costs seconds) and runs in a separate
process (see analysis/__init__); the beat tracker itself is librosa's algorithm in numpy
(beats.py), which spares the numba compile that importing librosa.beat costs. Audio is decoded with PyAV, so anything intake accepted (Ogg,
MP3, M4A, Opus, FLAC, WAV) reads the same way. Cut on `beats` (detected), never on a 60/tempo
grid: the grid drifts ~1 s a minute on real recordings. Octave errors (70 vs 140 BPM) are
expected and harmless for cutting.
"""

from __future__ import annotations

import numpy as np

from pipeline.analysis import audio
from pipeline.analysis.beats import track_beats
from pipeline.models import MediaItem, MusicAnalysis, MusicSection

SR = 22050
HOP = 512
ENERGY_HOP = 0.5  # seconds between energy samples
SMOOTH_S = 8.0  # sections follow the energy smoothed over this long
MIN_SECTION = 4.0
MAX_SECONDS = 20 * 60  # a movie never needs more song than this; bounds memory (~100 MB)


def decode_mono(path: str, rate: int = SR, max_seconds: float = MAX_SECONDS) -> np.ndarray:
    return audio.decode_mono(path, rate, max_seconds)


def analyse_music(item: MediaItem) -> MusicAnalysis:
    import librosa

    y = decode_mono(str(item.path))
    duration = y.size / SR if y.size else float(item.duration or 0.0)
    if y.size < SR:  # under a second: nothing to beat-track
        return MusicAnalysis(media_id=item.id, duration=round(duration, 3), tempo=0.0)

    # the same steps as librosa.beat.beat_track(y=...), minus importing librosa.beat (see beats.py)
    onset = librosa.onset.onset_strength(y=y, sr=SR, hop_length=HOP, aggregate=np.median)
    first_guess = float(np.atleast_1d(librosa.feature.tempo(onset_envelope=onset, sr=SR, hop_length=HOP))[0])
    beat_frames = track_beats(onset, first_guess, SR / HOP)
    beats = librosa.frames_to_time(beat_frames, sr=SR, hop_length=HOP)
    tempo = _grid_tempo(beats) or first_guess
    downbeats = _downbeats(beats, beat_frames, onset)

    rms = librosa.feature.rms(y=y, frame_length=2048, hop_length=HOP)[0]
    energy = _energy_curve(rms, duration)
    sections = _sections(energy, duration, downbeats if len(downbeats) >= 4 else beats)
    tags = _tags(tempo, energy)
    return MusicAnalysis(
        media_id=item.id,
        duration=round(duration, 3),
        tempo=round(tempo, 2),
        beats=tuple(round(float(b), 4) for b in beats),
        downbeats=tuple(round(float(b), 4) for b in downbeats),
        energy_hop=ENERGY_HOP,
        energy=tuple(round(float(e), 4) for e in energy),
        sections=tuple(sections),
        mood=tags[0] if tags else None,
        tags=tuple(tags),
    )


def _grid_tempo(beats: np.ndarray) -> float:
    """BPM from a line fitted through the beat times: beat_track's own estimate is quantised to
    whole onset frames (136 or 143.6 for a 140 BPM song); the fit over many beats is not."""
    if len(beats) < 8:
        return 0.0
    intervals = np.diff(beats)
    typical = float(np.median(intervals))
    steady = np.abs(intervals - typical) < 0.15 * typical
    if steady.mean() < 0.6:
        return 60.0 / typical  # drifting: the typical interval is the honest answer
    index = np.concatenate([[0], np.cumsum(np.rint(intervals / typical))])  # skips count as whole beats
    period = float(np.polyfit(index, beats, 1)[0])
    return 60.0 / period if period > 0 else 0.0


def _downbeats(beats: np.ndarray, beat_frames: np.ndarray, onset: np.ndarray) -> np.ndarray:
    """Every 4th beat, starting at the phase whose beats carry the most onset strength (bar
    starts usually hit hardest: kick + crash)."""
    if len(beats) < 4:
        return beats[:1]
    strength = onset[np.clip(beat_frames, 0, len(onset) - 1)]
    phase = int(np.argmax([strength[p::4].mean() for p in range(4)]))
    return beats[phase::4]


def _energy_curve(rms: np.ndarray, duration: float) -> np.ndarray:
    frames_per_bin = ENERGY_HOP * SR / HOP
    n = max(1, int(np.ceil(duration / ENERGY_HOP)))
    edges = np.minimum((np.arange(n + 1) * frames_per_bin).round().astype(int), len(rms))
    values = np.array(
        [
            rms[a:b].mean() if b > a else rms[min(a, len(rms) - 1)]
            for a, b in zip(edges[:-1], edges[1:], strict=True)
        ]
    )
    top = float(np.percentile(values, 99)) or float(values.max()) or 1.0
    return np.clip(values / top, 0.0, 1.0)


def _smooth(x: np.ndarray, width: int) -> np.ndarray:
    if width <= 1 or x.size < 3:
        return x
    pad = width // 2
    padded = np.pad(x, pad, mode="edge")
    return np.convolve(padded, np.ones(width) / width, mode="valid")[: x.size]


def _sections(energy: np.ndarray, duration: float, grid: np.ndarray) -> list[MusicSection]:
    """intro = before the energy first rises to the song's typical level, outro = after it last
    leaves it, peak = the loudest stretches between, build = the rest."""
    smooth = _smooth(energy, max(1, int(SMOOTH_S / ENERGY_HOP)))
    times = np.arange(smooth.size) * ENERGY_HOP
    lo, hi = float(np.percentile(smooth, 10)), float(np.percentile(smooth, 90))
    level = lo + 0.5 * (hi - lo)
    above = np.nonzero(smooth >= level)[0]
    intro_end = float(times[above[0]]) if above.size else 0.0
    outro_start = float(times[above[-1]]) + ENERGY_HOP if above.size else duration
    intro_end = min(intro_end, 0.25 * duration)
    outro_start = max(outro_start, 0.75 * duration)
    peak_level = lo + 0.8 * (hi - lo)

    # label each energy sample, then merge runs into sections
    labels: list[str] = []
    for t, e in zip(times, smooth, strict=True):
        if t < intro_end:
            labels.append("intro")
        elif t >= outro_start:
            labels.append("outro")
        else:
            labels.append("peak" if e >= peak_level else "build")
    runs: list[list] = []
    for t, lab in zip(times, labels, strict=True):
        if runs and runs[-1][2] == lab:
            runs[-1][1] = t + ENERGY_HOP
        else:
            runs.append([t, t + ENERGY_HOP, lab])
    runs = _merge_short(runs)
    if not any(lab == "peak" for _, _, lab in runs):
        _promote_peak(runs, smooth)
    # a song that starts (or ends) at full tilt still opens and closes the story: a first/last
    # stretch that isn't the climax is its intro/outro when it is short enough to be one
    if len(runs) > 2 and runs[0][2] == "build" and runs[0][1] <= 0.25 * duration:
        runs[0][2] = "intro"
    if len(runs) > 2 and runs[-1][2] == "build" and runs[-1][0] >= 0.75 * duration:
        runs[-1][2] = "outro"
    runs[-1][1] = duration
    runs[0][0] = 0.0
    for i in range(1, len(runs)):  # boundaries land on the nearest bar line
        runs[i][0] = runs[i - 1][1] = _snap(runs[i][0], grid)

    sections = []
    for start, end, lab in runs:
        if end - start <= 0.05:
            continue
        a, b = int(start / ENERGY_HOP), max(int(start / ENERGY_HOP) + 1, int(np.ceil(end / ENERGY_HOP)))
        sections.append(
            MusicSection(
                start=round(start, 3),
                end=round(end, 3),
                label=lab,
                energy=round(float(energy[a:b].mean()), 4),
            )
        )
    return sections


def _merge_short(runs: list[list]) -> list[list]:
    changed = True
    while changed and len(runs) > 1:
        changed = False
        for i, (start, end, _) in enumerate(runs):
            if end - start < MIN_SECTION:
                j = i - 1 if i > 0 else i + 1
                if i > 0 and i + 1 < len(runs):  # join the longer neighbour
                    j = i - 1 if runs[i - 1][1] - runs[i - 1][0] >= runs[i + 1][1] - runs[i + 1][0] else i + 1
                a, b = sorted((i, j))
                runs[a : b + 1] = [[runs[a][0], runs[b][1], runs[j][2]]]
                changed = True
                break
        merged: list[list] = []
        for run in runs:
            if merged and merged[-1][2] == run[2]:
                merged[-1][1] = run[1]
            else:
                merged.append(run)
        runs = merged
    return runs


def _promote_peak(runs: list[list], smooth: np.ndarray) -> None:
    """A flat song still needs a climax for the story arc: its loudest middle stretch."""

    def mean_energy(run: list) -> float:
        a, b = int(run[0] / ENERGY_HOP), max(int(run[0] / ENERGY_HOP) + 1, int(run[1] / ENERGY_HOP))
        return float(smooth[a:b].mean()) if b <= smooth.size and a < b else 0.0

    middle = [r for r in runs if r[2] == "build"] or runs
    max(middle, key=mean_energy)[2] = "peak"


def _snap(t: float, grid: np.ndarray) -> float:
    if grid.size == 0:
        return t
    nearest = float(grid[np.argmin(np.abs(grid - t))])
    return nearest if abs(nearest - t) <= 2.5 else t


def _tags(tempo: float, energy: np.ndarray) -> list[str]:
    # octave errors make raw BPM ambiguous: fold into 80..160 before judging pace
    bpm = tempo
    while bpm and bpm < 80:
        bpm *= 2
    while bpm > 160:
        bpm /= 2
    mean = float(energy.mean()) if energy.size else 0.0
    if bpm >= 120 and mean > 0.45:
        return ["energetic", "upbeat"]
    if bpm >= 110:
        return ["upbeat"]
    # the first tag is the song's mood: keep to PlanRequest.mood's words (upbeat, calm, energetic...)
    return ["calm", "relaxed"] if bpm < 100 or mean < 0.3 else ["upbeat"]


def _main() -> None:
    """`python -m pipeline.analysis.music`: MediaItems as JSON on stdin, analyses (or null) on
    stdout. The parent runs songs here so librosa's import never holds its GIL."""
    import json
    import logging
    import sys

    items = [MediaItem.model_validate(raw) for raw in json.load(sys.stdin)]
    out: list[dict | None] = []
    for item in items:
        try:
            out.append(analyse_music(item).model_dump(mode="json"))
        except Exception:  # one bad song must not lose the others
            logging.getLogger(__name__).warning(
                "music analysis failed for %s", item.original_name, exc_info=True
            )
            out.append(None)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    _main()
