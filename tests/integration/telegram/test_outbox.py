"""Conversation actions -> Bot API calls, observed on the fake server."""

from __future__ import annotations

import io
import time
from pathlib import Path

import av
import pytest
from PIL import Image

from bots.telegram.app import TelegramBot, TelegramConfigError, build_application, webhook_secret
from bots.telegram.outbox import TelegramOutbox, split_text
from conversation.actions import Button, Say, SendMovie, SendPicture, ShowActivity, ShowProgress, StartThread
from conversation.events import ChatRef, CommandReceived, Event
from conversation.ports import UploadTooLarge
from tests.fakes.telegram_server import MB, FakeTelegram
from tests.fakes.telegram_users import TelegramUsers
from tests.integration.telegram.conftest import ScriptedCore, start_bot


def _chat(chat_id: int, thread: int | None = None) -> ChatRef:
    return ChatRef(platform="telegram", chat_id=str(chat_id), thread_id=str(thread) if thread else None,
                   is_group=chat_id < 0)  # fmt: skip


async def test_progress_is_one_message_edited_in_place(
    fake: FakeTelegram, scripted: tuple[TelegramBot, ScriptedCore]
) -> None:
    bot, _ = scripted
    chat = _chat(-100555, thread=9)
    outbox = bot.outbox
    ids = set()
    for pct, stage in ((0, "queued"), (30, "planning"), (30, "planning"), (65, "rendering")):
        ids.add(await outbox.send(ShowProgress(chat=chat, key="p1:v1", stage=stage, percent=pct,
                                               text=f"v1: {stage}… {pct}%")))  # fmt: skip
    # while work runs, Telegram's own indicator shows it too: "sending video…" during rendering
    upload = {"chat_id": -100555, "action": "upload_video", "message_thread_id": 9}
    await fake.wait_for(lambda: upload in fake.chat_actions, timeout=5)
    ids.add(await outbox.send(ShowProgress(chat=chat, key="p1:v1", stage="done", percent=100, text="v1: done",
                                           done=True)))  # fmt: skip
    (posted,) = fake.posted(-100555)
    assert ids == {str(posted.message_id)}
    assert posted.text == "v1: done" and posted.thread_id == 9
    assert posted.edits[0].startswith("v1: planning… 30%\n▓▓▓▓") and "rendering" in posted.edits[1]
    assert len(posted.edits) == 3  # the repeated 30% was not sent again
    # an edit to identical text is answered "message is not modified" by Telegram: no error
    second = await outbox.send(ShowProgress(chat=chat, key="p2", stage="x", percent=10, text="same"))
    outbox._progress[(chat.key, "p2")].text = "stale"  # as after a restart: we don't know what it says
    again = await outbox.send(ShowProgress(chat=chat, key="p2", stage="x", percent=10, text="same"))
    assert again == second and [m for m, _ in fake.calls if m != "sendChatAction"][-1] == "editMessageText"
    assert fake.posted(-100555)[-1].edits == []  # the fake refused the edit as "not modified"
    # while work runs, Telegram's own indicator shows it: "uploading video…" during rendering
    assert {"chat_id": -100555, "action": "upload_video", "message_thread_id": 9} in fake.chat_actions


async def test_after_a_restart_progress_edits_the_message_the_core_kept(
    fake: FakeTelegram, scripted: tuple[TelegramBot, ScriptedCore]
) -> None:
    bot, _ = scripted
    chat = _chat(-100556)
    first = await bot.outbox.send(ShowProgress(chat=chat, key="p1:v1", stage="rendering", percent=40, text="v1: 40%"))
    restarted = TelegramOutbox(bot.outbox.bot)  # a new process: it has never seen "p1:v1"
    try:
        again = await restarted.send(
            ShowProgress(chat=chat, key="p1:v1", stage="done", percent=100, text="v1: done", done=True, message_id=first)
        )
    finally:
        await restarted.close()
    (posted,) = fake.posted(-100556)  # one message, not a second one under the stale 40 %
    assert again == first == str(posted.message_id) and posted.text == "v1: done"


