"""SupabaseProjectStore beyond the shared contract: every model field survives the schema, lists
longer than Supabase's 1000-row cap come back whole, people map to profiles, and the local seed
loads. Real PostgREST on the machine's PostgreSQL (skips locally without it; fails under CI=true)."""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import BaseModel

from conversation.models import Comment, Job, MediaRecord, Member, MessageLink, Project, Version, Vote
from conversation.store.supabase_store import SupabaseProjectStore, join_user_key, split_user_key
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
from tests.fakes.supabase_stack import REPO, SupabaseStack, apply_sql

pytestmark = pytest.mark.postgres

T0 = datetime(2026, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)


@pytest.fixture
async def store(fresh_supabase: SupabaseStack) -> AsyncIterator[SupabaseProjectStore]:
    s = SupabaseProjectStore(fresh_supabase.url, fresh_supabase.service_role_key)
    try:
        yield s
    finally:
        await s.aclose()


def _all_fields_set(record: BaseModel) -> None:
    """Guards the round-trip test itself: a field added to a model later must be set here too."""
    for name, field in type(record).model_fields.items():
        if field.is_required():
            continue
        default = field.get_default(call_default_factory=True)
        assert getattr(record, name) != default, f"{type(record).__name__}.{name} left at its default"


def _item() -> MediaItem:
    return MediaItem(
        id="0123456789abcdef", sha256="ab" * 32, kind=MediaKind.VIDEO, path=Path("/data/p/clip.mp4"),
        original_name="IMG_0001.MOV", mime="video/mp4", size_bytes=987654, width=1080, height=1920,
        duration=12.5, fps=29.97, has_audio=True, rotation=90, capture_time=T0 - timedelta(days=3),
        warnings=("rotated", "variable frame rate"),
    )


def _plan() -> EditPlan:
    return EditPlan(
        duration=9.0, aspect="9:16", title="Summer", tempo=128.0, narrative_arc="build", variety_score=0.7,
        reasoning="because", planner="gemini",
        segments=(
            Segment(index=0, media_id="a", kind=MediaKind.PHOTO, timeline_start=0, duration=4.5,
                    motion=Motion(start=Box(x=0.1, y=0.1, w=0.5, h=0.5), end=Box(x=-0.1, y=0, w=0.6, h=0.6)),
                    story_beat="opening"),
            Segment(index=1, media_id="v", kind=MediaKind.VIDEO, timeline_start=4.5, duration=4.5,
                    source_start=1.0, source_end=5.5, transition_in=Transition(kind="crossfade", duration=0.5),
                    audio="duck", caption="Hi"),
        ),
        music=MusicCue(media_id="s", fade_out=2.0),
        request=PlanRequest(prompt="upbeat", pace={"start": 1.5}, exclude=frozenset({"x"})),
    )


def _request() -> PlanRequest:
    return PlanRequest(
        prompt="45 s, end on the sunset", duration=45.0, aspect="9:16", mood="nostalgic", music_id="song1",
        pace={"start": 1.5, "end": 0.8}, exclude=frozenset({"m1", "m2"}), include=frozenset({"m3"}),
        opening_id="m4", closing_id="m5", order="chronological", transition_style="crossfades", title="Our trip",
        captions={"m4": "Day one"}, clip_audio="duck",
    )


