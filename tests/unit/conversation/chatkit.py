"""An Errbot-style chat fixture: drive the core with `await chat.send(ann, "/new trip")` and
check what it said with `chat.expect(Say, "New project")` (like Errbot's push/pop_message).

It wires the real conversation core to the real SQLite store, local media folder and in-process
job runner (running conversation.jobs.run_job); the pipeline is whatever the test passes: the
stand-in for fast behaviour tests, the real `pipeline.api.Pipeline` for real media."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from conversation.actions import Action, Say, SendMovie, SendPicture, ShowProgress, StartThread
from conversation.core import ConversationCore
from conversation.events import (
    ChatRef,
    ChoiceMade,
    CommandReceived,
    IncomingFile,
    MediaReceived,
    MemberJoined,
    ReactionAdded,
    TextReceived,
    UserRef,
)
from conversation.jobs import JobDeps, job_function
from conversation.ports import UploadTooLarge
from conversation.runner import InProcessJobQueue
from conversation.settings import CoreSettings
from conversation.store.local_media import LocalMediaStore
from conversation.store.sqlite import SQLiteProjectStore

A = TypeVar("A", bound=Action)

ann = UserRef(platform="test", user_id="ann", name="ann")
bob = UserRef(platform="test", user_id="bob", name="bob")
cat = UserRef(platform="test", user_id="cat", name="cat")


class Clock:
    def __init__(self) -> None:
        self.t = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += timedelta(seconds=seconds)


class RecordingOutbox:
    """Records every action; message ids are m1, m2, ... (progress keeps one id per key)."""

    def __init__(self) -> None:
        self.sent: list[Action] = []
        self.ids: list[str | None] = []  # the message id returned for each action in `sent`
        self._ids = itertools.count(1)
        self._progress: dict[str, str] = {}
        self.threads = False  # True: behave like Discord (StartThread returns a thread id)
        self.upload_limit: int | None = None  # bytes: SendMovie over it raises UploadTooLarge

    async def send(self, action: Action) -> str | None:
        if isinstance(action, SendMovie) and self.upload_limit is not None and action.size_bytes > self.upload_limit:
            raise UploadTooLarge(action.size_bytes, self.upload_limit)
        mid = self._id_for(action)
        self.sent.append(action)
        self.ids.append(mid)
        return mid

    def _id_for(self, action: Action) -> str | None:
        if isinstance(action, StartThread):
            return f"t{next(self._ids)}" if self.threads else None
        if isinstance(action, ShowProgress):
            if action.key not in self._progress:  # like the adapters: edit the message the core names
                self._progress[action.key] = action.message_id or f"m{next(self._ids)}"
            return self._progress[action.key]
        return f"m{next(self._ids)}"


class Chat:
    def __init__(self, root: Path, pipeline: Any, *, group: bool = False, settings: CoreSettings | None = None,
                 store: SQLiteProjectStore | None = None, chat_id: str = "c1") -> None:  # fmt: skip
        self.root = root
        self.pipeline = pipeline
        self.ref = ChatRef(platform="test", chat_id=chat_id, is_group=group)
        self.store = store or SQLiteProjectStore(root / "core.sqlite3")
        self.media = LocalMediaStore(root / "media-store")
        self.outbox = RecordingOutbox()
        self.clock = Clock()
        self.settings = settings or CoreSettings(scratch_dir=root / "scratch")
        deps = JobDeps(store=self.store, media=self.media, pipeline=pipeline, scratch_dir=root / "jobs")
        self.queue = InProcessJobQueue(self.store, job_function(deps), retry_delays=())
        self.core = ConversationCore(self.store, self.media, self.queue, self.outbox, pipeline, self.clock, self.settings)
        self.queue.set_sink(self.core.on_job_update)
        self._ids = itertools.count(1)
        self._run = uuid.uuid4().hex[:6]
        self.seen = 0  # actions already looked at by expect()

    # ------------------------------------------------------------------ events in

    def _eid(self) -> str:
        return f"{self._run}-e{next(self._ids)}"  # unique across restarts, like platform update ids

    async def send(self, user: UserRef, text: str, *, reply_to: str | None = None) -> list[Action]:
        start = len(self.outbox.sent)
        if text.startswith("/"):
            name, _, args = text[1:].partition(" ")
            await self.core.handle(CommandReceived(chat=self.ref, user=user, event_id=self._eid(), name=name,
                                                   args=args, reply_to=reply_to))  # fmt: skip
        else:
            await self.core.handle(TextReceived(chat=self.ref, user=user, event_id=self._eid(), text=text,
                                                reply_to=reply_to))  # fmt: skip
        return self.outbox.sent[start:]

    async def upload(self, user: UserRef, *paths: Path, files: tuple[IncomingFile, ...] = (),
                     caption: str | None = None) -> list[Action]:  # fmt: skip
        start = len(self.outbox.sent)
        incoming = tuple(IncomingFile(name=p.name, path=p, size_bytes=p.stat().st_size) for p in paths) + files
        await self.core.handle(MediaReceived(chat=self.ref, user=user, event_id=self._eid(), files=incoming,
                                             caption=caption))  # fmt: skip
        return self.outbox.sent[start:]

    async def press(self, user: UserRef, payload: str, message_id: str | None = None) -> list[Action]:
        start = len(self.outbox.sent)
        await self.core.handle(ChoiceMade(chat=self.ref, user=user, event_id=self._eid(), payload=payload,
                                          message_id=message_id))  # fmt: skip
        return self.outbox.sent[start:]

    async def react(self, user: UserRef, message_id: str, emoji: str = "👍") -> None:
        await self.core.handle(ReactionAdded(chat=self.ref, user=user, event_id=self._eid(), message_id=message_id,
                                             emoji=emoji))  # fmt: skip

    async def join(self, user: UserRef) -> None:
        await self.core.handle(MemberJoined(chat=self.ref, user=user, event_id=self._eid()))

    async def settle(self, timeout: float = 60) -> None:
        """Wait for every queued job (and the chat messages it produces)."""
        await asyncio.wait_for(self.queue.join(), timeout)

    # ------------------------------------------------------------------ actions out

    def expect(self, kind: type[A], contains: str = "") -> A:
        """The next unseen action of `kind` (whose text contains `contains`); fails if none."""
        for i in range(self.seen, len(self.outbox.sent)):
            a = self.outbox.sent[i]
            if isinstance(a, kind) and contains.lower() in _text(a).lower():
                self.seen = i + 1
                return a
        said = "\n  ".join(f"{type(a).__name__}: {_text(a)}" for a in self.outbox.sent[self.seen :])
        raise AssertionError(f"expected {kind.__name__} containing {contains!r}; unseen actions:\n  {said}")

    def says(self) -> list[str]:
        return [a.text for a in self.outbox.sent if isinstance(a, Say)]

    def last_say(self) -> str:
        return self.says()[-1]

    def movies(self) -> list[SendMovie]:
        return [a for a in self.outbox.sent if isinstance(a, SendMovie)]

    async def close(self) -> None:
        await self.queue.close()
        await self.store.close()


def _text(a: Action) -> str:
    if isinstance(a, Say | ShowProgress):
        return a.text
    if isinstance(a, SendMovie | SendPicture):
        return a.caption
    return ""


def message_id_of(chat: Chat, action: Action) -> str:
    """The message id the outbox returned for `action` (to reply or react to it)."""
    mid = chat.outbox.ids[chat.outbox.sent.index(action)]
    assert mid is not None
    return mid