async def test_progress_edits_are_spaced_and_the_latest_wins(fake: FakeTelegram, tmp_path: Path) -> None:
    bot = await start_bot(fake, ScriptedCore, progress_interval=0.5)
    try:
        chat = _chat(4242)
        for pct in range(0, 100, 5):
            await bot.outbox.send(ShowProgress(chat=chat, key="k", stage="rendering", percent=pct,
                                               text=f"rendering {pct}%"))  # fmt: skip
        (posted,) = fake.posted(4242)
        await fake.wait_for(lambda: posted.text and posted.text.startswith("rendering 95%"), timeout=5)
        assert len(posted.edits) <= 2  # 20 updates within half a second: at most a couple of edits
    finally:
        await bot.stop()


async def test_movie_upload_carries_video_fields(
    fake: FakeTelegram, scripted: tuple[TelegramBot, ScriptedCore], tiny_media
) -> None:
    bot, _ = scripted
    clip = tiny_media.clip("movie.mp4", seconds=2.0)
    poster = tiny_media.photo("poster.jpg", size=(640, 360), seed=5)
    chat = _chat(-100777, thread=5)
    trigger = await bot.outbox.send(Say(chat=chat, text="make it"))
    mid = await bot.outbox.send(SendMovie(
        chat=chat, path=clip, caption="Trip v2 (from v1): slower start", duration=2.0, width=320, height=180,
        poster=poster, version=2, reply_to=trigger,
        buttons=((Button(label="Shorter", payload="say:shorter"), Button(label="Undo", payload="cmd:undo")),),
    ))  # fmt: skip
    (movie,) = fake.posted(-100777, "sendVideo")
    assert str(movie.message_id) == mid
    assert movie.uploads["video"].data == clip.read_bytes()
    f = movie.fields
    assert (f["duration"], f["width"], f["height"], f["supports_streaming"]) == (2, 320, 180, True)
    assert movie.text == "Trip v2 (from v1): slower start" and movie.thread_id == 5
    assert movie.reply_to == int(trigger) and movie.button_labels == ["Shorter", "Undo"]
    thumb = Image.open(io.BytesIO(movie.uploads["thumbnail"].data))
    assert thumb.format == "JPEG" and max(thumb.size) <= 320
    with av.open(io.BytesIO(movie.uploads["video"].data)) as container:
        assert container.streams.video[0].codec_context.name == "h264"


async def test_picture_activity_and_threads(
    fake: FakeTelegram, scripted: tuple[TelegramBot, ScriptedCore], tiny_media
) -> None:
    bot, _ = scripted
    chat = _chat(-100888, thread=3)
    picture = tiny_media.photo("storyboard.jpg", seed=2)
    mid = await bot.outbox.send(SendPicture(chat=chat, path=picture, caption="Plan v1: 6 shots"))
    assert await bot.outbox.send(ShowActivity(chat=chat, kind="upload_video")) is None
    assert await bot.outbox.send(StartThread(chat=chat, title="Trip")) is None
    (photo,) = fake.posted(-100888, "sendPhoto")
    assert str(photo.message_id) == mid and photo.uploads["photo"].data == picture.read_bytes()
    assert photo.text == "Plan v1: 6 shots" and photo.thread_id == 3
    assert fake.chat_actions == [{"chat_id": -100888, "action": "upload_video", "message_thread_id": 3}]
    assert len(fake.sent) == 1  # StartThread posted nothing


async def test_movie_over_upload_limit_raises_before_sending(fake: FakeTelegram, tmp_path: Path) -> None:
    bot = await start_bot(fake, ScriptedCore)
    try:
        big = tmp_path / "big.mp4"
        big.write_bytes(b"\0" * 3000)
        outbox = TelegramOutbox(bot.app.bot, upload_limit=2000)
        movie = SendMovie(chat=_chat(1), path=big, caption="v1", duration=1, width=2, height=2)
        with pytest.raises(UploadTooLarge) as err:
            await outbox.send(movie)
        assert (err.value.size_bytes, err.value.limit_bytes) == (3000, 2000)
        assert fake.posted() == []
    finally:
        await bot.stop()


async def test_server_413_becomes_upload_too_large(tmp_path: Path) -> None:
    # the adapter believes in 50 MB, the server takes less: its bare 413 must still be understood
    async with FakeTelegram(upload_limit=1 * MB) as fake:
        bot = await start_bot(fake, ScriptedCore)
        try:
            big = tmp_path / "big.mp4"
            big.write_bytes(b"\0" * (2 * MB))
            with pytest.raises(UploadTooLarge) as err:
                await bot.outbox.send(
                    SendMovie(chat=_chat(1), path=big, caption="v1", duration=1, width=2, height=2)
                )
            assert err.value.size_bytes == 2 * MB and err.value.limit_bytes == 50 * MB
            assert fake.posted() == []
        finally:
            await bot.stop()


