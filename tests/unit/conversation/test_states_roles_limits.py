"""The pure pieces: the state table (and its Mermaid drawing), who may do what, the caps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from conversation.limits import movie_limit, upload_allowance
from conversation.models import MediaRecord, Member, Project, Version
from conversation.roles import allowed, joining_role, refusal
from conversation.settings import CoreSettings
from conversation.states import BadTransition, can, mermaid, step
from pipeline.models import MediaItem, MediaKind, PlanRequest

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def test_mermaid_file_is_the_table() -> None:
    drawn = (Path(__file__).resolve().parents[3] / "conversation" / "states.mmd").read_text()
    assert drawn == mermaid()
    assert drawn.startswith("stateDiagram-v2")


def test_the_happy_path_and_refusals() -> None:
    s = "collecting"
    for trigger, expected in [("media_added", "ready"), ("make", "planning"), ("rendering", "rendering"),
                              ("done", "delivered"), ("refine", "refining"), ("done", "delivered")]:  # fmt: skip
        s = step(s, trigger)  # type: ignore[arg-type]
        assert s == expected
    assert step("rendering", "cancelled") == "ready"
    assert step("refining", "cancelled", has_movie=True) == "delivered"
    assert step("failed", "make", has_movie=True) == "refining"
    assert not can("collecting", "make") and not can("ready", "done")
    with pytest.raises(BadTransition):
        step("collecting", "refine")


def _member(role: str) -> Member:
    return Member(project_id="p", user_key="u", role=role, joined_at=NOW)  # type: ignore[arg-type]


def _project(**kw: object) -> Project:
    return Project(id="p", title="t", chat_key="c", owner_key="o", created_at=NOW, updated_at=NOW, **kw)  # type: ignore[arg-type]


def test_roles() -> None:
    assert allowed("viewer", "comment") and allowed("viewer", "vote") and allowed("viewer", "withdraw")
    assert not allowed("viewer", "edit") and not allowed("viewer", "contribute")
    assert allowed("editor", "edit") and not allowed("editor", "manage")
    assert not allowed("editor", "edit", locked=True) and allowed("owner", "edit", locked=True)
    assert allowed("editor", "withdraw", locked=True)  # their photos are always theirs
    assert refusal(_member("editor"), "edit", _project(locked=True)) == "locked"
    assert refusal(_member("viewer"), "edit", _project()) == "edit"
    assert refusal(_member("editor"), "manage", _project()) == "manage"
    assert joining_role(_project(), "editor") == "editor"
    assert joining_role(_project(locked=True), "editor") == "viewer"
    assert joining_role(_project(default_role="viewer"), "editor") == "viewer"


def _record(user: str, size: int, n: int, removed: bool = False) -> MediaRecord:
    item = MediaItem(id=f"m{n}", sha256="x", kind=MediaKind.PHOTO, path=Path("x.jpg"), original_name="x.jpg",
                     mime="image/jpeg", size_bytes=size)  # fmt: skip
    return MediaRecord(project_id="p", media_id=f"m{n}", item=item, storage_key="k", contributor_key=user,
                       added_at=NOW, removed=removed)  # fmt: skip


def test_upload_allowance_per_user_and_project() -> None:
    s = CoreSettings(max_files_per_user=3, max_files_per_project=4, max_bytes_per_user=1000, max_bytes_per_project=0)
    media = [_record("ann", 100, 1), _record("ann", 100, 2), _record("bob", 100, 3), _record("ann", 900, 4, removed=True)]
    a = upload_allowance(s, media, "ann")
    assert a.files == 1 and a.bytes == 800
    b = upload_allowance(s, media + [_record("ann", 1, 5)], "bob")
    assert b.files == 0 and "this project has reached its limit of 4 files" in b.reason_files


def test_movies_per_hour() -> None:
    s = CoreSettings(movies_per_hour_per_user=2, movies_per_hour_per_project=3)

    def v(n: int, who: str, minutes_ago: int, status: str = "ready") -> Version:
        return Version(project_id="p", number=n, request=PlanRequest(), created_by=who, status=status,  # type: ignore[arg-type]
                       created_at=NOW - timedelta(minutes=minutes_ago))  # fmt: skip

    assert movie_limit(s, [v(1, "ann", 10)], "ann", NOW) is None
    msg = movie_limit(s, [v(1, "ann", 50), v(2, "ann", 10)], "ann", NOW)
    assert msg is not None and "2 movies in the last hour for you" in msg and "about 11 minutes" in msg
    assert movie_limit(s, [v(1, "ann", 50), v(2, "ann", 10, "cancelled")], "ann", NOW) is None
    assert movie_limit(s, [v(1, "ann", 70), v(2, "ann", 61)], "ann", NOW) is None
    full = movie_limit(s, [v(1, "a", 5), v(2, "b", 5), v(3, "c", 5)], "d", NOW)
    assert full is not None and "this project" in full
