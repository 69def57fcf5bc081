"""SupabaseMediaStore through the real storage3 client against the local Storage stand-in, and a
project's deletion end to end (rows in PostgreSQL through PostgREST, objects in every bucket).

What this proves is our side of the Storage REST API as storage3 2.34 speaks it, and the bucket
rules we declare; it does not prove hosted Supabase Storage behaves like the stand-in."""

from __future__ import annotations

import asyncio
import os
import tomllib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from storage3.exceptions import StorageApiError

from conversation.models import Comment, Job, MediaRecord, Member, MessageLink, Project, Version, Vote
from conversation.store.supabase_media import SupabaseMediaStore
from conversation.store.supabase_store import SupabaseProjectStore
from pipeline.models import MediaItem, MediaKind, PlanRequest
from tests.fakes.supabase_stack import CONFIG_TOML, SupabaseStack
from tests.fakes.supabase_storage import parse_size

pytestmark = pytest.mark.postgres

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
PER_PROJECT_TABLES = (
    "project_collaborators",
    "media_assets",
    "project_versions",
    "comments",
    "votes",
    "processing_jobs",
    "chat_bindings",
    "message_links",
)


@pytest.fixture
async def media(fresh_supabase: SupabaseStack) -> AsyncIterator[SupabaseMediaStore]:
    store = SupabaseMediaStore(fresh_supabase.url, fresh_supabase.service_role_key)
    try:
        yield store
    finally:
        await store.aclose()


