"""What a command handler gets: the ports, who is talking where, their project and role."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from conversation.actions import Button, Say
from conversation.events import ChatRef, UserRef
from conversation.models import Member, Project, Role, Version
from conversation.ports import Clock, JobQueue, MediaStore, Outbox, ProjectStore, StaleWrite
from conversation.settings import CoreSettings

log = logging.getLogger("conversation")


@dataclass
class Deps:
    store: ProjectStore
    media: MediaStore
    queue: JobQueue
    outbox: Outbox
    pipeline: Any  # pipeline.api.Pipeline (typed loosely: tests pass a stand-in with the same methods)
    clock: Clock
    settings: CoreSettings
    library_cache: dict[str, Any] = field(default_factory=dict)


def chat_from_key(key: str) -> ChatRef:
    """ChatRef.key is 'platform:chat_id:thread'; chat ids may contain ':' themselves."""
    platform, rest = key.split(":", 1)
    chat_id, _, thread = rest.rpartition(":")
    return ChatRef(platform=platform, chat_id=chat_id, thread_id=thread or None)


def buttons(*rows: tuple[tuple[str, str], ...]) -> tuple[tuple[Button, ...], ...]:
    return tuple(tuple(Button(label=label, payload=payload) for label, payload in row) for row in rows)


@dataclass
class Ctx:
    deps: Deps
    chat: ChatRef
    user: UserRef
    project: Project | None = None
    member: Member | None = None
    reply_to: str | None = None  # the platform message the user replied to (a movie, a storyboard)
    source: str | None = None  # the platform message this event came in (to answer as a reply to it)

    @property
    def role(self) -> Role | None:
        """The member's role for permission checks. In a group, a chat admin counts as an owner:
        admins run the chat, so they can always moderate the bot's project in it (lock, roles,
        delete, hand over) even when someone else started it."""
        if self.member is None:
            return None
        if self.chat.is_group and self.user.is_chat_admin:
            return "owner"
        return self.member.role

    def reply_for(self, version: Version) -> str | None:
        """Where a version's movie goes: a reply to the message that asked for it now
        (/revert 2), else to the one that asked for it to be made (kept with the version)."""
        return self.source or version.asked_in

    @property
    def store(self) -> ProjectStore:
        return self.deps.store

    @property
    def name(self) -> str:
        return self.user.name or self.user.user_id

    async def say(
        self, text: str, rows: tuple[tuple[Button, ...], ...] = (), *, reply_to: str | None = None
    ) -> str | None:
        return await self.deps.outbox.send(Say(chat=self.chat, text=text, buttons=rows, reply_to=reply_to))

    async def update_project(
        self, *, changes_for: Callable[[Project], dict[str, Any]] | None = None, **changes: Any
    ) -> Project:
        """Re-read and re-apply on a stale write: another process changed the project meanwhile.
        `changes_for(project)` gives changes that depend on the project as it is at each attempt
        (e.g. "make v2 current unless a later version already is")."""
        assert self.project is not None
        project = self.project
        for _ in range(8):
            try:
                derived = changes_for(project) if changes_for is not None else {}
                project = await self.store.update_project(
                    project.model_copy(update={**changes, **derived, "updated_at": self.deps.clock.now()})
                )
                self.project = project
                return project
            except StaleWrite:
                fresh = await self.store.get_project(project.id)
                if fresh is None:
                    raise
                project = fresh
        raise StaleWrite(project.id)
