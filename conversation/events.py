"""Platform-neutral events coming in from a chat front end.

Adapters (Telegram, Discord, console) translate platform updates into these and nothing more.
Every event carries `event_id` (the platform's update/message id) so the core can drop a
redelivered update instead of applying it twice.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ChatRef(_Model):
    """Where a conversation happens: one project per (platform, chat, thread)."""

    platform: str  # "telegram" | "discord" | "console" | "test"
    chat_id: str
    thread_id: str | None = None  # Telegram topic / Discord thread
    is_group: bool = False

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.chat_id}:{self.thread_id or ''}"


class UserRef(_Model):
    platform: str
    user_id: str
    name: str = ""  # display name, for credits ("photos from bob")
    is_chat_admin: bool = False  # a group admin: becomes owner when a group project is created

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.user_id}"


class _Event(_Model):
    chat: ChatRef
    user: UserRef
    event_id: str = ""
    # the platform message this event arrived in, when it is one the bot can reply to (a text,
    # a command typed as a message, a photo). None for slash-command interactions, callbacks...
    # The core posts the movie it asked for as a reply to it.
    message_id: str | None = None


class IncomingFile(_Model):
    """A file the user sent. `path` is None when the adapter could not fetch it (see `problem`)."""

    name: str
    path: Path | None = None
    size_bytes: int | None = None
    mime: str | None = None
    problem: Literal["too_large", "download_failed"] | None = None
    limit_bytes: int | None = None  # the platform's limit when problem == "too_large"
    as_document: bool = False  # sent as a file (full quality) rather than a compressed photo


class TextReceived(_Event):
    type: Literal["text"] = "text"
    text: str
    reply_to: str | None = None  # platform message id the user replied to (a movie, a storyboard...)
    quote: str | None = None  # quoted part of that message, if the platform has it


class MediaReceived(_Event):
    type: Literal["media"] = "media"
    files: tuple[IncomingFile, ...]
    caption: str | None = None
    group_id: str | None = None  # album id; adapters debounce albums into one event


class CommandReceived(_Event):
    type: Literal["command"] = "command"
    name: str  # without the slash: "new", "make", "status", ...
    args: str = ""
    reply_to: str | None = None


class ChoiceMade(_Event):
    """A button pressed / menu option picked. `payload` is what the core put on the button."""

    type: Literal["choice"] = "choice"
    payload: str
    message_id: str | None = None


class ReactionAdded(_Event):
    type: Literal["reaction"] = "reaction"
    message_id: str
    emoji: str
    removed: bool = False


class MemberJoined(_Event):
    type: Literal["member_joined"] = "member_joined"
    added_bot: bool = False  # this member added the bot to the group


class MemberLeft(_Event):
    type: Literal["member_left"] = "member_left"


Event = Annotated[
    TextReceived | MediaReceived | CommandReceived | ChoiceMade | ReactionAdded | MemberJoined | MemberLeft,
    Field(discriminator="type"),
]
