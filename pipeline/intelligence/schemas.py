"""What we ask Gemini to answer with (response schemas). Never trusted raw: every answer is
validated here, then repaired against the library before it becomes a pipeline model.

Kept flat and simple (no dicts, no unions) so Gemini's schema dialect accepts them."""

from __future__ import annotations

from pydantic import BaseModel, Field


class _Answer(BaseModel):
    # tolerant on input (a model may add fields), strict on what we read
    model_config = {"extra": "ignore"}


# ------------------------------------------------------------------ analysis


class PhotoInsight(_Answer):
    media_id: str
    subjects: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    aesthetic: float = Field(0.5, description="0..1 how good the photo looks")
    composition: str = ""


class PhotoBatch(_Answer):
    photos: list[PhotoInsight] = Field(default_factory=list)


class VideoMoment(_Answer):
    start: float
    end: float
    visual: str = ""
    audio: str = ""
    transcript: str = ""
    speaker: str = ""
    tone: str = ""
    sync_priority: float = Field(0.5, description="0..1 how much this moment should land on a beat")
    action: str = Field("use", description="use | trim | skip")


class VideoInsight(_Answer):
    tags: list[str] = Field(default_factory=list)
    segments: list[VideoMoment] = Field(default_factory=list)


class MusicPart(_Answer):
    start: float
    end: float
    label: str = Field(description="intro | verse | chorus | bridge | outro")


class MusicInsight(_Answer):
    mood: str = ""
    genre: str = ""
    sections: list[MusicPart] = Field(default_factory=list)


# ------------------------------------------------------------------ planning


class ShotDraft(_Answer):
    media_id: str
    seconds: float = Field(3.0, description="how long the shot stays on screen")
    source_start: float | None = Field(None, description="videos: where the trim starts, seconds")
    source_end: float | None = None
    story_beat: str = Field("build", description="opening | build | peak | resolution")
    reasoning: str = ""


class PlanDraft(_Answer):
    shots: list[ShotDraft] = Field(default_factory=list)
    title: str | None = None
    narrative_arc: str = ""
    reasoning: str = ""


class CritiqueDraft(_Answer):
    score: float = Field(description="0..1 how well the cut serves the request")
    issues: list[str] = Field(default_factory=list, description="most important first, one sentence each")


class EditDraft(_Answer):
    """One edit command, flattened: `op` says which fields matter (see pipeline.edits)."""

    op: str
    seconds: float | None = None
    factor: float | None = None
    aspect: str | None = None
    section: str | None = None
    media_ids: list[str] | None = None
    media_id: str | None = None
    order: str | None = None
    style: str | None = None
    text: str | None = None
    mood: str | None = None
    mode: str | None = None


class EditsDraft(_Answer):
    edits: list[EditDraft] = Field(default_factory=list)
    understood: bool = Field(True, description="false when the feedback is not about the movie")
