"""Resolve a phrase ("the one with the car", "the 3rd shot", "photos from bob", "the blurry
ones", "IMG_07") to media ids of the project."""

from __future__ import annotations

import re
from dataclasses import dataclass

from conversation.refinement.catalog import Catalog, Entry
from conversation.refinement.timestamps import find_timestamp, segment_at
from pipeline.models import MediaKind

ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "opening": 1,
}  # fmt: skip
KIND_WORDS = {
    "photo": MediaKind.PHOTO, "picture": MediaKind.PHOTO, "pic": MediaKind.PHOTO, "image": MediaKind.PHOTO,
    "shot": None, "one": None, "scene": None, "bit": None, "file": None, "thing": None,
    "clip": MediaKind.VIDEO, "video": MediaKind.VIDEO, "footage": MediaKind.VIDEO, "movie": MediaKind.VIDEO,
    "song": MediaKind.MUSIC, "track": MediaKind.MUSIC, "music": MediaKind.MUSIC, "tune": MediaKind.MUSIC,
}  # fmt: skip
STOP = {
    "the", "a", "an", "one", "ones", "with", "of", "that", "which", "where", "has", "have", "is", "are",
    "in", "on", "at", "from", "by", "it", "its", "this", "these", "those", "there", "some", "any", "all",
    "my", "our", "your", "me", "us", "we", "i", "you", "please", "and", "or", "to", "for", "showing",
    "shows", "show", "just", "only", "also", "too", "very", "really", "bit", "little", "thing", "stuff",
    "everything", "every", "each", "other", "again", "back", "more", "them", "they",
} | set(KIND_WORDS)  # fmt: skip
SYNONYMS = [
    {"car", "vehicle", "automobile", "auto", "truck", "van"},
    {"motorcycle", "motorbike", "bike", "scooter"},
    {"bicycle", "bike", "cyclist", "bikes"},
    {"cat", "kitty", "kitten"},
    {"dog", "puppy", "doggy"},
    {"sea", "ocean", "beach", "coast", "shore", "dune"},
    {"sunset", "sundown", "dusk", "sunrise"},
    {"face", "person", "people", "selfie", "man", "woman", "faces"},
    {"mountain", "hill", "peak"},
    {"boat", "ship", "sailboat"},
    {"forest", "tree", "woods", "path"},
    {"sky", "cloud", "kite"},
    {"flower", "plant", "aloe"},
    {"coffee", "cup", "mug"},
    {"dark", "night", "darkest"},
]
_SYN: dict[str, set[str]] = {}
for group in SYNONYMS:
    for w in group:
        _SYN.setdefault(w, set()).update(group)


def singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _words(text: str) -> list[str]:
    return [singular(w) for w in re.findall(r"[a-z0-9]+", text.lower())]


@dataclass(frozen=True)
class Resolution:
    ids: tuple[str, ...]
    label: str  # how to say it back: "IMG_07.jpg", "3 photos from bob"
    singular: bool = True
    candidates: tuple[str, ...] = ()  # when a singular phrase matched several: ask which


def _kind_of(text: str) -> MediaKind | None:
    for w in _words(text):
        if w in KIND_WORDS and KIND_WORDS[w] is not None:
            return KIND_WORDS[w]
    return None


def _is_plural(text: str) -> bool:
    t = text.lower()
    return bool(re.search(r"\b(all|ones|photos|pictures|pics|images|clips|videos|shots|everything|both)\b", t))


def _label(cat: Catalog, ids: list[str], what: str = "") -> str:
    if len(ids) == 1:
        return cat.name(ids[0])
    if len(ids) <= 3:
        return ", ".join(cat.name(i) for i in ids)
    return f"{len(ids)} {what or 'files'}"


def _pick(cat: Catalog, ids: list[str], text: str, what: str = "") -> Resolution:
    sing = not _is_plural(text)
    if sing and len(ids) > 1:
        return Resolution((ids[0],), cat.name(ids[0]), True, tuple(ids))
    return Resolution(tuple(ids), _label(cat, ids, what), sing)


def _ordinal(text: str) -> tuple[int, MediaKind | None] | None:
    t = text.lower()
    m = re.search(
        r"\b(?:the\s+)?(second[- ]to[- ]last|penultimate|last|final|closing|\d+(?:st|nd|rd|th)|"
        + "|".join(ORDINALS)
        + r")\s+(shot|photo|picture|pic|image|clip|video|one|scene)\b",
        t,
    )
    if m:
        word, noun = m.group(1), m.group(2)
        if word in ("last", "final", "closing"):
            n = -1
        elif word in ("second-to-last", "second to last", "penultimate"):
            n = -2
        elif (digits := re.match(r"\d+", word)) is not None:  # "3rd": the pattern above puts digits first
            n = int(digits.group())
        else:
            n = ORDINALS[word]
        return n, KIND_WORDS.get(noun)
    m = re.search(r"\b(shot|photo|picture|clip|video|scene)\s*(?:number|no\.?|#)?\s*(\d+)\b", t)
    if m:
        return int(m.group(2)), KIND_WORDS.get(m.group(1))
    return None


