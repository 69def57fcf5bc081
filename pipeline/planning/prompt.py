"""The explicit asks in a user's prompt that the heuristic planner can honour.

Only what can be parsed reliably: a duration ("45 second", "1 minute", "1:30"), a mood word
(which sets the pace), and "start with X" / "end on X" where X names a file or a tag. Anything
else in the prompt is left to the AI planner; the user's words are data, never instructions.
"""

from __future__ import annotations

import re

from pipeline.models import Frozen, Library, MediaKind

_NUMBER_WORDS = {
    "ten": 10, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40, "forty-five": 45, "fifty": 50,
    "sixty": 60, "ninety": 90, "one": 1, "two": 2, "three": 3, "half a": 0.5, "a": 1, "an": 1,
}  # fmt: skip

# mood word -> shot-length factor (>1 = slower, longer shots)
MOOD_PACE = {
    "upbeat": 0.8, "energetic": 0.75, "fast": 0.8, "punchy": 0.75, "hype": 0.75, "party": 0.8,
    "calm": 1.3, "slow": 1.3, "relaxed": 1.25, "gentle": 1.25, "nostalgic": 1.2, "dreamy": 1.25,
    "cinematic": 1.15, "emotional": 1.15, "peaceful": 1.3,
}  # fmt: skip

_DURATION = re.compile(
    r"\b(?P<num>\d+(?:[.,]\d+)?|"
    + "|".join(sorted(map(re.escape, _NUMBER_WORDS), key=len, reverse=True))
    + r")"
    r"[\s-]*(?P<unit>seconds?|secs?|s\b|minutes?|mins?|m\b)",
    re.IGNORECASE,
)
_CLOCK = re.compile(r"\b(\d{1,2}):([0-5]\d)\b")
_END = re.compile(
    r"\b(?:end|finish|close|closing)\s+(?:on|with)\s+(?:the\s+|a\s+|an\s+|my\s+|our\s+)?([\w-]+)", re.I
)
_START = re.compile(
    r"\b(?:start|begin|open|opening)\s+(?:on|with)\s+(?:the\s+|a\s+|an\s+|my\s+|our\s+)?([\w-]+)", re.I
)


class PromptAsks(Frozen):
    duration: float | None = None
    mood: str | None = None
    pace: float = 1.0  # from the mood word
    opening_word: str | None = None
    closing_word: str | None = None


def parse_prompt(prompt: str) -> PromptAsks:
    text = prompt or ""
    duration: float | None = None
    if m := _CLOCK.search(text):
        duration = float(int(m.group(1)) * 60 + int(m.group(2)))
    elif m := _DURATION.search(text):
        raw = m.group("num").lower().replace(",", ".")
        value = float(raw) if raw[0].isdigit() else float(_NUMBER_WORDS[raw])
        duration = value * (60 if m.group("unit").lower().startswith("m") else 1)
    if duration is not None and not (3 <= duration <= 600):
        duration = None
    mood = None
    words = re.findall(r"[a-z]+", text.lower())
    for w in words:
        if w in MOOD_PACE:
            mood = w
            break
    end = _END.search(text)
    start = _START.search(text)
    return PromptAsks(
        duration=duration,
        mood=mood,
        pace=MOOD_PACE.get(mood or "", 1.0),
        opening_word=start.group(1).lower() if start else None,
        closing_word=end.group(1).lower() if end else None,
    )


def _words_of(library: Library, media_id: str) -> set[str]:
    item = library.items.get(media_id)
    words: set[str] = set()
    if item is not None:
        stem = item.original_name.rsplit(".", 1)[0].lower()
        words.update(w for w in re.split(r"[^a-z0-9]+", stem) if w)
    words.update(t.lower() for t in library.tags_of(media_id))
    return words


def find_media(word: str, library: Library, candidates: list[str]) -> str | None:
    """The first candidate whose filename words or tags match `word` (plural/singular tolerant)."""
    word = word.lower()
    forms = {word, word.rstrip("s"), word + "s"}
    for media_id in candidates:
        item = library.items.get(media_id)
        if item is None or item.kind == MediaKind.MUSIC:
            continue
        if forms & _words_of(library, media_id):
            return media_id
    return None
