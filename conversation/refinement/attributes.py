"""Rules for attributes of the whole movie: duration, aspect, pace, mood, order, transitions,
clip sound. Each takes a clause and returns (command, how to say it back) pairs."""

from __future__ import annotations

import re

from conversation.refinement.catalog import Catalog
from conversation.refinement.timestamps import find_timestamp, section_at
from pipeline.edits import (
    ChangePace,
    EditCommand,
    ScaleDuration,
    SetAspect,
    SetClipAudio,
    SetDuration,
    SetMood,
    SetOrder,
    SetTransitions,
)
from pipeline.models import Aspect, PaceSection

Understood = tuple[EditCommand, str]
I = re.IGNORECASE  # noqa: E741

NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "sixty": 60, "ninety": 90, "half a": 0.5, "a half": 0.5,
}  # fmt: skip
_WORDS = "|".join(sorted(NUMBERS, key=len, reverse=True))
_NUM = r"(\d+(?:[.,]\d+)?|" + _WORDS + ")"
_UNIT = r"(s|secs?|seconds?|m|mins?|minutes?)\b"
# digits may touch the unit ("30s"); number words need a space ("a minute", not "ones")
_QTY = re.compile(r"(?<![@:\d])\b(?:(\d+(?:[.,]\d+)?)\s*-?\s*|(" + _WORDS + r")[\s-]+)" + _UNIT, I)
_MMSS = re.compile(r"\b(\d{1,2}):(\d{2})\s*(?:long|minutes?)?\b", I)

STRONG = r"\b(much|a lot|way|lots|really|very|far|considerably)\b"
MILD = r"\b(a bit|a little|slightly|somewhat|little|a tad|bit)\b"


def _intensity(clause: str) -> int:
    return 2 if re.search(STRONG, clause, I) else 0 if re.search(MILD, clause, I) else 1


def quantity(clause: str) -> float | None:
    for m in _QTY.finditer(clause):
        before = clause[: m.start()].rstrip().lower()
        if re.search(r"\b(at|around|from|first|last|opening|final|closing)$", before):
            continue  # "at 30 s" is a timestamp, "the first 10 s" a part of the movie: not a length
        raw = (m.group(1) or m.group(2)).lower().replace(",", ".")
        n = NUMBERS.get(raw) if raw in NUMBERS else float(raw)
        if n is None:
            continue
        return float(n) * (60 if m.group(3).lower().startswith("m") else 1)
    mmss = _MMSS.search(clause)
    if mmss and not find_timestamp(clause):
        return int(mmss.group(1)) * 60 + int(mmss.group(2))
    return None


def duration(clause: str, cat: Catalog) -> list[Understood]:
    c = clause.lower()
    if re.search(r"\b(shots?|cuts?)\b", c) and not re.search(r"\b(movie|video|film|it)\b.*\b(long|length)\b", c):
        return []  # "shorter shots" is pace
    qty = quantity(c)
    current = cat.duration or cat.request.duration
    if qty is not None:
        rel = re.search(r"\b(longer|shorter|more|less|extra|add|remove|cut|trim|take off)\b", c)
        if rel and current and not re.search(r"\b(to|at|be|make it|under|about|around|exactly)\s+" + _NUM, c):
            sign = 1 if rel.group(1) in ("longer", "more", "extra", "add") else -1
            target = max(3.0, current + sign * qty)
            verb = "longer" if sign > 0 else "shorter"
            return [(SetDuration(seconds=round(target, 1)), f"{qty:g} s {verb} ({target:g} s)")]
        if 0 < qty <= 600:
            return [(SetDuration(seconds=qty), f"{qty:g} seconds long")]
        return []
    if re.search(r"\bhalf (as long|the length)\b", c):
        return [(ScaleDuration(factor=0.5), "half as long")]
    if re.search(r"\b(twice|double) (as long|the length)\b", c):
        return [(ScaleDuration(factor=2.0), "twice as long")]
    k = _intensity(c)
    if re.search(r"\b(longer|shorter)\b", c) and _section(c) != "all":
        # "a longer intro" means more time on the intro's shots: its pace, not the movie's length
        slower = "longer" in c
        factor = (1.15, 1.3, 1.6)[k] if slower else (1 / 1.15, 1 / 1.3, 1 / 1.6)[k]
        sec = _section(c)
        where = {"start": "start", "end": "ending", "middle": "middle"}[sec]
        return [(ChangePace(section=sec, factor=round(factor, 3)), f"{'longer' if slower else 'shorter'} {where}")]
    if re.search(r"\b(shorter|too long|trim it|tighter|cut it down|less long|drags on)\b", c):
        f = (0.85, 0.75, 0.5)[k]
        return [(ScaleDuration(factor=f), ("a bit shorter", "shorter", "much shorter")[k])]
    if re.search(r"\b(longer|too short|extend it|lengthen)\b", c):
        f = (1.15, 1.25, 1.6)[k]
        return [(ScaleDuration(factor=f), ("a bit longer", "longer", "much longer")[k])]
    return []


