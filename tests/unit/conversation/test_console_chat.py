"""The console chat through real pipes: a scripted session from /new to a refined movie, files
by path (dragged in and /add with globs), buttons by number, replies with @v1, two users."""

from __future__ import annotations

import io
import os
from pathlib import Path

from bots.console import ConsoleOutbox, line_to_event, run_chat
from conversation.core import ConversationCore
from conversation.events import ChatRef, ChoiceMade, CommandReceived, MediaReceived, TextReceived, UserRef
from conversation.ports import Outbox
from tests.unit.conversation.chatkit import Chat
from tests.unit.conversation.standin import StandInPipeline


def _factory(chat: Chat):  # type: ignore[no-untyped-def]
    def make(outbox: Outbox) -> ConversationCore:
        core = ConversationCore(chat.store, chat.media, chat.queue, outbox, chat.pipeline, chat.clock, chat.settings)
        chat.queue.set_sink(core.on_job_update)
        return core

    return make


async def _run(chat: Chat, script: str, user: str = "ann", movies: Path | None = None) -> str:
    r, w = os.pipe()  # a real pipe, like `memory-movie chat < script`
    with os.fdopen(w, "w") as wf:
        wf.write(script)
    out = io.StringIO()
    with os.fdopen(r) as stdin:
        status = await run_chat(_factory(chat), stdin=stdin, stdout=out, user=user, chat_id="console",
                                wait_for_jobs=chat.queue.join, movies_dir=movies)  # fmt: skip
    assert status == 0
    return out.getvalue()


async def test_scripted_session_from_new_to_refined_movie(tmp_path: Path, tiny_media) -> None:  # type: ignore[no-untyped-def]
    chat = Chat(tmp_path, StandInPipeline(tags={"IMG_07.jpg": ("car",)}))
    photos = [tiny_media.photo(f"IMG_0{i}.jpg", seed=i) for i in range(5, 9)]
    song = tiny_media.song("song.wav", seconds=2)
    script = "\n".join([
        "/new Lisbon trip",
        " ".join(f"'{p}'" for p in photos[:2]),  # dragged in
        f"/add {tiny_media.root}/IMG_07.jpg {tiny_media.root}/IMG_08.jpg {song}",
        f"/add {tmp_path}/nope.jpg",
        "make it 12 seconds, upbeat",
        "/status",
        "",
    ])  # fmt: skip
    try:
        first = await _run(chat, script, movies=tmp_path / "out")
        assert "bot: New project “Lisbon trip”" in first
        assert "bot: Got 2 photos" in first and "bot: Got 2 photos, 1 song" in first
        assert "I can't find" in first and "nope.jpg" in first
        assert "bot: [storyboard] " in first and "Plan v1: 4 shots" in first
        assert "rendering" in first
        movie = tmp_path / "out" / "lisbon-trip-v1.mp4"
        assert f"→ {movie}" in first and movie.is_file()
        assert "[1] Shorter  [2] Longer" in first
        # a second session (same chat): press a button by number, reply to v1 by @v1
        second = await _run(chat, "/versions\n")
        assert "v1: 12 seconds long, mood: upbeat ← current" in second
        third = await _run(chat, "/undo\n4\n@v1 drop the one with the car\n", movies=tmp_path / "out")
        assert "Nothing to undo: v1 is the first version." in third
        # "4" pressed nothing here: no buttons were shown in this session yet, so it's plain text
        assert "Got it: removing IMG_07.jpg" in third
        assert (tmp_path / "out" / "lisbon-trip-v2.mp4").is_file()
    finally:
        await chat.close()


async def test_bob_joins_the_same_console_chat(tmp_path: Path, tiny_media) -> None:  # type: ignore[no-untyped-def]
    chat = Chat(tmp_path, StandInPipeline())
    try:
        await _run(chat, f"/new shared\n{tiny_media.photo('a.jpg')}\n")
        out = await _run(chat, f"{tiny_media.photo('b.jpg', seed=3)}\n/members\n", user="bob")
        assert "bot: Got 1 photo" in out
        assert "ann: owner, 1 file" in out and "bob: editor, 1 file" in out
    finally:
        await chat.close()


def test_lines_become_events(tmp_path: Path) -> None:
    chat, user = ChatRef(platform="console", chat_id="c"), UserRef(platform="console", user_id="ann")
    out = ConsoleOutbox(io.StringIO())
    f = tmp_path / "my photo.jpg"
    f.write_bytes(b"x")
    assert isinstance(line_to_event(f"'{f}'", chat, user, out), MediaReceived)
    assert isinstance(line_to_event(str(f).replace(" ", "\\ "), chat, user, out), MediaReceived)
    media = line_to_event(f"/add {tmp_path}/*.jpg", chat, user, out)
    assert isinstance(media, MediaReceived) and media.files[0].name == "my photo.jpg"
    cmd = line_to_event("/settings aspect vertical", chat, user, out)
    assert isinstance(cmd, CommandReceived) and cmd.name == "settings" and cmd.args == "aspect vertical"
    assert isinstance(line_to_event("slower start", chat, user, out), TextReceived)
    assert line_to_event("   ", chat, user, out) is None
    earlier = line_to_event("@v3 slower", chat, user, out)  # a movie from an earlier session
    assert isinstance(earlier, TextReceived) and earlier.text == "go back to v3 but slower"
    out.movie_ids[3] = "cX-7"
    reply = line_to_event("@v3 slower", chat, user, out)
    assert isinstance(reply, TextReceived) and reply.text == "slower" and reply.reply_to == "cX-7"
    out.buttons = [(__import__("conversation.actions", fromlist=["Button"]).Button(label="Shorter", payload="say:shorter"), "c9")]
    press = line_to_event("1", chat, user, out)
    assert isinstance(press, ChoiceMade) and press.payload == "say:shorter" and press.message_id == "c9"