def resolve(text: str, cat: Catalog) -> Resolution | None:
    """None when the phrase names nothing in the project."""
    t = text.strip().lower()
    if not t:
        return None
    # an explicit id (buttons carry these)
    m = re.search(r"#([0-9a-z]{3,64})\b", t)
    if m:
        ids = [e.media_id for e in cat.entries if e.media_id.startswith(m.group(1))]
        return Resolution(tuple(ids[:1]), cat.name(ids[0])) if ids else None
    # "this shot" / "here": the shot a timestamp or a reply pointed at
    if cat.focus and re.fullmatch(r"(?:the\s+)?(this|that|it|here|this one|that one|this shot|that shot|this photo|that photo|this clip)", t):
        return Resolution((cat.focus,), cat.name(cat.focus))
    at = find_timestamp(t)
    if at is not None and cat.segments:
        seg = segment_at(cat.segments, at[0])
        if seg is not None:
            return Resolution((seg.media_id,), f"{cat.name(seg.media_id)} (at {at[1]})")
    kind = _kind_of(t)
    ordinal = _ordinal(t)
    if ordinal is not None:
        n, okind = ordinal
        pool = [s.media_id for s in cat.segments if okind is None or s.kind == okind]
        if not pool:  # no movie yet: the order they were sent
            pool = [e.media_id for e in cat.visual() if okind is None or e.kind == okind]
        idx = n - 1 if n > 0 else len(pool) + n
        if 0 <= idx < len(pool):
            noun = {MediaKind.PHOTO: "photo", MediaKind.VIDEO: "clip"}.get(okind, "shot") if okind is not None else "shot"
            return Resolution((pool[idx],), f"{cat.name(pool[idx])} ({_nth(n)} {noun})")
        return None
    # contributors: "photos from bob", "bob's clips", "everything ann sent"
    people = {e.contributor.split()[0] for e in cat.entries if e.contributor}
    for person in sorted(people, key=len, reverse=True):
        p = re.escape(person)
        if re.search(rf"\b(from|by)\s+{p}\b|\b{p}'s\b|\b{p}\s+(sent|added|uploaded|shared)\b|^{p}$", t):
            ids = [
                e.media_id
                for e in cat.entries
                if e.contributor.split()[:1] == [person] and (kind is None or e.kind == kind)
                and (kind is not None or e.kind != MediaKind.MUSIC)
            ]
            if ids:
                return Resolution(tuple(ids), f"{_label(cat, ids)} from {person}", False)
    # quality
    for flag, pattern in (
        ("blurry", r"\b(blurry|blurred|out of focus|fuzzy|unsharp|shaky)\b"),
        ("dark", r"\b(dark|too dark|underexposed|night)\b"),
        ("duplicate", r"\b(duplicates?|near[- ]duplicates?|similar ones|repeats?|same photo twice)\b"),
    ):
        if re.search(pattern, t):
            ids = [e.media_id for e in cat.visual() if getattr(e, flag)]
            if ids:
                return Resolution(tuple(ids), f"{_label(cat, ids, flag + ' ones')}", len(ids) == 1)
    words = [w for w in _words(t) if w not in STOP]
    # file names: "IMG_07", "img 7", "d16_cat_chelsea.jpg"
    compact = re.sub(r"[^a-z0-9]", "", re.sub(r"\.(jpe?g|png|heic|mp4|mov|ogg|mp3|wav|m4a|gif|webp)\b", "", t))
    compact = re.sub(r"^(the|photo|picture|clip|video|song)", "", compact)
    if compact:
        hits = [e.media_id for e in cat.entries if re.sub(r"[^a-z0-9]", "", e.stem) == compact]
        if not hits and len(compact) >= 3 and any(c.isdigit() for c in compact):
            hits = [e.media_id for e in cat.entries if _loose_name(e.stem) == _loose_name(compact)]
        if hits:
            return Resolution(tuple(hits), _label(cat, hits))
    # kind only: "the clips", "all the videos"
    if not words and kind is not None:
        ids = [e.media_id for e in cat.entries if e.kind == kind]
        if ids:
            return _pick(cat, ids, t, kind.value + "s")
    if not words:
        return None
    # content words against tags and file-name words (with a few synonyms)
    scored: list[tuple[int, Entry]] = []
    for e in cat.entries:
        if kind is not None and e.kind != kind:
            continue
        vocab = {singular(w) for w in e.tags | e.name_words}
        score = sum(1 for w in words if w in vocab or (_SYN.get(w, set()) & vocab))
        if score:
            scored.append((score, e))
    if not scored:
        return None
    best = max(s for s, _ in scored)
    ids = [e.media_id for s, e in scored if s == best]
    return _pick(cat, ids, t)


def _loose_name(s: str) -> str:
    # "img7" == "img_07" == "IMG-0007"
    return re.sub(r"0+(\d)", r"\1", re.sub(r"[^a-z0-9]", "", s.lower()))


def _nth(n: int) -> str:
    if n == -1:
        return "last"
    if n == -2:
        return "second-to-last"
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