ASPECTS: list[tuple[str, Aspect, str]] = [
    (r"\b(vertical|portrait|9[:x/]16|stor(y|ies)|reels?|tik ?tok|shorts|phone screen|upright)\b", "9:16", "vertical (9:16)"),
    (r"\b(square|1[:x/]1|instagram post|instagram feed|feed post)\b", "1:1", "square (1:1)"),
    (r"\b(horizontal|landscape|widescreen|wide screen|16[:x/]9|youtube|tv|television|laptop)\b", "16:9", "widescreen (16:9)"),
    (r"\binstagram\b", "1:1", "square (1:1)"),
]


def aspect(clause: str, cat: Catalog) -> list[Understood]:
    if re.search(r"\b(photo|picture|shot)s?\b.*\bportrait\b|\bportrait (photo|shot|one)", clause, I):
        return []  # "the portrait photo" is a reference, not a format
    for pattern, value, said in ASPECTS:
        if re.search(pattern, clause, I):
            return [(SetAspect(aspect=value), said)]
    return []


SLOWER = (
    r"\b(slower|slow (it )?down|more slowly|calmer pace|more relaxed pace|less rushed|too (fast|quick|rushed|hectic|frantic)"
    r"|longer shots|linger|let (it|them) breathe|less hectic|more time on each|slow)\b"
)
FASTER = (
    r"\b(faster|quicker|speed (it )?up|snappier|punchier|more energy|more pace|too slow|boring|drags"
    r"|shorter shots|quick(er)? cuts|more cuts|pick up the pace|fast|livelier|tighter cuts|drag|dragging)\b"
)
_SECS = r"\d+\s*(s|secs?|seconds?)"
SECTIONS: list[tuple[PaceSection, str]] = [
    ("start", r"\b(start|beginning|begin|intro|opening|first (part|half|few seconds|bit|shots|section|" + _SECS + r")|at first|early)\b"),
    ("end", r"\b(end|ending|outro|finale|last (part|half|few seconds|bit|shots|section|" + _SECS + r")|closing|towards the end)\b"),
    ("middle", r"\b(middle|mid|centre|center|main part)\b"),
]


def _section(clause: str) -> PaceSection:
    for name, pattern in SECTIONS:
        if re.search(pattern, clause):
            return name
    return "all"


def pace(clause: str, cat: Catalog) -> list[Understood]:
    c = clause.lower()
    too = re.search(r"\btoo (fast|quick|rushed|hectic|frantic|slow|boring|sluggish)\b", c)
    if too:  # "too fast" asks for slower
        slower = too.group(1) not in ("slow", "boring", "sluggish")
        faster = not slower
    else:
        slower = bool(re.search(SLOWER, c))
        faster = bool(re.search(FASTER, c))
    if not (slower or faster) or (slower and faster):
        return []
    if re.search(r"\b(song|music|track)\b", c) or (faster and re.search(r"\bfast(er)? (song|music)", c)):
        return []
    k = _intensity(c)
    factor = (1.15, 1.3, 1.6)[k] if slower else (1 / 1.15, 1 / 1.3, 1 / 1.6)[k]
    at = find_timestamp(c)
    section = section_at(at[0], cat.duration) if at is not None else _section(c)
    word = ("a bit " if k == 0 else "much " if k == 2 else "") + ("slower" if slower else "faster")
    where = {"start": " start", "end": " ending", "middle": " middle", "all": ""}[section]
    return [(ChangePace(section=section, factor=round(factor, 3)), f"{word}{where}")]


