"""Ports: what the core needs from the outside world, as Protocols.

Embedded implementations live in conversation/store (SQLite, local folder) and
conversation/runner.py (in-process jobs); production ones in conversation/store/supabase_*.py and
workers/ (arq). Every implementation passes the same contract tests (tests/contract/).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict

from conversation.actions import Action
from conversation.models import Comment, Job, MediaRecord, Member, MessageLink, Project, Version, Vote


class StaleWrite(Exception):
    """Raised by `update_project` when the stored revision moved on: re-read and re-apply."""


class DuplicateVersion(Exception):
    """Raised by `create_version` when that number exists for the project."""


class UploadTooLarge(Exception):
    """Raised by `Outbox.send` when a file is over the chat's upload limit (checked before sending,
    or refused by the platform). Nothing was posted; the core decides what to do (a smaller file,
    a link)."""

    def __init__(self, size_bytes: int, limit_bytes: int) -> None:
        super().__init__(f"file of {size_bytes} bytes is over the chat's upload limit of {limit_bytes} bytes")
        self.size_bytes = size_bytes
        self.limit_bytes = limit_bytes


class ProjectStore(Protocol):
    # projects and where they live
    async def create_project(self, project: Project) -> None: ...
    async def get_project(self, project_id: str) -> Project | None: ...
    async def update_project(self, project: Project) -> Project:
        """Write if the stored revision equals `project.revision`; returns it with revision + 1."""
        ...
    async def delete_project(self, project_id: str) -> None: ...
    async def bind_chat(self, chat_key: str, project_id: str) -> None: ...
    async def project_for_chat(self, chat_key: str) -> Project | None: ...
    async def projects_of_user(self, user_key: str) -> list[Project]: ...

    # members
    async def put_member(self, member: Member) -> None: ...
    async def get_member(self, project_id: str, user_key: str) -> Member | None: ...
    async def list_members(self, project_id: str) -> list[Member]: ...
    async def remove_member(self, project_id: str, user_key: str) -> None: ...

    # media
    async def add_media(self, record: MediaRecord) -> bool:
        """False if this media id is already in the project (it is then left as it was)."""
        ...
    async def list_media(self, project_id: str, *, include_removed: bool = False) -> list[MediaRecord]: ...
    async def set_media_removed(self, project_id: str, media_ids: list[str], removed: bool) -> int: ...
    async def delete_media(self, project_id: str, media_ids: list[str]) -> int: ...

    # versions
    async def create_version(self, version: Version) -> None: ...
    async def get_version(self, project_id: str, number: int) -> Version | None: ...
    async def list_versions(self, project_id: str) -> list[Version]: ...
    async def update_version(self, version: Version) -> None: ...

    # comments and votes
    async def add_comment(self, comment: Comment) -> None: ...
    async def list_comments(self, project_id: str) -> list[Comment]: ...
    async def put_vote(self, vote: Vote) -> None:
        """One vote per (project, ballot, user): a second vote replaces the first."""
        ...
    async def list_votes(self, project_id: str, ballot: str) -> list[Vote]: ...

    # jobs (mirrors the queue so /status works from any process)
    async def put_job(self, job: Job) -> None: ...
    async def get_job(self, job_id: str) -> Job | None: ...
    async def list_jobs(self, *, status: str | None = None, project_id: str | None = None) -> list[Job]: ...

    # messages the core sent, and updates it already handled
    async def link_message(self, link: MessageLink) -> None: ...
    async def find_message(self, chat_key: str, message_id: str) -> MessageLink | None: ...
    async def find_progress(self, project_id: str, version: int) -> MessageLink | None:
        """The message showing a version's progress (to edit it again after a restart)."""
        ...

    async def mark_event_seen(self, event_key: str) -> bool:
        """True the first time an event key is seen, False on a redelivery."""
        ...


class MediaStore(Protocol):
    """Files by key. Keys are '<project_id>/<name>' so a project's files go together."""

    async def put(self, key: str, source: Path, content_type: str) -> str: ...
    async def get(self, key: str, dest_dir: Path) -> Path:
        """A local path with the object's bytes (the same file for local stores)."""
        ...
    async def exists(self, key: str) -> bool: ...
    async def delete(self, keys: list[str]) -> None: ...
    async def delete_prefix(self, prefix: str) -> int: ...
    async def list(self, prefix: str) -> list[str]: ...
    async def signed_url(self, key: str, expires_in: int = 3600) -> str | None:
        """A link to share the object, where the store can make one."""
        ...


class JobRequest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    job_id: str
    kind: Literal["analyse", "make", "refine"]
    project_id: str
    version: int | None = None
    parent_version: int | None = None
    chat_key: str = ""
    draft: bool = False
    # set: re-render the finished `version` (same plan, no new version) under this many bytes,
    # for a chat whose upload limit its movie is over (conversation/fit.py)
    target_size_bytes: int | None = None


class JobUpdate(BaseModel):
    """What a running job reports back; the core turns it into chat actions."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    job_id: str
    project_id: str
    version: int | None = None
    kind: Literal["progress", "storyboard", "done", "failed", "cancelled"]
    stage: str = ""
    percent: int = 0
    message: str = ""  # failed: a user-facing reason; done: notes
    seq: int = 0  # per job, increasing: lets consumers drop duplicates after a retry


JobSink = Callable[[JobUpdate], Awaitable[None]]


class JobQueue(Protocol):
    async def enqueue(self, request: JobRequest) -> bool:
        """Queue the job; False if a job with that id is already queued or running."""
        ...
    async def cancel(self, job_id: str) -> bool: ...


class Outbox(Protocol):
    async def send(self, action: Action) -> str | None:
        """Perform the action in the chat; the platform message id (or new thread id) if any."""
        ...


class Clock(Protocol):
    def now(self) -> datetime: ...