def _file(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / "src" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


async def test_renders_posters_and_sent_media_land_in_their_buckets(
    media: SupabaseMediaStore, fresh_supabase: SupabaseStack, tmp_path: Path
) -> None:
    puts = {
        "p1/v1.mp4": ("video/mp4", "rendered-videos"),
        "p1/v1-poster.jpg": ("image/jpeg", "project-thumbnails"),
        "p1/v1-storyboard.png": ("image/png", "project-thumbnails"),
        "p1/0123456789abcdef.heic": ("image/heic", "user-media"),
        "p1/fedcba9876543210.m4a": ("audio/mp4", "user-media"),
    }
    for key, (mime, _bucket) in puts.items():
        await media.put(key, _file(tmp_path, key.replace("/", "_"), key.encode()), mime)
    assert set(fresh_supabase.storage.objects) == {(bucket, key) for key, (_m, bucket) in puts.items()}
    assert await media.list("p1/") == sorted(puts)
    assert (await media.get("p1/v1-poster.jpg", tmp_path / "dl")).read_bytes() == b"p1/v1-poster.jpg"


async def test_a_clip_bigger_than_a_chunk_streams_back_whole(
    media: SupabaseMediaStore, tmp_path: Path
) -> None:
    payload = os.urandom(5 * 1024 * 1024 + 123)
    await media.put("p1/0123456789abcdef.mp4", _file(tmp_path, "clip.mp4", payload), "video/mp4")
    got = await media.get("p1/0123456789abcdef.mp4", tmp_path / "dl")
    assert got == tmp_path / "dl" / "p1" / "0123456789abcdef.mp4"
    assert got.read_bytes() == payload
    assert not list(got.parent.glob(".get-*"))  # no partial file left beside it


async def test_buckets_refuse_types_outside_their_allow_list(
    media: SupabaseMediaStore, fresh_supabase: SupabaseStack, tmp_path: Path
) -> None:
    page = _file(tmp_path, "x.html", b"<html>")
    for key in ("p1/v1.mp4", "p1/v1-poster.jpg", "p1/abc.html"):
        with pytest.raises(StorageApiError) as refused:
            await media.put(key, page, "text/html")
        assert str(refused.value.status) == "415"
    assert fresh_supabase.storage.objects == {}


async def test_thumbnail_bucket_enforces_its_size_limit(
    media: SupabaseMediaStore, fresh_supabase: SupabaseStack, tmp_path: Path
) -> None:
    limit = fresh_supabase.storage.buckets["project-thumbnails"].file_size_limit
    assert limit == 10 * 1024 * 1024
    with pytest.raises(StorageApiError) as refused:
        await media.put("p1/v1-poster.jpg", _file(tmp_path, "big.jpg", b"\0" * (limit + 1)), "image/jpeg")
    assert str(refused.value.status) == "413"
    assert not await media.exists("p1/v1-poster.jpg")
    await media.put("p1/v1-poster.jpg", _file(tmp_path, "ok.jpg", b"\0" * limit), "image/jpeg")
    assert await media.exists("p1/v1-poster.jpg")


async def test_signed_url_shares_a_render_without_credentials_until_it_expires(
    media: SupabaseMediaStore, tmp_path: Path
) -> None:
    await media.put("p1/v2.mp4", _file(tmp_path, "m.mp4", b"movie bytes"), "video/mp4")
    url = await media.signed_url("p1/v2.mp4", expires_in=600)
    # a second, short-lived link for the expiry check: a loaded machine can take over a second
    # between signing and fetching, so the working link must not be the one that expires
    short = await media.signed_url("p1/v2.mp4", expires_in=1)
    assert url is not None and "/storage/v1/object/sign/rendered-videos/p1/v2.mp4?token=" in url
    assert short is not None
    async with httpx.AsyncClient() as http:
        fetched = await http.get(url)  # no apikey, no Authorization: the token is the permission
        assert fetched.status_code == 200 and fetched.content == b"movie bytes"
        tampered = await http.get(url.replace("v2.mp4?", "v3.mp4?"))
        assert tampered.status_code == 400
        await asyncio.sleep(2.1)
        expired = await http.get(short)
        assert expired.status_code == 400 and "exp" in expired.json()["message"]


async def test_only_the_service_role_touches_objects(fresh_supabase: SupabaseStack, tmp_path: Path) -> None:
    user = fresh_supabase.token(sub="00000000-0000-4000-8000-00000000000a")
    for key in (fresh_supabase.anon_key, user):
        store = SupabaseMediaStore(fresh_supabase.url, key)
        try:
            with pytest.raises(StorageApiError):
                await store.put("p1/a.jpg", _file(tmp_path, "a.jpg", b"\xff\xd8"), "image/jpeg")
            with pytest.raises(StorageApiError):
                await store.list("p1/")
            with pytest.raises(StorageApiError):  # refused, which is not the same as missing
                await store.get("p1/a.jpg", tmp_path / "dl")
        finally:
            await store.aclose()
    assert fresh_supabase.storage.objects == {}


async def test_deleting_a_project_leaves_no_rows_and_no_files(
    fresh_supabase: SupabaseStack, media: SupabaseMediaStore, tmp_path: Path
) -> None:
    store = SupabaseProjectStore(fresh_supabase.url, fresh_supabase.service_role_key)
    try:
        for pid, chat in (("p1", "tg:1"), ("p10", "tg:10")):  # p10 shares p1's name prefix
            await store.create_project(
                Project(id=pid, title=pid, chat_key=chat, owner_key="tg:ann", created_at=T0, updated_at=T0)
            )
            await store.put_member(Member(project_id=pid, user_key="tg:bob", joined_at=T0))
            for mid in ("aaaa", "bbbb"):
                key = f"{pid}/{mid}.jpg"
                await media.put(key, _file(tmp_path, f"{pid}{mid}.jpg", key.encode()), "image/jpeg")
                item = MediaItem(
                    id=mid,
                    sha256=mid,
                    kind=MediaKind.PHOTO,
                    path=Path(key),
                    original_name=key,
                    mime="image/jpeg",
                    size_bytes=9,
                )
                await store.add_media(
                    MediaRecord(
                        project_id=pid,
                        media_id=mid,
                        item=item,
                        storage_key=key,
                        contributor_key="tg:bob",
                        added_at=T0,
                    )
                )
            await media.put(f"{pid}/v1.mp4", _file(tmp_path, f"{pid}.mp4", b"mp4"), "video/mp4")
            await media.put(f"{pid}/v1-poster.jpg", _file(tmp_path, f"{pid}.jpg", b"jpg"), "image/jpeg")
            await store.create_version(
                Version(
                    project_id=pid,
                    number=1,
                    request=PlanRequest(),
                    status="ready",
                    render_key=f"{pid}/v1.mp4",
                    poster_key=f"{pid}/v1-poster.jpg",
                    created_by="tg:ann",
                    created_at=T0,
                )
            )
            await store.add_comment(
                Comment(
                    id=f"{pid}c", project_id=pid, version=1, user_key="tg:bob", text="nice", created_at=T0
                )
            )
            await store.put_vote(
                Vote(project_id=pid, ballot="b", user_key="tg:bob", version=1, created_at=T0)
            )
            await store.put_job(
                Job(id=f"{pid}:v1:make", project_id=pid, kind="make", created_at=T0, updated_at=T0)
            )
            await store.link_message(MessageLink(chat_key=chat, message_id="1", project_id=pid, kind="movie"))

        # what the owner's /delete does (conversation/commands/project.py: confirm_delete)
        assert await media.delete_prefix("p1/") == 4
        await store.delete_project("p1")
    finally:
        await store.aclose()

    sql = fresh_supabase.sql
    assert sql("select count(*) from public.projects where id = 'p1'") == [(0,)]
    for table in PER_PROJECT_TABLES:
        assert sql(f"select count(*) from public.{table} where project_id = 'p1'") == [(0,)], table
        assert sql(f"select count(*) from public.{table} where project_id = 'p10'")[0][0] > 0, table
    assert not [k for k in fresh_supabase.storage.objects if k[1].startswith("p1/")]
    assert len([k for k in fresh_supabase.storage.objects if k[1].startswith("p10/")]) == 4
    # every file a remaining row points at still exists
    for (key,) in sql(
        "select storage_key from public.media_assets union all "
        "select render_key from public.project_versions union all "
        "select poster_key from public.project_versions"
    ):
        assert await media.exists(key), key


def test_config_toml_and_the_bucket_migration_agree(supabase_stack: SupabaseStack) -> None:
    declared = tomllib.loads(CONFIG_TOML.read_text())["storage"]["buckets"]
    created = {
        row[0]: row[1:]
        for row in supabase_stack.sql(
            "select id, public, file_size_limit, allowed_mime_types from storage.buckets"
        )
    }
    assert set(created) == set(declared) == {"user-media", "rendered-videos", "project-thumbnails"}
    for name, spec in declared.items():
        assert created[name] == (
            spec["public"],
            parse_size(spec["file_size_limit"]),
            spec["allowed_mime_types"],
        )
    assert (
        declared["user-media"]["public"] is False
        and parse_size(declared["user-media"]["file_size_limit"]) == 500 * 1024**2
    )
