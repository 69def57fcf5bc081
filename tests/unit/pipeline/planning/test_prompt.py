"""The prompt's explicit asks: duration, mood, opening/closing by filename words or tags."""

from __future__ import annotations

import pytest

from pipeline.planning.prompt import find_media, parse_prompt
from tests.unit.pipeline.planning.synth import make_library, mid


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("upbeat 45 second recap", 45),
        ("a 30-second teaser", 30),
        ("make it 1 minute", 60),
        ("about a minute long please", 60),
        ("90s of our trip", 90),
        ("1:30 total", 90),
        ("two minutes", 120),
        ("our trip to the sea", None),
        ("5000 seconds", None),
    ],
)
def test_duration_in_words(text: str, seconds: float | None) -> None:
    assert parse_prompt(text).duration == seconds


def test_mood_sets_pace_direction() -> None:
    assert parse_prompt("an upbeat recap").pace < 1 < parse_prompt("something calm and slow").pace
    assert parse_prompt("an upbeat recap").mood == "upbeat"
    assert parse_prompt("just a movie").mood is None


def test_start_and_end_words_find_media_by_filename_and_tag() -> None:
    asks = parse_prompt("Start with the dark lake and end on the boats!")
    assert (asks.opening_word, asks.closing_word) == ("dark", "boats")
    lib = make_library()
    ids = list(lib.items)
    assert find_media("boats", lib, ids) == mid("dupA_boat.jpg")  # plural tolerant, filename word
    assert find_media("face", lib, ids) == mid("p00_photo.jpg")  # analysis tag
    assert find_media("unicorn", lib, ids) is None
