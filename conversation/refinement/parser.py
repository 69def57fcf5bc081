"""Split feedback into clauses and understand each: references first (title, caption, music,
opening/closing shot, drop/keep), then attributes. Says back what it understood; collects what
it didn't; asks "which one?" when a singular reference matched several files."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from conversation.refinement import attributes
from conversation.refinement.catalog import Catalog
from conversation.refinement.references import Resolution, resolve
from conversation.refinement.timestamps import find_timestamp, strip_timestamp
from pipeline.edits import (
    ChangeMusic,
    EditCommand,
    Exclude,
    Include,
    SetCaption,
    SetClosing,
    SetOpening,
    SetTitle,
)
from pipeline.models import MediaKind

I = re.IGNORECASE  # noqa: E741
Understood = tuple[EditCommand, str]


@dataclass(frozen=True)
class Question:
    text: str
    options: tuple[tuple[str, str], ...]  # (label, text to re-parse when picked)


@dataclass(frozen=True)
class ParseResult:
    commands: tuple[EditCommand, ...] = ()
    understood: tuple[str, ...] = ()
    unclear: tuple[str, ...] = ()
    question: Question | None = None

    @property
    def empty(self) -> bool:
        return not self.commands


@dataclass
class _State:
    cat: Catalog
    quotes: list[str]
    out: list[Understood] = field(default_factory=list)
    unclear: list[str] = field(default_factory=list)
    question: Question | None = None
    last_ref_op: str | None = None  # "exclude"/"include": "drop X and Y" carries the verb


_SPLIT = re.compile(r"\s*(?:,|;|\.(?:\s+|$)|!|\?|\s\band\b|\bbut\b|\bthen\b|\balso\b|\bplus\b|&)\s*", I)
_QUOTE = re.compile(r"[\"“”]([^\"“”]*)[\"“”]|(?<![a-z])['‘]([^'‘’]+)['’](?![a-z])", I)

EXCLUDE = (
    r"^(?:(?:please|can you|could you|and|also|then)\s+)*(?:remove|drop|delete|cut out|cut|lose|skip|exclude|ditch|hide|"
    r"take out|get rid of|leave out|without|no more|don'?t (?:use|show|include|want)|lose)\b\s*(.*)$"
)
INCLUDE = (
    r"^(?:(?:please|can you|could you|and|also|then)\s+)*(?:keep|include|add back|bring back|put back|restore|use|"
    r"show|don'?t (?:drop|remove|cut|lose)|i want|add|make sure to (?:use|include)|put in)\b\s*(.*)$"
)
OPENING = r"\b(?:start|open|begin|kick off|lead)\s+(?:it\s+|the movie\s+|the video\s+)?(?:on|with)\s+(.+)$|\bfirst shot (?:should be|is|=)\s*(.+)$"
CLOSING = r"\b(?:end|finish|close|wrap up|wrap it up)\s+(?:it\s+|the movie\s+|the video\s+)?(?:on|with)\s+(.+)$|\blast shot (?:should be|is|=)\s*(.+)$"
# "the cat first", "put the sunset at the end": only when the phrase names a file
OPENING_SUFFIX = r"^(?:put\s+)?(.+?)\s+(?:first|at the (?:start|beginning))$"
CLOSING_SUFFIX = r"^(?:put\s+)?(.+?)\s+(?:last|at the end)$"
EXCLUDE_SUFFIX = r"^(.+?)\s+(?:should|has to|must|can|needs to) go(?: away)?$|^(?:i don'?t like|i hate|not)\s+(.+)$"


def parse(text: str, cat: Catalog) -> ParseResult:
    quotes: list[str] = []

    def protect(m: re.Match[str]) -> str:
        quotes.append(m.group(1) if m.group(1) is not None else m.group(2))
        return f" QQ{len(quotes) - 1}QQ "

    protected = _QUOTE.sub(protect, text)
    st = _State(cat, quotes)
    for clause in _SPLIT.split(protected):
        clause = clause.strip()
        if clause and not _praise(clause):
            _clause(clause, st)
    cmds = tuple(c for c, _ in st.out)
    return ParseResult(cmds, tuple(s for _, s in st.out), tuple(st.unclear), st.question)


PRAISE = {
    "please", "pls", "thanks", "thank", "you", "ok", "okay", "and", "so", "also", "hmm", "yes", "great", "nice",
    "looks", "look", "it", "is", "that", "that's", "thats", "good", "amazing", "awesome", "love", "lovely", "perfect",
    "cool", "wow", "really", "very", "already", "but", "now", "the", "this", "much", "better", "fine", "super",
}  # fmt: skip


def _praise(clause: str) -> bool:
    """'ok looks great': nothing to change, nothing to complain about."""
    words = re.findall(r"[a-z']+", clause.lower())
    return bool(words) and all(w in PRAISE for w in words)


def _unquote(s: str, st: _State) -> str:
    return re.sub(r"\s*QQ(\d+)QQ\s*", lambda m: st.quotes[int(m.group(1))], s).strip()


def _clause(clause: str, st: _State) -> None:
    for rule in (_title, _caption, _music, _ends, _refs):
        if rule(clause, st):
            return
    found = [u for r in attributes.RULES for u in r(_unquote(clause, st), st.cat)]
    if found:
        st.out.extend(found)
        st.last_ref_op = None
        return
    # "drop IMG_07 and IMG_09": the second clause inherits the verb
    if st.last_ref_op and (res := resolve(clause, st.cat)) is not None:
        _ref_op(st.last_ref_op, res, clause, st)
        return
    st.unclear.append(_unquote(clause, st))


def _title(clause: str, st: _State) -> bool:
    if re.search(r"\b(no|remove|drop|delete|without|get rid of)\s+(the\s+)?title\b", clause, I):
        st.out.append((SetTitle(text=None), "no title"))
        return True
    m = re.search(r"\b(?:title|call it|name it|heading)\b(?:\s+(?:to|as|of|saying|reading|:|it))*\s*[:=]?\s*(.+)$", clause, I)
    if not m:
        return False
    text = _unquote(m.group(1), st).strip(" :")
    if not text:
        return False
    st.out.append((SetTitle(text=text[:80]), f"title “{text[:80]}”"))
    return True


def _caption(clause: str, st: _State) -> bool:
    quoted_text = re.search(r"\b(text|label|words?|says?|saying|write)\b", clause, I) and "QQ" in clause
    if not (re.search(r"\bcaptions?\b|\bsubtitles?\b", clause, I) or quoted_text):
        return False
    if re.search(r"\b(no|remove|drop|delete|without)\b", clause, I):
        rest = re.sub(r".*\bcaptions?\b\s*(?:from|on|of)?\s*", "", clause, flags=I)
        res = resolve(rest, st.cat) if rest else None
        ids = res.ids if res else tuple(st.cat.request.captions)
        for mid in ids:
            st.out.append((SetCaption(media_id=mid, text=None), f"no caption on {st.cat.name(mid)}"))
        if not ids:
            st.unclear.append(_unquote(clause, st))
        return True
    q = re.search(r"QQ(\d+)QQ", clause)
    if not q:
        st.unclear.append(_unquote(clause, st) + " (put the caption in quotes)")
        return True
    caption = st.quotes[int(q.group(1))]
    ref_text = re.sub(
        r"QQ\d+QQ|\b(add|put|set|write|a|the|captions?|subtitles?|text|label|words?|says?|saying|to|on|for|with)\b",
        " ", clause, flags=I,
    )  # fmt: skip
    res = resolve(ref_text, st.cat) if ref_text.strip() else None
    if res is None:
        st.unclear.append(f"which shot gets the caption “{caption}”")
        return True
    st.out.append((SetCaption(media_id=res.ids[0], text=caption[:120]), f"caption “{caption[:120]}” on {res.label}"))
    return True


def _music(clause: str, st: _State) -> bool:
    c = _unquote(clause, st)
    songs = [e for e in st.cat.entries if e.kind == MediaKind.MUSIC]
    named = None
    if songs:
        res = resolve(re.sub(r"\b(use|play|switch to|change to|put on|with)\b", " ", c, flags=I), st.cat)
        if res is not None and all((e := st.cat.by_id(i)) is not None and e.kind == MediaKind.MUSIC for i in res.ids):
            named = res
    if named is None and not re.search(r"\b(song|music|track|tune|soundtrack)s?\b", c, I):
        return False
    if named is not None:
        mid = named.ids[0]
        st.out.append((ChangeMusic(media_id=mid), f"music: {st.cat.name(mid)}"))
        return True
    if re.search(r"\b(no|without|remove|drop|mute|turn off)\s+(the\s+)?(music|song|soundtrack)\b", c, I):
        st.unclear.append(c + " (every movie has a song; send another one or say “different song”)")
        return True
    if re.search(r"\b(different|another|other|new|change|next|switch|swap|replace|else)\b", c, I):
        if len(songs) < 2:
            st.unclear.append(c + " (there's only one song here: send another one first)")
            return True
        st.out.append((ChangeMusic(media_id=None), "a different song"))
        return True
    return False  # "music louder", "faster music": not something we change


def _ends(clause: str, st: _State) -> bool:
    c = _unquote(clause, st)
    for pattern, cls, verb in (
        (OPENING, SetOpening, "opening on"),
        (CLOSING, SetClosing, "ending on"),
        (OPENING_SUFFIX, SetOpening, "opening on"),
        (CLOSING_SUFFIX, SetClosing, "ending on"),
    ):
        m = re.search(pattern, c, I)
        if not m:
            continue
        phrase = next(g for g in m.groups() if g)
        if pattern in (OPENING_SUFFIX, CLOSING_SUFFIX) and resolve(phrase, st.cat) is None:
            continue
        if re.fullmatch(r"(a |the )?(bang|high|note|calm|slow|fast|quiet|energy)\b.*", phrase, I):
            continue
        res = resolve(phrase, st.cat)
        if res is None:
            st.unclear.append(f"{phrase} (I can't find it among the files)")
            return True
        if res.candidates and len(res.candidates) > 1:
            _ask(st, phrase, verb.split()[0].replace("opening", "start with").replace("ending", "end on"), res)
            return True
        st.out.append((cls(media_id=res.ids[0]), f"{verb} {res.label}"))
        return True
    return False


def _refs(clause: str, st: _State) -> bool:
    c = _unquote(clause, st)
    bare = strip_timestamp(c) if find_timestamp(c) else c  # "at 0:05 remove this one"
    for pattern, op in ((EXCLUDE, "exclude"), (INCLUDE, "include"), (EXCLUDE_SUFFIX, "exclude")):
        m = re.search(pattern, c, I) or re.search(pattern, bare, I)
        if not m:
            continue
        phrase = next(g for g in m.groups() if g).strip()
        if pattern == EXCLUDE_SUFFIX and resolve(phrase, st.cat) is None:
            continue
        if (
            not phrase
            or attributes.quantity(phrase) is not None
            or re.search(r"\b(seconds?|secs?|minutes?|fades?|transitions?|title|captions?|cuts|sound|audio)\b", phrase, I)
        ):
            return False  # "cut to 20 seconds", "no fades": attributes
        res = resolve(phrase, st.cat)
        if res is None:
            if op == "include" and not re.search(r"\b(photo|picture|shot|clip|video|one)s?\b|#", phrase, I):
                return False  # "use a calmer feel" etc.: let attributes try
            st.unclear.append(f"{phrase} (I can't find it among the files)")
            return True
        _ref_op(op, res, phrase, st)
        return True
    return False


def _ref_op(op: str, res: Resolution, phrase: str, st: _State) -> None:
    if res.candidates and len(res.candidates) > 1:
        _ask(st, phrase, "drop" if op == "exclude" else "keep", res)
        return
    if op == "exclude":
        st.out.append((Exclude(media_ids=res.ids), f"removing {res.label}"))
    else:
        st.out.append((Include(media_ids=res.ids), f"keeping {res.label}"))
    st.last_ref_op = op


def _ask(st: _State, phrase: str, verb: str, res: Resolution) -> None:
    options = tuple((st.cat.name(mid), f"{verb} #{mid}") for mid in res.candidates[:4])
    st.question = Question(f"Which one did you mean by “{phrase.strip()}”?", options)
