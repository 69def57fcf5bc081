"""Our numpy beat tracker must give exactly librosa.beat.beat_track's beats."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipeline.analysis.beats import track_beats
from pipeline.analysis.music import HOP, SR, decode_mono


def _both(path: Path) -> tuple[np.ndarray, np.ndarray]:
    import librosa
    import librosa.beat

    y = decode_mono(str(path))
    onset = librosa.onset.onset_strength(y=y, sr=SR, hop_length=HOP, aggregate=np.median)
    _, reference = librosa.beat.beat_track(onset_envelope=onset, sr=SR, hop_length=HOP)
    bpm = float(np.atleast_1d(librosa.feature.tempo(onset_envelope=onset, sr=SR, hop_length=HOP))[0])
    return reference, track_beats(onset, bpm, SR / HOP)


def test_same_beats_as_librosa_on_a_click_track(tiny_media) -> None:
    reference, ours = _both(tiny_media.song("clicks.wav", seconds=10.0, bpm=128.0))
    assert len(reference) >= 15
    np.testing.assert_array_equal(ours, reference)


def test_same_beats_as_librosa_on_real_music(corpus_bad: Path) -> None:
    reference, ours = _both(corpus_bad / "audio_ogg_vorbis_named.mp3")
    assert len(reference) >= 20
    np.testing.assert_array_equal(ours, reference)


@pytest.mark.parametrize("bpm", [0.0, -5.0])
def test_no_tempo_means_no_beats(bpm: float) -> None:
    assert track_beats(np.ones(100), bpm, SR / HOP).size == 0
    assert track_beats(np.zeros(100), 120.0, SR / HOP).size == 0