async def test_every_field_of_every_record_round_trips(store: SupabaseProjectStore) -> None:
    project = Project(
        id="p1", title="Trip", chat_key="telegram:-100:7", owner_key="telegram:42", state="delivered",
        request=_request(), locked=True, current_version=2, default_role="viewer", ballot="v1-vs-v2",
        revision=5, created_at=T0, updated_at=T0 + timedelta(hours=1),
    )
    member = Member(project_id="p1", user_key="discord:99", name="Bob", role="viewer", joined_at=T0)
    record = MediaRecord(
        project_id="p1", media_id=_item().id, item=_item(), storage_key="p1/0123456789abcdef.mp4",
        contributor_key="discord:99", contributor_name="Bobby", added_at=T0, removed=True,
    )
    version = Version(
        project_id="p1", number=2, parent=1, request=_request(), plan=_plan(), status="ready",
        summary="slower start", render_key="p1/v2.mp4", poster_key="p1/v2-poster.jpg",
        storyboard_key="p1/v2-storyboard.png", duration=44.9, width=1080, height=1920, size_bytes=12345678,
        error="recovered", asked_in="777", created_by="discord:99", created_at=T0,
    )
    comment = Comment(id="c1", project_id="p1", version=2, user_key="discord:99", text="at 0:23 too fast",
                      at_seconds=23.5, created_at=T0)
    vote = Vote(project_id="p1", ballot="v1-vs-v2", user_key="discord:99", version=2, created_at=T0)
    job = Job(id="p1:v2:refine", project_id="p1", version=2, kind="refine", status="failed", progress=65,
              stage="rendering", error="Send at least 2 photos.", attempts=3, created_at=T0,
              updated_at=T0 + timedelta(seconds=9))
    link = MessageLink(chat_key="telegram:-100:7", message_id="555", project_id="p1", version=2, kind="ballot")
    for r in (project, member, record, version, comment, vote, job, link):
        _all_fields_set(r)

    await store.create_project(project)
    await store.put_member(member)
    assert await store.add_media(record)
    await store.create_version(version)
    await store.add_comment(comment)
    await store.put_vote(vote)
    await store.put_job(job)
    await store.link_message(link)

    assert await store.get_project("p1") == project
    assert await store.get_member("p1", "discord:99") == member
    assert await store.list_media("p1", include_removed=True) == [record]
    assert await store.get_version("p1", 2) == version
    assert await store.list_comments("p1") == [comment]
    assert await store.list_votes("p1", "v1-vs-v2") == [vote]
    assert await store.get_job("p1:v2:refine") == job
    assert await store.find_message("telegram:-100:7", "555") == link


async def test_lists_longer_than_the_row_cap_come_back_whole(
    store: SupabaseProjectStore, fresh_supabase: SupabaseStack
) -> None:
    await store.create_project(Project(id="big", title="", chat_key="tg:1", owner_key="tg:ann",
                                       created_at=T0, updated_at=T0))
    item = MediaItem(id="x", sha256="x", kind=MediaKind.PHOTO, path=Path("/x.jpg"), original_name="x.jpg",
                     mime="image/jpeg", size_bytes=1).model_dump(mode="json")
    owner = fresh_supabase.sql("select id from public.profiles")[0][0]
    # 2,345 rows straight into the table (the store would take a while), then read through it
    fresh_supabase.sql(
        "insert into public.media_assets (project_id, media_id, item, storage_key, contributor_id) "
        "select 'big', 'm' || lpad(n::text, 5, '0'), %s::jsonb, 'big/m' || n, %s "
        "from generate_series(1, 2345) n",
        (json.dumps(item), owner),
    )
    async with fresh_supabase.client(fresh_supabase.service_role_key) as raw:  # the cap is on
        assert len((await raw.table("media_assets").select("media_id").execute()).data) == 1000
    listed = await store.list_media("big")
    assert len(listed) == 2345
    assert [r.media_id for r in listed[:2]] == ["m00001", "m00002"] and listed[-1].media_id == "m02345"
    # bulk changes go in URL-sized chunks and still count every row
    every_other = [f"m{n:05d}" for n in range(1, 2346, 2)]
    assert await store.set_media_removed("big", [*every_other, "nope"], True) == 1173
    assert len(await store.list_media("big")) == 2345 - 1173
    assert await store.delete_media("big", every_other) == 1173
    assert len(await store.list_media("big", include_removed=True)) == 2345 - 1173


