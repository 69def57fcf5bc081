"""Settings the conversation core needs. Built once by an entry point and passed down."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict

from conversation.models import Role


class CoreSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # where the core fetches media-store objects to hand to the chat (movies, storyboards)
    scratch_dir: Path = Path("/tmp/memory-movie-core")
    # caps (0 = no cap); clear messages come from conversation/limits.py
    max_files_per_user: int = 200
    max_files_per_project: int = 500
    max_bytes_per_user: int = 2_000_000_000
    max_bytes_per_project: int = 5_000_000_000
    movies_per_hour_per_user: int = 20
    movies_per_hour_per_project: int = 40
    max_projects_per_user: int = 50
    # groups
    default_role: Role = "editor"
    # restart: re-enqueue versions left mid-way (False: report them as interrupted)
    resume_on_restart: bool = True
    # warm the analysis cache as soon as media arrives
    analyse_on_upload: bool = False
    draft_renders: bool = False