MOODS = {
    "upbeat": "upbeat", "happy": "upbeat", "happier": "upbeat", "cheerful": "upbeat", "joyful": "upbeat",
    "fun": "upbeat", "funnier": "upbeat", "uplifting": "upbeat", "festive": "upbeat",
    "calm": "calm", "calmer": "calm", "relaxed": "calm", "chill": "calm", "peaceful": "calm", "gentle": "calm",
    "gentler": "calm", "quiet": "calm", "mellow": "calm",
    "energetic": "energetic", "exciting": "energetic", "dynamic": "energetic", "wild": "energetic",
    "nostalgic": "nostalgic", "sentimental": "nostalgic", "wistful": "nostalgic", "retro": "nostalgic",
    "cinematic": "cinematic", "epic": "cinematic", "dramatic": "cinematic", "filmic": "cinematic",
    "romantic": "romantic", "dreamy": "dreamy", "dreamier": "dreamy", "emotional": "emotional",
    "melancholic": "melancholic", "sad": "melancholic", "sadder": "melancholic", "moody": "melancholic",
    "playful": "playful", "vintage": "nostalgic", "hype": "energetic", "party": "energetic",
    "relaxing": "calm", "elegant": "cinematic", "serene": "calm", "joyous": "upbeat",
}  # fmt: skip


def mood(clause: str, cat: Catalog) -> list[Understood]:
    c = clause.lower()
    if re.search(r"\btransitions?\b", c):
        return []
    for word in re.findall(r"[a-z]+", c):
        if word in MOODS and not re.search(rf"\b{word} (pace|cuts?)\b", c):
            return [(SetMood(mood=MOODS[word]), f"mood: {MOODS[word]}")]
    return []


def order(clause: str, cat: Catalog) -> list[Understood]:
    c = clause.lower()
    if re.search(r"\b(chronological(ly)?|in (the )?order (they were|it was|of) (taken|shot|time|date)|by (date|time)|in time order|as it happened)\b", c):
        return [(SetOrder(order="chronological"), "in the order they were taken")]
    if re.search(r"\b(order (i|we) sent|as sent|upload order|order (they|i|we) (were )?(sent|uploaded)|sent them)\b", c):
        return [(SetOrder(order="as_sent"), "in the order they were sent")]
    if re.search(r"\b(any order|your order|shuffle|mix (it|them) up)\b", c):
        return [(SetOrder(order="auto"), "in the order that works best")]
    return []


def transitions(clause: str, cat: Catalog) -> list[Understood]:
    c = clause.lower()
    if re.search(r"\b(no (fades|transitions|crossfades|dissolves)|hard cuts?|just cuts|only cuts|straight cuts|simple cuts|without (fades|transitions))\b", c):
        return [(SetTransitions(style="cuts"), "hard cuts, no fades")]
    if re.search(r"\b(dip|fade) to (black|white)\b|\bdips\b", c):
        return [(SetTransitions(style="dips"), "dips to black between shots")]
    if re.search(r"\b(fun|playful|fancy|funky|creative|cool) transitions?\b|\b(wipes|slides)\b", c):
        return [(SetTransitions(style="playful"), "playful transitions")]
    if re.search(r"\b(smooth(er)?|soft(er)?|gentle|gentler|more) (transitions?|cuts|fades)\b|\b(crossfades?|dissolves?|more fades)\b", c):
        return [(SetTransitions(style="crossfades"), "smooth crossfades")]
    if re.search(r"\b(default|normal|usual) transitions\b", c):
        return [(SetTransitions(style="auto"), "the usual transitions")]
    return []


def clip_audio(clause: str, cat: Catalog) -> list[Understood]:
    c = clause.lower()
    clips = r"(videos?|clips?|footage|original|camera)"
    if re.search(rf"\b(mute|silence|no sound (from|in|on)|turn off the sound (of|on|in))\b.*\b{clips}\b|\b{clips}\b.*\b(muted|silent|sound off)\b", c):
        return [(SetClipAudio(mode="mute"), "muted the clips' own sound")]
    if re.search(r"\bduck(ing)?\b|\blower the music (when|while|under)\b", c):
        return [(SetClipAudio(mode="duck"), "music lowered under speech")]
    if re.search(rf"\b(keep|hear|with|leave|unmute|turn on)\b.*\b{clips}?\s*(sound|audio|voices?)\b", c) and re.search(clips, c):
        return [(SetClipAudio(mode="keep"), "kept the clips' own sound")]
    return []


RULES = (duration, aspect, pace, mood, order, transitions, clip_audio)
