"""ProjectStore contract: what the conversation core relies on, for every implementation."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from conversation.models import Comment, Job, MediaRecord, Member, MessageLink, Project, Version, Vote
from conversation.ports import DuplicateVersion, ProjectStore, StaleWrite
from pipeline.models import (
    Box,
    EditPlan,
    MediaItem,
    MediaKind,
    Motion,
    MusicCue,
    PlanRequest,
    Segment,
    Transition,
)

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def project(pid: str = "p1", chat: str = "tg:100", owner: str = "tg:ann", **kw: object) -> Project:
    return Project(
        id=pid, title=f"Trip {pid}", chat_key=chat, owner_key=owner, created_at=at(0), updated_at=at(0), **kw
    )


def item(mid: str, kind: MediaKind = MediaKind.PHOTO) -> MediaItem:
    return MediaItem(
        id=mid,
        sha256=mid * 4,
        kind=kind,
        path=Path(f"/tmp/{mid}.jpg"),
        original_name=f"IMG_{mid}.jpg",
        mime="image/jpeg",
        size_bytes=1234,
        width=4032,
        height=3024,
        capture_time=at(-3600),
        warnings=("rotated by EXIF",),
    )


def media(pid: str, mid: str, who: str = "tg:ann", seconds: float = 0) -> MediaRecord:
    return MediaRecord(
        project_id=pid,
        media_id=mid,
        item=item(mid),
        storage_key=f"{pid}/{mid}.jpg",
        contributor_key=who,
        contributor_name=who.split(":")[1],
        added_at=at(seconds),
    )


def rich_plan() -> EditPlan:
    box = Box(x=0.1, y=0.1, w=0.5, h=0.5)
    return EditPlan(
        duration=9.0,
        aspect="9:16",
        segments=(
            Segment(
                index=0,
                media_id="a",
                kind=MediaKind.PHOTO,
                timeline_start=0,
                duration=4.5,
                motion=Motion(start=box, end=Box(x=-0.1, y=0, w=0.6, h=0.6)),
                story_beat="opening",
            ),
            Segment(
                index=1,
                media_id="v",
                kind=MediaKind.VIDEO,
                timeline_start=4.5,
                duration=4.5,
                source_start=1.0,
                source_end=5.5,
                transition_in=Transition(kind="crossfade", duration=0.5),
                audio="duck",
                caption="Hi",
            ),
        ),
        music=MusicCue(media_id="s", fade_out=2.0),
        request=PlanRequest(
            prompt="upbeat", pace={"start": 1.5}, exclude=frozenset({"x", "y"}), captions={"a": "A"}
        ),
    )


def version(pid: str, number: int, **kw: object) -> Version:
    base: dict[str, object] = dict(
        project_id=pid,
        number=number,
        request=PlanRequest(prompt="make it upbeat", duration=40, aspect="9:16"),
        created_by="tg:ann",
        created_at=at(number),
    )
    base.update(kw)
    return Version(**base)  # type: ignore[arg-type]


def job(jid: str, pid: str = "p1", status: str = "queued", seconds: float = 0, **kw: object) -> Job:
    return Job(
        id=jid,
        project_id=pid,
        kind="make",
        status=status,
        created_at=at(seconds),
        updated_at=at(seconds),
        **kw,
    )  # type: ignore[arg-type]


# ------------------------------------------------------------------ projects


async def test_project_round_trips_with_nested_request(project_store: ProjectStore) -> None:
    p = project(
        request=PlanRequest(prompt="40 s upbeat", duration=40, exclude=frozenset({"m1"}), pace={"start": 2.0})
    )
    await project_store.create_project(p)
    assert await project_store.get_project("p1") == p
    assert await project_store.get_project("nope") is None


async def test_update_bumps_revision_and_refuses_stale_writes(project_store: ProjectStore) -> None:
    await project_store.create_project(project())
    first = await project_store.get_project("p1")
    assert first is not None and first.revision == 0
    saved = await project_store.update_project(first.model_copy(update={"state": "ready"}))
    assert saved.revision == 1
    stored = await project_store.get_project("p1")
    assert stored == saved and stored.state == "ready"

    # a second writer that read revision 0 must re-read, not overwrite
    with pytest.raises(StaleWrite):
        await project_store.update_project(first.model_copy(update={"title": "lost update"}))
    stored = await project_store.get_project("p1")
    assert stored is not None and stored.title == "Trip p1" and stored.revision == 1


async def test_concurrent_updates_exactly_one_wins(project_store: ProjectStore) -> None:
    await project_store.create_project(project())
    base = await project_store.get_project("p1")
    assert base is not None
    results = await asyncio.gather(
        *(project_store.update_project(base.model_copy(update={"title": f"t{i}"})) for i in range(5)),
        return_exceptions=True,
    )
    wins = [r for r in results if isinstance(r, Project)]
    assert len(wins) == 1
    assert all(isinstance(r, StaleWrite) for r in results if not isinstance(r, Project))
    stored = await project_store.get_project("p1")
    assert stored is not None and stored.revision == 1 and stored.title == wins[0].title


async def test_chat_binding_follows_newest_project_and_rebinds(project_store: ProjectStore) -> None:
    await project_store.create_project(project("p1", chat="tg:100"))
    found = await project_store.project_for_chat("tg:100")
    assert found is not None and found.id == "p1"
    await project_store.create_project(project("p2", chat="tg:100"))
    found = await project_store.project_for_chat("tg:100")
    assert found is not None and found.id == "p2"
    await project_store.bind_chat("tg:100", "p1")
    found = await project_store.project_for_chat("tg:100")
    assert found is not None and found.id == "p1"
    await project_store.bind_chat("dc:5:thread9", "p2")
    found = await project_store.project_for_chat("dc:5:thread9")
    assert found is not None and found.id == "p2"
    assert await project_store.project_for_chat("tg:999") is None


async def test_projects_of_user_covers_owned_and_joined(project_store: ProjectStore) -> None:
    await project_store.create_project(project("p1", owner="tg:ann"))
    await project_store.create_project(project("p2", chat="tg:200", owner="tg:bob"))
    await project_store.create_project(project("p3", chat="tg:300", owner="tg:cat"))
    await project_store.put_member(Member(project_id="p2", user_key="tg:ann", role="viewer", joined_at=at(5)))
    assert [p.id for p in await project_store.projects_of_user("tg:ann")] == ["p1", "p2"]
    assert [p.id for p in await project_store.projects_of_user("tg:bob")] == ["p2"]
    assert await project_store.projects_of_user("tg:nobody") == []


# ------------------------------------------------------------------ members


async def test_members_put_replace_list_remove(project_store: ProjectStore) -> None:
    await project_store.create_project(project())
    ann = Member(project_id="p1", user_key="tg:ann", name="Ann", role="owner", joined_at=at(0))
    bob = Member(project_id="p1", user_key="tg:bob", name="Bob", role="editor", joined_at=at(10))
    await project_store.put_member(bob)
    await project_store.put_member(ann)
    assert await project_store.list_members("p1") == [ann, bob]
    viewer = bob.model_copy(update={"role": "viewer"})
    await project_store.put_member(viewer)
    assert await project_store.get_member("p1", "tg:bob") == viewer
    assert len(await project_store.list_members("p1")) == 2
    await project_store.remove_member("p1", "tg:bob")
    assert await project_store.get_member("p1", "tg:bob") is None
    assert await project_store.list_members("p1") == [ann]
    await project_store.remove_member("p1", "tg:nobody")  # no error


# ------------------------------------------------------------------ media


async def test_media_dedupes_by_id_and_keeps_the_order_sent(project_store: ProjectStore) -> None:
    await project_store.create_project(project())
    records = [media("p1", m, seconds=i) for i, m in enumerate(["c", "a", "b"])]
    for r in records:
        assert await project_store.add_media(r) is True
    # the same photo again, from someone else: one record, the first contributor kept
    assert await project_store.add_media(media("p1", "a", who="tg:bob", seconds=99)) is False
    listed = await project_store.list_media("p1")
    assert listed == records
    assert listed[0].item.capture_time == at(-3600) and listed[0].item.warnings == ("rotated by EXIF",)


async def test_media_removed_flag_and_delete(project_store: ProjectStore) -> None:
    await project_store.create_project(project())
    await project_store.create_project(project("p2", chat="tg:200"))
    for m in ["a", "b", "c"]:
        await project_store.add_media(media("p1", m))
    await project_store.add_media(media("p2", "a"))  # same photo in another project is separate

    assert await project_store.set_media_removed("p1", ["a", "zzz"], True) == 1
    assert [r.media_id for r in await project_store.list_media("p1")] == ["b", "c"]
    everything = await project_store.list_media("p1", include_removed=True)
    assert [(r.media_id, r.removed) for r in everything] == [("a", True), ("b", False), ("c", False)]
    assert [r.media_id for r in await project_store.list_media("p2")] == ["a"]

    assert await project_store.set_media_removed("p1", ["a"], False) == 1  # undo
    assert [r.media_id for r in await project_store.list_media("p1")] == ["a", "b", "c"]

    assert await project_store.delete_media("p1", ["b", "zzz"]) == 1
    assert [r.media_id for r in await project_store.list_media("p1", include_removed=True)] == ["a", "c"]
    assert [r.media_id for r in await project_store.list_media("p2")] == ["a"]


# ------------------------------------------------------------------ versions


async def test_versions_unique_per_project_and_round_trip_a_plan(project_store: ProjectStore) -> None:
    await project_store.create_project(project())
    await project_store.create_project(project("p2", chat="tg:200"))
    v1 = version("p1", 1)
    await project_store.create_version(v1)
    with pytest.raises(DuplicateVersion):
        await project_store.create_version(version("p1", 1, summary="a racing second v1"))
    await project_store.create_version(version("p2", 1))  # numbers are per project
    v2 = version("p1", 2, parent=1, plan=rich_plan(), summary="slower start")
    await project_store.create_version(v2)

    assert await project_store.get_version("p1", 1) == v1
    got = await project_store.get_version("p1", 2)
    assert got == v2 and got.plan is not None and got.plan.request.exclude == frozenset({"x", "y"})
    assert await project_store.get_version("p1", 3) is None
    assert [v.number for v in await project_store.list_versions("p1")] == [1, 2]

    ready = v1.model_copy(
        update={
            "status": "ready",
            "render_key": "p1/v1.mp4",
            "duration": 40.0,
            "width": 1080,
            "height": 1920,
            "size_bytes": 123456,
        }
    )
    await project_store.update_version(ready)
    assert await project_store.get_version("p1", 1) == ready
    assert (await project_store.get_version("p2", 1)).status == "queued"  # type: ignore[union-attr]


async def test_concurrent_create_version_one_wins(project_store: ProjectStore) -> None:
    await project_store.create_project(project())
    results = await asyncio.gather(
        *(project_store.create_version(version("p1", 1, summary=str(i))) for i in range(4)),
        return_exceptions=True,
    )
    assert sum(r is None for r in results) == 1
    assert all(isinstance(r, DuplicateVersion) for r in results if r is not None)
    assert len(await project_store.list_versions("p1")) == 1


# ------------------------------------------------------------------ comments and votes


async def test_comments_in_time_order(project_store: ProjectStore) -> None:
    await project_store.create_project(project())
    late = Comment(
        id="c2",
        project_id="p1",
        version=1,
        user_key="tg:bob",
        text="at 0:23 too fast",
        at_seconds=23.0,
        created_at=at(20),
    )
    early = Comment(
        id="c1", project_id="p1", version=None, user_key="tg:ann", text="love it", created_at=at(10)
    )
    await project_store.add_comment(late)
    await project_store.add_comment(early)
    assert await project_store.list_comments("p1") == [early, late]


async def test_second_vote_replaces_the_first(project_store: ProjectStore) -> None:
    await project_store.create_project(project())
    await project_store.put_vote(
        Vote(project_id="p1", ballot="v2-vs-v3", user_key="tg:ann", version=2, created_at=at(1))
    )
    await project_store.put_vote(
        Vote(project_id="p1", ballot="v2-vs-v3", user_key="tg:bob", version=3, created_at=at(2))
    )
    await project_store.put_vote(
        Vote(project_id="p1", ballot="v2-vs-v3", user_key="tg:ann", version=3, created_at=at(3))
    )
    await project_store.put_vote(
        Vote(project_id="p1", ballot="v1-vs-v2", user_key="tg:ann", version=1, created_at=at(4))
    )
    votes = await project_store.list_votes("p1", "v2-vs-v3")
    assert sorted((v.user_key, v.version) for v in votes) == [("tg:ann", 3), ("tg:bob", 3)]
    assert [(v.user_key, v.version) for v in await project_store.list_votes("p1", "v1-vs-v2")] == [
        ("tg:ann", 1)
    ]


# ------------------------------------------------------------------ jobs


async def test_jobs_upsert_and_filter_by_status_and_project(project_store: ProjectStore) -> None:
    await project_store.create_project(project())
    await project_store.create_project(project("p2", chat="tg:200"))
    await project_store.put_job(job("p1:v1:make", seconds=1))
    await project_store.put_job(
        job("p1:v2:make", status="processing", seconds=2, progress=40, stage="rendering")
    )
    await project_store.put_job(job("p2:v1:make", pid="p2", seconds=3))
    await project_store.put_job(job("p1:v1:make", status="completed", seconds=1, progress=100))

    done = await project_store.get_job("p1:v1:make")
    assert done is not None and done.status == "completed" and done.progress == 100
    assert await project_store.get_job("nope") is None
    assert [j.id for j in await project_store.list_jobs()] == ["p1:v1:make", "p1:v2:make", "p2:v1:make"]
    assert [j.id for j in await project_store.list_jobs(status="queued")] == ["p2:v1:make"]
    running = await project_store.list_jobs(status="processing")
    assert [(j.id, j.progress, j.stage) for j in running] == [("p1:v2:make", 40, "rendering")]
    assert [j.id for j in await project_store.list_jobs(project_id="p1")] == ["p1:v1:make", "p1:v2:make"]
    assert await project_store.list_jobs(status="completed", project_id="p2") == []


async def test_failed_job_keeps_its_reason(project_store: ProjectStore) -> None:
    await project_store.create_project(project())
    await project_store.put_job(job("j", status="failed", error="Send at least 2 photos.", attempts=2))
    got = await project_store.get_job("j")
    assert got is not None and got.error == "Send at least 2 photos." and got.attempts == 2


# ------------------------------------------------------------------ message links, redeliveries


async def test_message_links_found_by_chat_and_message(project_store: ProjectStore) -> None:
    await project_store.create_project(project())
    link = MessageLink(chat_key="tg:100", message_id="555", project_id="p1", version=2, kind="movie")
    await project_store.link_message(link)
    assert await project_store.find_message("tg:100", "555") == link
    assert await project_store.find_message("tg:200", "555") is None
    edited = link.model_copy(update={"kind": "storyboard"})
    await project_store.link_message(edited)
    assert await project_store.find_message("tg:100", "555") == edited


async def test_a_versions_progress_message_is_found_again(project_store: ProjectStore) -> None:
    await project_store.create_project(project())
    for mid, version, kind in (("7", 1, "progress"), ("8", 1, "movie"), ("9", 2, "progress")):
        await project_store.link_message(
            MessageLink(chat_key="tg:100", message_id=mid, project_id="p1", version=version, kind=kind)
        )
    found = await project_store.find_progress("p1", 1)
    assert found is not None and found.message_id == "7"
    assert (await project_store.find_progress("p1", 2)).message_id == "9"  # type: ignore[union-attr]
    assert await project_store.find_progress("p1", 3) is None


async def test_mark_event_seen_is_true_once(project_store: ProjectStore) -> None:
    assert await project_store.mark_event_seen("tg:update:1") is True
    assert await project_store.mark_event_seen("tg:update:1") is False
    assert await project_store.mark_event_seen("tg:update:2") is True
    results = await asyncio.gather(*(project_store.mark_event_seen("dc:msg:9") for _ in range(6)))
    assert results.count(True) == 1


# ------------------------------------------------------------------ deletion and restarts


async def test_delete_project_removes_everything_it_owns(project_store: ProjectStore) -> None:
    await project_store.create_project(project("p1"))
    await project_store.create_project(project("p2", chat="tg:200"))
    for pid in ("p1", "p2"):
        await project_store.put_member(Member(project_id=pid, user_key="tg:bob", joined_at=at(1)))
        await project_store.add_media(media(pid, "a"))
        await project_store.create_version(version(pid, 1))
        await project_store.add_comment(
            Comment(
                id=f"c-{pid}", project_id=pid, version=1, user_key="tg:bob", text="nice", created_at=at(2)
            )
        )
        await project_store.put_vote(
            Vote(project_id=pid, ballot="b", user_key="tg:bob", version=1, created_at=at(3))
        )
        await project_store.put_job(job(f"{pid}:v1:make", pid=pid))
        await project_store.link_message(MessageLink(chat_key=f"chat-{pid}", message_id="1", project_id=pid))

    await project_store.delete_project("p1")

    assert await project_store.get_project("p1") is None
    assert await project_store.project_for_chat("tg:100") is None
    assert await project_store.list_members("p1") == []
    assert await project_store.list_media("p1", include_removed=True) == []
    assert await project_store.list_versions("p1") == []
    assert await project_store.list_comments("p1") == []
    assert await project_store.list_votes("p1", "b") == []
    assert await project_store.list_jobs(project_id="p1") == []
    assert await project_store.find_message("chat-p1", "1") is None
    assert [p.id for p in await project_store.projects_of_user("tg:bob")] == ["p2"]
    # the other project is untouched
    assert len(await project_store.list_media("p2")) == 1
    assert len(await project_store.list_versions("p2")) == 1
    assert await project_store.find_message("chat-p2", "1") is not None
    await project_store.delete_project("p1")  # deleting again is harmless


async def test_data_survives_reopening_the_store(project_store_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    async with project_store_factory(tmp_path) as store:
        await store.create_project(project())
        await store.add_media(media("p1", "a"))
        await store.create_version(version("p1", 1, plan=rich_plan()))
        await store.put_job(job("p1:v1:make", status="processing", progress=55))
        assert await store.mark_event_seen("e1")
    async with project_store_factory(tmp_path) as store:
        assert (await store.get_project("p1")) == project()
        assert [r.media_id for r in await store.list_media("p1")] == ["a"]
        assert (await store.get_version("p1", 1)).plan == rich_plan()  # type: ignore[union-attr]
        assert [j.progress for j in await store.list_jobs(status="processing")] == [55]
        assert await store.mark_event_seen("e1") is False
