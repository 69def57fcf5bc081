"""Ellis (2007) dynamic-programming beat tracker, as in librosa.beat.beat_track, in numpy.

Why not call librosa.beat: importing it JIT-compiles an uncached numba kernel on every process
start (1.5-2.5 s of CPU here, more than the tracking itself). The algorithm is small: score each
frame by its onset strength smoothed over a beat, then pick the chain of frames, one about every
beat period apart, whose total score is highest. Same steps and constants as librosa 0.11.
"""

from __future__ import annotations

import numpy as np

TIGHTNESS = 100.0  # how strongly beat spacing is held to the tempo (librosa's default)


def track_beats(onset: np.ndarray, bpm: float, frame_rate: float, trim: bool = True) -> np.ndarray:
    """Beat positions in onset frames for an onset-strength envelope and a tempo estimate."""
    if bpm <= 0 or not onset.any():
        return np.zeros(0, dtype=int)
    period = max(1, round(frame_rate * 60.0 / bpm))
    local = _local_score(onset / (onset.std(ddof=1) + 1e-10), period)
    backlink, cumscore = _dp(local, period)
    beats = [_last_beat(cumscore)]
    while backlink[beats[-1]] >= 0:
        beats.append(int(backlink[beats[-1]]))
    out = np.array(beats[::-1], dtype=int)
    return _trim(local, out, trim)


def _local_score(onset: np.ndarray, period: int) -> np.ndarray:
    window = np.exp(-0.5 * (np.arange(-period, period + 1) * 32.0 / period) ** 2)
    shifted = onset.copy()
    shifted[0] = 0.0  # librosa's loop never reads the first frame
    return np.convolve(shifted, window, mode="same")


def _dp(local: np.ndarray, period: int) -> tuple[np.ndarray, np.ndarray]:
    n = local.size
    backlink = np.full(n, -1, dtype=int)
    cumscore = np.zeros(n)
    # the previous beat lies half a period to two periods back, penalised by log-distance from one
    lags = np.arange(round(period / 2), 2 * period + 1)
    penalty = -TIGHTNESS * (np.log(lags) - np.log(period)) ** 2
    threshold = 0.01 * local.max()
    first_beat = True
    for i in range(n):
        valid = lags <= i
        location = -1
        if valid.any():
            candidates = cumscore[i - lags[valid]] + penalty[valid]
            best = int(np.argmax(candidates))  # ties: the nearest predecessor, as librosa
            cumscore[i] = local[i] + candidates[best]
            location = i - int(lags[valid][best])
        else:
            cumscore[i] = local[i]
        if first_beat and local[i] < threshold:
            backlink[i] = -1
        else:
            backlink[i] = location
            first_beat = False
    return backlink, cumscore


def _last_beat(cumscore: np.ndarray) -> int:
    """The last local maximum of the cumulative score reaching half the median maximum."""
    padded = np.pad(cumscore, 1, mode="edge")
    peaks = (cumscore > padded[:-2]) & (cumscore >= padded[2:])
    if not peaks.any():
        return int(cumscore.size - 1)
    threshold = 0.5 * float(np.median(cumscore[peaks]))
    good = np.nonzero(peaks & (cumscore >= threshold))[0]
    return int(good.max()) if good.size else int(cumscore.size - 1)


def _trim(local: np.ndarray, beats: np.ndarray, trim: bool) -> np.ndarray:
    """Drop beats before the first / after the last frame whose score beats half the RMS of the
    smoothed beat strengths (silence before the song, a fade-out after)."""
    if beats.size == 0:
        return beats
    smooth = np.convolve(local[beats], np.hanning(5), mode="same")
    threshold = 0.5 * float(np.sqrt((smooth**2).mean())) if trim else 0.0
    strong = np.nonzero(local > threshold)[0]
    if strong.size == 0:
        return beats[:0]
    return beats[(beats >= strong[0]) & (beats <= strong[-1])]
