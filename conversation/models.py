"""The conversation core's records: what the stores persist.

Pipeline models (PlanRequest, EditPlan, MediaItem) are embedded as-is; stores keep them as JSON.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from pipeline.models import EditPlan, MediaItem, PlanRequest

Role = Literal["owner", "editor", "viewer"]
ProjectState = Literal["collecting", "ready", "planning", "rendering", "delivered", "refining", "failed"]
VersionStatus = Literal["queued", "planning", "rendering", "ready", "failed", "cancelled"]
JobKind = Literal["analyse", "make", "refine", "render_chunk"]
JobStatus = Literal["queued", "processing", "completed", "failed", "cancelled"]


class Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Project(Record):
    id: str
    title: str
    chat_key: str  # ChatRef.key of the chat (or thread) the project lives in
    owner_key: str  # UserRef.key
    state: ProjectState = "collecting"
    request: PlanRequest = PlanRequest()  # the settings the next movie starts from
    locked: bool = False  # owner locked the cut: editors can't change it
    current_version: int | None = None
    default_role: Role = "editor"  # role of people who join later (the owner may set "viewer")
    ballot: str | None = None  # the open vote, e.g. "v2-vs-v3"
    revision: int = 0  # bumped on every update; stores refuse a stale write
    created_at: datetime
    updated_at: datetime


class Member(Record):
    project_id: str
    user_key: str
    name: str = ""
    role: Role = "editor"
    joined_at: datetime


class MediaRecord(Record):
    project_id: str
    media_id: str  # MediaItem.id (content hash): the same photo sent twice is one record
    item: MediaItem
    storage_key: str  # MediaStore key of the normalised file
    contributor_key: str
    contributor_name: str = ""
    added_at: datetime
    removed: bool = False  # "remove my photos" / "drop IMG_07": kept for undo, not used


class Version(Record):
    project_id: str
    number: int  # 1, 2, 3 ... unique per project
    parent: int | None = None
    request: PlanRequest
    plan: EditPlan | None = None
    status: VersionStatus = "queued"
    summary: str = ""  # what changed from the parent, in words
    render_key: str | None = None  # MediaStore key of the MP4
    poster_key: str | None = None
    storyboard_key: str | None = None
    duration: float | None = None
    width: int | None = None
    height: int | None = None
    size_bytes: int | None = None
    error: str | None = None
    asked_in: str | None = None  # the user's message that asked for this version: the movie answers it
    created_by: str  # UserRef.key
    created_at: datetime


class Comment(Record):
    id: str
    project_id: str
    version: int | None
    user_key: str
    text: str
    at_seconds: float | None = None  # "at 0:23 too fast"
    created_at: datetime


class Vote(Record):
    project_id: str
    ballot: str  # e.g. "v2-vs-v3"
    user_key: str
    version: int
    created_at: datetime


class Job(Record):
    id: str  # deterministic: "<project>:v<n>:<kind>" so a duplicate enqueue is the same job
    project_id: str
    version: int | None = None
    kind: JobKind
    status: JobStatus = "queued"
    progress: int = 0  # 0..100
    stage: str = ""
    error: str | None = None
    attempts: int = 0
    created_at: datetime
    updated_at: datetime


class MessageLink(Record):
    """A platform message the core sent that a user may reply or react to."""

    chat_key: str
    message_id: str
    project_id: str
    version: int | None = None
    kind: Literal["movie", "storyboard", "progress", "ballot", "other"] = "other"