async def test_people_are_profiles_and_a_new_name_is_kept(
    store: SupabaseProjectStore, fresh_supabase: SupabaseStack
) -> None:
    await store.create_project(Project(id="p1", title="", chat_key="tg:1", owner_key="telegram:42",
                                       created_at=T0, updated_at=T0))
    await store.put_member(Member(project_id="p1", user_key="telegram:7", name="Bob", joined_at=T0))
    await store.put_member(Member(project_id="p1", user_key="telegram:7", name="Robert", joined_at=T0))
    await store.put_member(Member(project_id="p1", user_key="bare-key", joined_at=T0))
    rows = fresh_supabase.sql(
        "select platform, platform_user_id, display_name from public.profiles order by platform, platform_user_id"
    )
    assert rows == [("", "bare-key", ""), ("telegram", "42", ""), ("telegram", "7", "Robert")]
    # a second process (fresh cache) resolves the same people to the same profiles
    other = SupabaseProjectStore(fresh_supabase.url, fresh_supabase.service_role_key)
    try:
        assert [m.user_key for m in await other.list_members("p1")] == ["bare-key", "telegram:7"]
        assert [p.id for p in await other.projects_of_user("telegram:7")] == ["p1"]
    finally:
        await other.aclose()
    assert fresh_supabase.sql("select count(*) from public.profiles") == [(3,)]


@pytest.mark.parametrize("key", ["telegram:42", "discord:1:2", "bare", ":odd", "odd:", "a:"])
def test_user_keys_survive_the_platform_split(key: str) -> None:
    platform, user_id = split_user_key(key)
    assert user_id
    assert join_user_key({"platform": platform, "platform_user_id": user_id}) == key


async def test_a_write_that_breaks_the_schema_is_refused(store: SupabaseProjectStore) -> None:
    from postgrest.exceptions import APIError

    # media must sit under its project's folder, or deleting the project would orphan the file
    await store.create_project(Project(id="p1", title="", chat_key="tg:1", owner_key="tg:a",
                                       created_at=T0, updated_at=T0))
    with pytest.raises(APIError):
        await store.add_media(MediaRecord(project_id="p1", media_id="m", item=_item(), storage_key="elsewhere/m.mp4",
                                          contributor_key="tg:a", added_at=T0))
    with pytest.raises(APIError):  # no project, no rows that point at it
        await store.put_job(Job(id="j", project_id="missing", kind="make", created_at=T0, updated_at=T0))
    assert await store.list_media("p1", include_removed=True) == []


async def test_update_of_a_missing_project_or_version_says_so(store: SupabaseProjectStore) -> None:
    ghost = Project(id="ghost", title="", chat_key="tg:1", owner_key="tg:a", created_at=T0, updated_at=T0)
    with pytest.raises(KeyError):
        await store.update_project(ghost)
    with pytest.raises(KeyError):
        await store.update_version(Version(project_id="ghost", number=1, request=PlanRequest(),
                                           created_by="tg:a", created_at=T0))


async def test_the_local_seed_loads_and_reads_back(store: SupabaseProjectStore, fresh_supabase: SupabaseStack) -> None:
    apply_sql(fresh_supabase.dsn, [REPO / "supabase" / "seed.sql"])
    apply_sql(fresh_supabase.dsn, [REPO / "supabase" / "seed.sql"])  # `db reset` may run it again
    project = await store.project_for_chat("console:demo:")
    assert project is not None and project.title == "Demo trip" and project.owner_key == "console:demo"
    assert [(m.user_key, m.role) for m in await store.list_members("demo")] == [("console:demo", "owner")]


async def test_an_unreachable_supabase_is_a_connection_error_the_job_runner_retries(tmp_path: Path) -> None:
    from conversation.store.supabase_media import SupabaseMediaStore
    from conversation.store.supabase_store import SupabaseUnavailable

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    store = SupabaseProjectStore(url, "key", timeout=2)
    media = SupabaseMediaStore(url, "key", timeout=2)
    try:
        # (a write: postgrest-py itself retries reads for ~7 s before giving up)
        with pytest.raises(ConnectionError) as failed:
            await store.mark_event_seen("e1")
        assert isinstance(failed.value, SupabaseUnavailable)
        with pytest.raises(ConnectionError):
            await media.exists("p1/a.jpg")
        with pytest.raises(ConnectionError):
            await media.get("p1/a.jpg", tmp_path)
    finally:
        await store.aclose()
        await media.aclose()
