"""The console chat: the conversation core in a terminal, through plain stdin/stdout.

Lines are commands (/new trip), plain words (make it 40 seconds, upbeat), or files: paths dragged
in, or /add ~/trip/*.jpg song.ogg. Buttons print as [1] Shorter [2] Longer …; type the number to
press one. "@v2 slower" replies to the v2 movie (refines that version). /quit or end of input
leaves (after the movies being made are finished).

`run_chat(make_core, ...)` is what the entry point calls: `make_core(outbox)` builds the core
around this console's outbox (the core needs its outbox at construction).
"""

from __future__ import annotations

import asyncio
import glob
import inspect
import itertools
import os
import re
import shlex
import shutil
import sys
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TextIO

from conversation.actions import Action, Button, Say, SendMovie, SendPicture, ShowProgress, StartThread
from conversation.core import ConversationCore
from conversation.events import (
    ChatRef,
    ChoiceMade,
    CommandReceived,
    Event,
    IncomingFile,
    MediaReceived,
    TextReceived,
    UserRef,
)
from conversation.ports import Outbox

MakeCore = Callable[[Outbox], ConversationCore | Awaitable[ConversationCore]]


class ConsoleOutbox:
    """Prints actions as text lines; remembers buttons (for numbers typed back) and movie ids."""

    def __init__(self, out: TextIO, *, movies_dir: Path | None = None) -> None:
        self.out = out
        self.movies_dir = movies_dir
        self._ids = itertools.count(1)
        # unique per session: the store keeps links to earlier sessions' messages
        self._session = uuid.uuid4().hex[:6]
        self._progress: dict[str, tuple[str, str]] = {}  # key -> (message id, last text)
        self.buttons: list[tuple[Button, str]] = []  # the last buttons shown, with their message id
        self.movie_ids: dict[int, str] = {}  # version -> message id

    def _next_id(self) -> str:
        return f"c{self._session}-{next(self._ids)}"

    def _print(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def _show_buttons(self, rows: tuple[tuple[Button, ...], ...], mid: str) -> None:
        if not rows:
            return
        self.buttons = [(b, mid) for row in rows for b in row]
        self._print("     " + "  ".join(f"[{i}] {b.label}" for i, (b, _) in enumerate(self.buttons, 1)))

    async def send(self, action: Action) -> str | None:
        if isinstance(action, ShowProgress):
            mid, last = self._progress.get(action.key) or (self._next_id(), "")
            if action.text != last:
                self._print(f"bot: {action.text}")
            self._progress[action.key] = (mid, action.text)
            return mid
        mid = self._next_id()
        if isinstance(action, Say):
            self._print("bot: " + action.text.replace("\n", "\n     "))
            self._show_buttons(action.buttons, mid)
        elif isinstance(action, SendPicture):
            self._print(
                f"bot: [storyboard] {action.path}" + (f"  {action.caption}" if action.caption else "")
            )
        elif isinstance(action, SendMovie):
            path = self._keep(action)
            self._print(f"bot: {action.caption}")
            self._print(f"     → {path}")
            self.movie_ids[action.version] = mid
            self._show_buttons(action.buttons, mid)
        elif isinstance(action, StartThread):
            return None
        return mid

    def _keep(self, movie: SendMovie) -> Path:
        """Copy the movie next to the user (the scratch copy may be cleaned up)."""
        if self.movies_dir is None:
            return movie.path
        self.movies_dir.mkdir(parents=True, exist_ok=True)
        title = movie.caption.split(f" v{movie.version}")[0]
        slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "movie"
        dest = self.movies_dir / f"{slug}-v{movie.version}.mp4"
        shutil.copyfile(movie.path, dest)
        return dest


def _paths(tokens: list[str]) -> list[Path] | None:
    """The files these tokens name (globs and folders expanded), or None if any isn't a file."""
    found: list[Path] = []
    for token in tokens:
        expanded = os.path.expanduser(token)
        matches = glob.glob(expanded) if any(c in expanded for c in "*?[") else [expanded]
        if not matches:
            return None
        for m in matches:
            p = Path(m)
            if p.is_dir():
                found.extend(sorted(q for q in p.iterdir() if q.is_file() and not q.name.startswith(".")))
            elif p.is_file():
                found.append(p)
            else:
                return None
    return found


def line_to_event(line: str, chat: ChatRef, user: UserRef, outbox: ConsoleOutbox) -> Event | str | None:
    """The event a typed line means; a string is a console-side answer (a path that isn't there)."""
    text = line.strip()
    if not text:
        return None
    eid = uuid.uuid4().hex[:12]
    common: dict[str, Any] = {"chat": chat, "user": user, "event_id": eid}
    if text.isdigit() and outbox.buttons and 1 <= int(text) <= len(outbox.buttons):
        button, mid = outbox.buttons[int(text) - 1]
        return ChoiceMade(**common, payload=button.payload, message_id=mid)
    try:
        tokens = shlex.split(text)
    except ValueError:
        tokens = []
    if text.startswith("/add"):
        files = _paths(tokens[1:]) if len(tokens) > 1 else []
        if files:
            return _media(common, files)
        if len(tokens) > 1:
            missing = [t for t in tokens[1:] if _paths([t]) is None]
            return f"bot: I can't find {', '.join(missing)}: check the path."
        return CommandReceived(**common, name="add")
    if tokens and (files := _paths(tokens)):
        return _media(common, files)  # paths dragged into the terminal (absolute ones start with /)
    if m := re.match(r"^@v(\d+)\s+(.+)$", text):
        n, words = int(m.group(1)), m.group(2)
        if n in outbox.movie_ids:
            return TextReceived(**common, text=words, reply_to=outbox.movie_ids[n])
        return TextReceived(**common, text=f"go back to v{n} but {words}")  # a movie of an earlier session
    if text.startswith("/"):
        name, _, args = text[1:].partition(" ")
        return CommandReceived(**common, name=name, args=args.strip())
    return TextReceived(**common, text=text)


def _media(common: dict[str, Any], files: list[Path]) -> MediaReceived:
    incoming = tuple(
        IncomingFile(name=p.name, path=p.resolve(), size_bytes=p.stat().st_size, as_document=True)
        for p in files
    )
    return MediaReceived(**common, files=incoming)


async def run_chat(
    make_core: MakeCore,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    user: str = "ann",
    chat_id: str = "console",
    wait_for_jobs: Callable[[], Awaitable[None]] | None = None,
    movies_dir: Path | None = None,
    recover: bool = True,
    prompt: bool | None = None,
) -> int:
    """Talk to the core until /quit or end of input; returns an exit status."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    outbox = ConsoleOutbox(stdout, movies_dir=movies_dir)
    built = make_core(outbox)
    core = await built if inspect.isawaitable(built) else built
    chat = ChatRef(platform="console", chat_id=chat_id)
    me = UserRef(platform="console", user_id=user, name=user)
    show_prompt = stdin.isatty() if prompt is None else prompt
    if recover:
        await core.recover()
    loop = asyncio.get_running_loop()
    while True:
        if show_prompt:
            stdout.write("> ")
            stdout.flush()
        line = await loop.run_in_executor(None, stdin.readline)
        if not line or line.strip() in ("/quit", "/exit"):
            break
        event = line_to_event(line, chat, me, outbox)
        if isinstance(event, str):
            stdout.write(event + "\n")
        elif event is not None:
            await core.handle(event)
    if wait_for_jobs is not None:
        await wait_for_jobs()  # the movies being made still reach the user before we leave
    return 0
