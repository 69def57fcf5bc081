"""Platform-neutral actions going out to a chat. Adapters turn each into platform API calls.

The core never knows a platform message id until the outbox returns it from `send`; it keeps
the ids of movies and storyboards so a reply to them can be understood later.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from conversation.events import ChatRef


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Button(_Model):
    label: str
    payload: str  # comes back as ChoiceMade.payload


class _Action(_Model):
    chat: ChatRef
    reply_to: str | None = None  # platform message id to reply to / thread under


class Say(_Action):
    """A message; with buttons it asks a choice or a confirmation."""

    type: Literal["say"] = "say"
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()  # rows of buttons


class ShowProgress(_Action):
    """One message per `key`, edited in place as work goes on (adapters remember key -> message)."""

    type: Literal["progress"] = "progress"
    key: str
    stage: str
    percent: int = Field(ge=0, le=100)
    text: str
    done: bool = False
    # the message already showing it, from the store: after a restart the adapter has forgotten
    # the key, and edits this message instead of posting a second one
    message_id: str | None = None


class ShowActivity(_Action):
    """'uploading video…' style indicator while something runs."""

    type: Literal["activity"] = "activity"
    kind: Literal["typing", "upload_photo", "upload_video"] = "typing"


class SendPicture(_Action):
    type: Literal["picture"] = "picture"
    path: Path
    caption: str = ""


class SendMovie(_Action):
    type: Literal["movie"] = "movie"
    path: Path
    caption: str
    duration: float
    width: int
    height: int
    poster: Path | None = None
    size_bytes: int = 0
    version: int = 0
    link: str | None = None  # full-size link when the attached file had to be smaller
    buttons: tuple[tuple[Button, ...], ...] = ()


class StartThread(_Action):
    """Open a thread for a project where the platform has threads (Discord). Others ignore it;
    `send` returns the new thread id, which the core binds the project to."""

    type: Literal["start_thread"] = "start_thread"
    title: str


Action = Annotated[
    Say | ShowProgress | ShowActivity | SendPicture | SendMovie | StartThread,
    Field(discriminator="type"),
]