async def test_flood_control_storm_loses_nothing(
    fake: FakeTelegram, users: TelegramUsers, scripted: tuple[TelegramBot, ScriptedCore]
) -> None:
    _, core = scripted

    async def react(core: ScriptedCore, event: Event) -> None:
        for i in range(5):
            await core.outbox.send(Say(chat=event.chat, text=f"message {i}"))

    core.react = react
    ann = users.user("Ann")
    fake.fail("sendMessage", times=3, retry_after=1)
    started = time.monotonic()
    users.says(ann, users.private(ann), "/go")
    await fake.wait_for(lambda: len(fake.posted(ann["id"])) == 5, timeout=20)
    assert fake.texts(ann["id"]) == [f"message {i}" for i in range(5)]
    assert time.monotonic() - started >= 3  # each 429 was waited out, not hammered
    assert [m for m, _ in fake.calls].count("sendMessage") == 8


def test_long_text_is_split_at_line_breaks() -> None:
    text = "\n".join(f"line {i} " + "x" * 60 for i in range(150))
    chunks = split_text(text)
    assert len(chunks) == 3 and all(len(c) <= 4096 for c in chunks)
    assert "\n".join(chunks) == text


async def test_missing_or_rejected_token_is_a_clear_error(fake: FakeTelegram) -> None:
    with pytest.raises(TelegramConfigError, match="TELEGRAM_BOT_TOKEN is not set"):
        build_application("", ScriptedCore)
    bot = build_application("999:wrong", ScriptedCore, api_url=f"{fake.base}/bot")
    with pytest.raises(TelegramConfigError, match="rejected"):
        await bot.start()
    import socket

    with socket.socket() as probe:  # a port where nothing listens
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}/bot"
    bot = build_application(fake.token, ScriptedCore, api_url=dead)
    with pytest.raises(TelegramConfigError, match="Could not reach") as err:
        await bot.start()
    assert fake.token not in str(err.value)


async def test_webhook_mode_receives_updates_with_the_secret(
    fake: FakeTelegram, users: TelegramUsers
) -> None:
    import socket

    import aiohttp

    async def factory(outbox: object) -> ScriptedCore:
        core = ScriptedCore(outbox)  # type: ignore[arg-type]

        async def react(core: ScriptedCore, event: Event) -> None:
            if isinstance(event, CommandReceived):
                await core.outbox.send(Say(chat=event.chat, text="hello from the webhook"))

        core.react = react
        return core

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/telegram/hook"
    bot = build_application(fake.token, factory, api_url=f"{fake.base}/bot", local_server=False)
    await bot.start(webhook_url=url, listen="127.0.0.1", port=port)
    try:
        assert fake.webhook is not None and fake.webhook["secret_token"] == webhook_secret(fake.token)
        assert "getUpdates" not in [m for m, _ in fake.calls]
        ann = users.user("Ann")
        users.says(ann, users.private(ann), "/start")  # Telegram POSTs it to the webhook
        await fake.wait_for_text("hello from the webhook")
        assert fake.webhook_deliveries[0][1] is True
        async with aiohttp.ClientSession() as http, http.post(url, json={"update_id": 99}) as forged:
            assert forged.status == 403  # without the secret nobody else can inject updates
    finally:
        await bot.stop()


def test_main_without_a_token_exits_with_a_clear_message(capsys: pytest.CaptureFixture[str]) -> None:
    from bots.telegram.app import main

    assert main(None, ScriptedCore) == 2
    assert "TELEGRAM_BOT_TOKEN is not set" in capsys.readouterr().err


async def test_a_reply_to_a_deleted_message_is_still_sent(fake: FakeTelegram,
                                                          scripted: tuple[TelegramBot, ScriptedCore]) -> None:  # fmt: skip
    bot, _ = scripted
    mid = await bot.outbox.send(Say(chat=_chat(31337), text="here you go", reply_to="999"))
    (posted,) = fake.posted(31337)
    assert str(posted.message_id) == mid and posted.fields["reply_parameters"]["allow_sending_without_reply"]
