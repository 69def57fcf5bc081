"""The real conversation core on the Supabase stores: a project made, a movie delivered, then the
owner's /delete — and afterwards no row in PostgreSQL and no object in any bucket. The pipeline is
the core tests' fast stand-in; the chat is their recording outbox (tests/unit/conversation)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from conversation.actions import Say, SendMovie
from conversation.core import ConversationCore
from conversation.events import ChatRef, ChoiceMade, CommandReceived, IncomingFile, MediaReceived
from conversation.jobs import JobDeps, job_function
from conversation.runner import InProcessJobQueue
from conversation.settings import CoreSettings
from conversation.store.supabase_media import SupabaseMediaStore
from conversation.store.supabase_store import SupabaseProjectStore
from tests.fakes.supabase_stack import SupabaseStack
from tests.unit.conversation.chatkit import Clock, RecordingOutbox, ann
from tests.unit.conversation.standin import StandInPipeline

pytestmark = pytest.mark.postgres

TABLES = (
    "projects", "project_collaborators", "media_assets", "project_versions", "comments", "votes",
    "processing_jobs", "chat_bindings", "message_links",
)


class SupabaseChat:
    """The core wired as bots/ would wire it in production, with a recording chat."""

    def __init__(self, stack: SupabaseStack, root: Path) -> None:
        self.store = SupabaseProjectStore(stack.url, stack.service_role_key)
        self.media = SupabaseMediaStore(stack.url, stack.service_role_key)
        self.outbox = RecordingOutbox()
        self.ref = ChatRef(platform="telegram", chat_id="-100", thread_id="7", is_group=False)
        pipeline = StandInPipeline()
        deps = JobDeps(store=self.store, media=self.media, pipeline=pipeline, scratch_dir=root / "jobs")
        self.queue = InProcessJobQueue(self.store, job_function(deps), retry_delays=())
        self.core = ConversationCore(self.store, self.media, self.queue, self.outbox, pipeline, Clock(),
                                     CoreSettings(scratch_dir=root / "scratch"))
        self.queue.set_sink(self.core.on_job_update)
        self._n = 0

    def _eid(self) -> str:
        self._n += 1
        return f"e{self._n}"

    async def command(self, name: str, args: str = "") -> None:
        await self.core.handle(CommandReceived(chat=self.ref, user=ann, event_id=self._eid(), name=name, args=args))

    async def upload(self, *paths: Path) -> None:
        files = tuple(IncomingFile(name=p.name, path=p, size_bytes=p.stat().st_size) for p in paths)
        await self.core.handle(MediaReceived(chat=self.ref, user=ann, event_id=self._eid(), files=files))

    async def press(self, payload: str) -> None:
        await self.core.handle(ChoiceMade(chat=self.ref, user=ann, event_id=self._eid(), payload=payload))

    def said(self, kind: type, text: str) -> Any:
        for action in self.outbox.sent:
            if isinstance(action, kind) and text in getattr(action, "text", getattr(action, "caption", "")):
                return action
        raise AssertionError(f"no {kind.__name__} with {text!r} in {self.outbox.sent}")

    async def close(self) -> None:
        await self.queue.close()
        await self.store.aclose()
        await self.media.aclose()


@pytest.fixture
async def chat(fresh_supabase: SupabaseStack, tmp_path: Path) -> AsyncIterator[SupabaseChat]:
    c = SupabaseChat(fresh_supabase, tmp_path)
    yield c
    await c.close()


async def test_a_movie_made_then_deleted_leaves_nothing_behind(
    chat: SupabaseChat, fresh_supabase: SupabaseStack, tiny_media: Any
) -> None:
    await chat.command("new", "Lisbon")
    await chat.upload(*(tiny_media.photo(f"IMG_0{i}.jpg", seed=i) for i in range(3)), tiny_media.song("song.wav", 3))
    await chat.command("make")
    await chat.queue.join()
    movie = chat.said(SendMovie, "v1")
    assert movie.path.is_file() and movie.path.stat().st_size > 0

    project = await chat.store.project_for_chat(chat.ref.key)
    assert project is not None and project.state == "delivered" and project.current_version == 1
    sql = fresh_supabase.sql
    assert sql("select count(*) from public.media_assets where project_id = %s", (project.id,)) == [(4,)]
    assert sql("select status from public.project_versions where project_id = %s", (project.id,)) == [("ready",)]
    buckets = {bucket for bucket, key in fresh_supabase.storage.objects if key.startswith(f"{project.id}/")}
    assert "user-media" in buckets and "rendered-videos" in buckets
    assert sql("select platform, chat_id, thread_id from public.chat_bindings") == [("telegram", "-100", "7")]

    await chat.command("delete")
    ask = chat.said(Say, "Delete")
    await chat.press(ask.buttons[0][0].payload)
    chat.said(Say, "Deleted")

    for table in TABLES:
        assert sql(f"select count(*) from public.{table}") == [(0,)], table
    assert fresh_supabase.storage.objects == {}
    assert list((fresh_supabase.storage.root).rglob("*.part")) == []
    # people stay: a profile is an identity, not project data
    assert sql("select platform, platform_user_id from public.profiles") == [("test", "ann")]
