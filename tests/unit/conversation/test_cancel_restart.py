"""Stopping a movie mid-render, and a restart mid-render: nothing lost, the render resumed or reported."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from pathlib import Path

from conversation.actions import Say, SendMovie, ShowProgress
from conversation.settings import CoreSettings
from conversation.store.sqlite import SQLiteProjectStore
from tests.unit.conversation.chatkit import Chat, ann
from tests.unit.conversation.held_render import ASKED
from tests.unit.conversation.standin import StandInPipeline


async def _start_held_render(chat: Chat, standin: StandInPipeline, tiny_media) -> None:  # type: ignore[no-untyped-def]
    standin.render_gate = asyncio.Event()
    await chat.send(ann, "/new trip")
    await chat.upload(ann, *(tiny_media.photo(f"p{i}.jpg", seed=i) for i in range(3)))
    await chat.send(ann, "/make")
    await asyncio.wait_for(standin.render_started.wait(), 10)


async def test_cancel_mid_render(chat: Chat, standin: StandInPipeline, tiny_media) -> None:  # type: ignore[no-untyped-def]
    await _start_held_render(chat, standin, tiny_media)
    project = await chat.store.project_for_chat(chat.ref.key)
    assert project is not None and project.state == "rendering"
    await asyncio.wait_for(chat.send(ann, "/cancel"), 10)
    chat.expect(Say, "Stopped v1")
    await chat.settle()
    project = await chat.store.get_project(project.id)
    v1 = await chat.store.get_version(project.id, 1)  # type: ignore[union-attr]
    assert project is not None and project.state == "ready" and project.current_version is None
    assert v1 is not None and v1.status == "cancelled"
    assert not chat.movies()
    assert [p for p in chat.outbox.sent if isinstance(p, ShowProgress)][-1].done
    # and the project carries on: a new /make works
    standin.render_gate = None
    await chat.send(ann, "/make")
    await chat.settle()
    assert chat.movies()[-1].version == 2


def _crash_mid_render(root: Path, tiny_media) -> None:  # type: ignore[no-untyped-def]
    """A real process starts a render and is killed with SIGKILL in the middle of it."""
    photos = [str(tiny_media.photo(f"p{i}.jpg", seed=i)) for i in range(3)]
    repo = Path(__file__).resolve().parents[3]
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.unit.conversation.held_render", str(root), *photos],
        cwd=repo, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "READY"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()


async def test_restart_mid_render_resumes(tmp_path: Path, tiny_media) -> None:  # type: ignore[no-untyped-def]
    _crash_mid_render(tmp_path, tiny_media)

    second = Chat(tmp_path, StandInPipeline())  # same database and media folder, new process
    try:
        resumed = await second.core.recover()
        assert resumed == 1
        second.expect(Say, "picking it up again")
        await second.settle()
        movie = second.expect(SendMovie, "v1")
        assert movie.path.is_file()
        assert movie.reply_to == ASKED  # answers the /make sent before the crash
        # and the progress message posted before the crash is the one edited on, not a second one
        project = await second.store.project_for_chat(second.ref.key)
        assert project is not None
        before = await second.store.find_progress(project.id, 1)
        shown = {mid for a, mid in zip(second.outbox.sent, second.outbox.ids, strict=True) if isinstance(a, ShowProgress)}
        assert before is not None and shown == {before.message_id}
        project = await second.store.project_for_chat(second.ref.key)
        assert project is not None and project.state == "delivered" and project.current_version == 1
        assert len(await second.store.list_media(project.id)) == 3  # media intact
    finally:
        await second.close()


async def test_restart_mid_render_reported_when_not_resuming(tmp_path: Path, tiny_media) -> None:  # type: ignore[no-untyped-def]
    _crash_mid_render(tmp_path, tiny_media)
    settings = CoreSettings(scratch_dir=tmp_path / "scratch", resume_on_restart=False)
    second = Chat(tmp_path, StandInPipeline(), settings=settings, store=SQLiteProjectStore(tmp_path / "core.sqlite3"))
    try:
        assert await second.core.recover() == 1
        second.expect(Say, "couldn't finish it")
        project = await second.store.project_for_chat(second.ref.key)
        assert project is not None and project.state == "failed"
        await second.send(ann, "/make")  # and it can be made again
        await second.settle()
        assert [m.version for m in second.movies()] == [2]
    finally:
        await second.close()
