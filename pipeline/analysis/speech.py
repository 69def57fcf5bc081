"""Is someone talking in this clip? (The renderer ducks the music under speech.)

webrtcvad on the audio resampled to 16 kHz mono, 30 ms frames, most aggressive mode: it has no
weights to ship and runs in milliseconds. Noise (a rocket's roar, wind) trips single frames, so
we also ask for a pitch and for syllable-like loudness changes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

RATE = 16000
FRAME = 480  # 30 ms at 16 kHz
MAX_SECONDS = 120.0
MIN_SHARE = 0.2  # share of 30 ms frames webrtcvad calls voiced
# Calibrated on dv1 (rocket roar: VAD says 72 % voiced, but only 19 % of those frames are pitched)
# versus synthetic voiced syllables (76 % pitched, 6 dB loudness swing) and a held tone (0.03 dB).
MIN_PITCHED = 0.4
MIN_MODULATION_DB = 3.0


def decode_mono16k(path: Path, max_seconds: float = MAX_SECONDS) -> np.ndarray:
    import av

    chunks: list[np.ndarray] = []
    total = 0
    with av.open(str(path), metadata_errors="ignore") as container:
        if not container.streams.audio:
            return np.zeros(0, np.int16)
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
        for packet in container.demux(stream):
            try:
                frames = packet.decode()
            except av.error.FFmpegError:
                continue
            for frame in frames:
                for out in resampler.resample(frame):
                    data = out.to_ndarray().reshape(-1)
                    chunks.append(data)
                    total += data.size
            if total >= max_seconds * RATE:
                break
    return np.concatenate(chunks).astype(np.int16) if chunks else np.zeros(0, np.int16)


def detect_speech(path: Path) -> bool:
    return is_speech(decode_mono16k(path))


def is_speech(pcm: np.ndarray) -> bool:
    """VAD-voiced, pitched (voice has a fundamental at 80-400 Hz, a roar or wind has none) and
    syllabic (loudness rises and falls; a held tone doesn't)."""
    import webrtcvad

    n = pcm.size // FRAME
    if n < 10 or float(np.abs(pcm).mean()) < 30:  # too short, or near-silence
        return False
    frames = pcm[: n * FRAME].reshape(n, FRAME)
    vad = webrtcvad.Vad(3)
    voiced = np.array([vad.is_speech(f.tobytes(), RATE) for f in frames])
    if voiced.mean() < MIN_SHARE:
        return False
    x = frames.astype(np.float32)
    x -= x.mean(axis=1, keepdims=True)
    power = np.abs(np.fft.rfft(x, n=2 * FRAME)) ** 2
    ac = np.fft.irfft(power)[:, :FRAME]
    pitched = ac[:, RATE // 400 : RATE // 80].max(axis=1) / (ac[:, 0] + 1e-9) > 0.5
    level = 10 * np.log10((x**2).mean(axis=1) + 1.0)
    loud = level > level.max() - 30
    modulation = float(level[loud].std())
    return bool(pitched[voiced].mean() >= MIN_PITCHED and modulation >= MIN_MODULATION_DB)
