"""The Discord adapter against a scripted core: what Discord users do arrives as the right
conversation events, and every action the core emits lands in Discord as the right API calls.
The real discord.py client talks to the fake Discord over real sockets."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import discord
import pytest

from bots.discord.app import BAD_TOKEN, build_bot, start
from conversation.actions import (
    Action,
    Button,
    Say,
    SendMovie,
    SendPicture,
    ShowActivity,
    ShowProgress,
    StartThread,
)
from conversation.events import ChatRef, Event
from conversation.ports import JobUpdate, Outbox, UploadTooLarge
from pipeline.errors import UserFacingError
from tests.fakes.discord_server import FakeDiscord

Script = Callable[["ScriptedCore", Event], Awaitable[None]]


class ScriptedCore:
    """Records every event; `script` decides which actions to emit (stands in for the real core)."""

    def __init__(self, outbox: Outbox, script: Script | None = None) -> None:
        self.outbox = outbox
        self.script = script
        self.events: list[Event] = []
        self.sent: list[tuple[Action, str | None]] = []
        self.errors: list[Exception] = []
        self.contents: dict[Path, bytes] = {}  # downloaded files as they were while handled

    async def send(self, action: Action) -> str | None:
        try:
            result = await self.outbox.send(action)
        except UploadTooLarge as e:
            self.errors.append(e)
            return None
        self.sent.append((action, result))
        return result

    async def handle(self, event: Event) -> None:
        self.events.append(event)
        for f in getattr(event, "files", ()):
            if f.path is not None:
                self.contents[f.path] = f.path.read_bytes()
        if self.script is not None:
            await self.script(self, event)

    async def on_job_update(self, update: JobUpdate) -> None:
        pass


def scripted(script: Script | None = None) -> tuple[list[ScriptedCore], Callable[[Outbox], ScriptedCore]]:
    made: list[ScriptedCore] = []

    def factory(outbox: Outbox) -> ScriptedCore:
        core = ScriptedCore(outbox, script)
        made.append(core)
        return core

    return made, factory


def thread_chat(fake: FakeDiscord, thread_id: str) -> ChatRef:
    return ChatRef(platform="discord", chat_id=fake.channel_id, thread_id=thread_id, is_group=True)


async def test_slash_new_acknowledges_at_once_and_opens_a_thread(
    fake_discord: FakeDiscord, start_bot: Any
) -> None:
    fake = fake_discord

    async def script(core: ScriptedCore, event: Event) -> None:
        await asyncio.sleep(3.5)  # a slow core: the interaction must already be acknowledged
        thread_id = await core.send(StartThread(chat=event.chat, title="Lisbon trip"))
        assert thread_id is not None
        await core.send(
            Say(chat=event.chat.model_copy(update={"thread_id": thread_id}), text="Send photos here")
        )

    cores, factory = scripted(script)
    async with start_bot(factory):
        assert [c["name"] for c in fake.commands] == ["movie"]
        subs = {o["name"] for o in fake.commands[0]["options"]}
        assert subs == {"new", "make", "status", "versions", "settings"}
        inter = await fake.slash(fake.owner, fake.channel_id, "new", {"title": "Lisbon trip"})
        await fake.wait_for(lambda: inter["followups"], timeout=20, what="the thread link follow-up")
        thread_id = next(iter(fake.threads))
        await fake.wait_for(lambda: fake.bot_messages(thread_id), what="the message in the thread")

    assert inter["responses"] == [{"type": 5}]  # deferred ("thinking…") before the 3 s deadline
    assert not inter.get("expired")
    (event,) = cores[0].events
    assert event.type == "command" and event.name == "new" and event.args == "Lisbon trip"
    assert event.chat == ChatRef(platform="discord", chat_id=fake.channel_id, is_group=True)
    assert event.user.user_id == fake.owner.id and event.user.name == "alice" and event.user.is_chat_admin
    assert fake.threads[thread_id]["name"] == "Lisbon trip"
    assert fake.messages[inter["original"]]["content"] == f"<#{thread_id}>"  # the placeholder became a link
    assert [m["content"] for m in fake.bot_messages(thread_id)] == ["Send photos here"]


async def test_command_answer_replaces_the_placeholder(fake_discord: FakeDiscord, start_bot: Any) -> None:
    fake = fake_discord

    async def script(core: ScriptedCore, event: Event) -> None:
        await core.send(Say(chat=event.chat, text="No versions yet"))
        await core.send(Say(chat=event.chat, text="second line"))

    cores, factory = scripted(script)
    async with start_bot(factory):
        bob = fake.add_user("bob")
        inter = await fake.slash(bob, fake.channel_id, "versions")
        await fake.wait_for(lambda: len(fake.bot_messages(fake.channel_id)) >= 2)
    assert fake.messages[inter["original"]]["content"] == "No versions yet"
    assert [m["content"] for m in fake.bot_messages(fake.channel_id)] == ["No versions yet", "second line"]
    assert cores[0].events[0].user.is_chat_admin is False


async def test_unanswered_command_removes_the_thinking_placeholder(
    fake_discord: FakeDiscord, start_bot: Any
) -> None:
    fake = fake_discord
    cores, factory = scripted()
    async with start_bot(factory):
        inter = await fake.slash(fake.owner, fake.channel_id, "status")
        await fake.wait_for(lambda: inter["original"] and inter["original"] not in fake.messages)
    assert cores[0].events[0].name == "status"


async def test_two_members_upload_attachments_into_the_thread(
    fake_discord: FakeDiscord, start_bot: Any, tiny_media: Any
) -> None:
    fake = fake_discord
    bob, carol = fake.add_user("bob"), fake.add_user("carol")
    photo = tiny_media.photo("beach.jpg").read_bytes()
    clip = tiny_media.clip("waves.mp4", seconds=1.0).read_bytes()
    cores, factory = scripted()
    async with start_bot(factory, max_download_bytes=1_000_000):
        inter = await fake.slash(fake.owner, fake.channel_id, "new", {"title": "Beach"})
        await fake.wait_for(lambda: cores and cores[0].events)
        thread = await cores[0].outbox.send(StartThread(chat=cores[0].events[0].chat, title="Beach"))
        assert thread is not None
        await fake.wait_for(lambda: inter["original"] not in fake.messages)
        await fake.user_message(bob, thread, "from bob", files=[("beach.jpg", photo, "image/jpeg")])
        await fake.user_message(
            carol, thread, files=[("waves.mp4", clip, "video/mp4"), ("huge.mov", b"x", "video/quicktime")],
            sizes={"huge.mov": 3_000_000},
        )  # fmt: skip
        await fake.wait_for(lambda: len(cores[0].events) == 3)

    _, from_bob, from_carol = cores[0].events
    assert from_bob.type == "media" and from_carol.type == "media"
    assert from_bob.chat == thread_chat(fake, thread) == from_carol.chat
    assert (from_bob.user.name, from_carol.user.name) == ("bob", "carol")
    assert from_bob.caption == "from bob" and from_carol.caption is None
    (jpg,) = from_bob.files
    assert jpg.name == "beach.jpg" and jpg.mime == "image/jpeg" and jpg.path is not None
    assert cores[0].contents[jpg.path] == photo and jpg.size_bytes == len(photo)
    assert not jpg.path.exists()  # the download is removed once the core has had it
    mp4, huge = from_carol.files
    assert mp4.path is not None and cores[0].contents[mp4.path] == clip
    assert huge.path is None and huge.problem == "too_large" and huge.limit_bytes == 1_000_000
    assert huge.size_bytes == 3_000_000


async def test_buttons_select_reply_and_reactions_come_back_as_events(
    fake_discord: FakeDiscord, start_bot: Any
) -> None:
    fake = fake_discord
    bob = fake.add_user("bob")
    cores, factory = scripted()
    quick = tuple(Button(label=w.title(), payload=f"say:{w}") for w in ("shorter", "longer"))
    styles = tuple(
        Button(label=s, payload=f"say:style {s}")
        for s in ("calm", "upbeat", "nostalgic", "epic", "fun", "soft")
    )
    async with start_bot(factory):
        core = (await fake.wait_for(lambda: cores))[0]
        chat = ChatRef(platform="discord", chat_id=fake.channel_id, is_group=True)
        mid = await core.outbox.send(Say(chat=chat, text="Pick one", buttons=(quick, styles)))
        assert mid is not None
        components = fake.messages[mid]["components"]
        assert [c["custom_id"] for c in components[0]["components"]] == ["say:shorter", "say:longer"]
        (select,) = components[1]["components"]
        assert select["type"] == 3 and [o["value"] for o in select["options"]][:2] == [
            "say:style calm",
            "say:style upbeat",
        ]

        press = await fake.click(bob, mid, "say:longer")
        pick = await fake.click(bob, mid, select["custom_id"], values=["say:style epic"])
        await fake.user_message(bob, fake.channel_id, "slower at the start", reply_to=mid)
        await fake.react(bob, mid, "👍")
        await fake.react(fake.bot, mid, "👍")  # the bot's own reaction is not a vote
        await fake.wait_for(lambda: len(core.events) == 4)

    assert press["responses"] == [{"type": 6}] and pick["responses"] == [{"type": 6}]
    # each gateway event is handled in its own task: compare regardless of order
    by_type: dict[str, list[Any]] = {}
    for e in core.events:
        by_type.setdefault(e.type, []).append(e)
    choices = sorted(by_type["choice"], key=lambda e: e.payload)
    assert [c.payload for c in choices] == ["say:longer", "say:style epic"]
    assert {c.message_id for c in choices} == {mid}
    (reply,) = by_type["text"]
    assert reply.text == "slower at the start" and reply.reply_to == mid
    (reaction,) = by_type["reaction"]
    assert reaction.message_id == mid and reaction.emoji == "👍" and not reaction.removed
    assert {e.user.name for e in core.events} == {"bob"}


async def test_progress_is_one_message_edited_in_place(
    fake_discord: FakeDiscord, start_bot: Any, tiny_media: Any
) -> None:
    fake = fake_discord
    cores, factory = scripted()
    async with start_bot(factory):
        core = (await fake.wait_for(lambda: cores))[0]
        chat = ChatRef(platform="discord", chat_id=fake.channel_id, is_group=True)
        ids = [
            await core.outbox.send(
                ShowProgress(chat=chat, key="p:v1", stage="planning", percent=p, text=f"v1: {p}%")
            )
            for p in (10, 50, 90)
        ]
        await core.outbox.send(ShowActivity(chat=chat, kind="upload_video"))
        pic = await core.outbox.send(
            SendPicture(chat=chat, path=tiny_media.photo("board.jpg"), caption="Plan v1")
        )
    assert len(set(ids)) == 1
    assert fake.messages[ids[0]]["content"] == "v1: 90%"
    assert [e["message_id"] for e in fake.edits] == [ids[0], ids[0]]
    assert fake.typing == [fake.channel_id]
    assert pic is not None and fake.messages[pic]["content"] == "Plan v1"
    assert fake.files[pic][0][1] == (tiny_media.root / "board.jpg").read_bytes()


async def test_after_a_restart_progress_edits_the_message_the_core_kept(
    fake_discord: FakeDiscord, start_bot: Any
) -> None:
    fake = fake_discord
    cores, factory = scripted()
    chat = ChatRef(platform="discord", chat_id=fake.channel_id, is_group=True)
    async with start_bot(factory):
        core = (await fake.wait_for(lambda: cores))[0]
        first = await core.outbox.send(ShowProgress(chat=chat, key="p:v1", stage="rendering", percent=40, text="v1: 40%"))
        core.outbox.progress.clear()  # as in a new process: the key is unknown
        again = await core.outbox.send(
            ShowProgress(chat=chat, key="p:v1", stage="done", percent=100, text="v1: done", done=True, message_id=first)
        )
    assert again == first and fake.messages[first]["content"] == "v1: done"
    assert [e["message_id"] for e in fake.edits] == [first]  # edited, no second message posted


def _movie(path: Path, chat: ChatRef, **extra: Any) -> SendMovie:
    return SendMovie(
        chat=chat, path=path, caption="Beach v1", duration=6.0, width=320, height=180, version=1, **extra
    )


async def test_movie_over_the_guild_limit_is_refused_to_the_core(
    fake_discord: FakeDiscord, start_bot: Any, tmp_path: Path
) -> None:
    fake = fake_discord
    big = tmp_path / "big.mp4"
    big.write_bytes(b"\0" * (10 * 1024 * 1024 + 1))
    small = tmp_path / "small.mp4"
    small.write_bytes(b"\0" * 1000)
    cores, factory = scripted()
    async with start_bot(factory):
        core = (await fake.wait_for(lambda: cores))[0]
        chat = ChatRef(platform="discord", chat_id=fake.channel_id, is_group=True)
        assert await core.send(_movie(big, chat)) is None
        # Discord's own 413 (e.g. the guild lost a boost) is reported the same way
        core.outbox.upload_limits[int(fake.guild_id)] = 100 * 1024 * 1024  # type: ignore[attr-defined]
        assert await core.send(_movie(big, chat)) is None
        mid = await core.send(_movie(small, chat, link="https://example.org/full.mp4"))
    first, second = core.errors
    assert isinstance(first, UploadTooLarge) and first.limit_bytes == 10 * 1024 * 1024
    assert first.size_bytes == 10 * 1024 * 1024 + 1
    assert isinstance(second, UploadTooLarge)
    assert ("POST", f"/api/v10/channels/{fake.channel_id}/messages", 413) in fake.requests
    assert mid is not None and list(fake.files) == [mid]  # only the small movie was posted
    assert fake.files[mid][0][0] == "movie-v1.mp4"
    assert fake.messages[mid]["content"] == "Beach v1\nhttps://example.org/full.mp4"


async def test_boosted_guild_takes_a_bigger_movie(start_bot: Any, tmp_path: Path) -> None:
    fake = await FakeDiscord(premium_tier=2).start()
    try:
        big = tmp_path / "big.mp4"
        big.write_bytes(b"\0" * (12 * 1024 * 1024))
        cores, factory = scripted()
        from tests.integration.discord.conftest import running_bot

        async with running_bot(fake, factory, tmp_path / "dl"):
            core = (await fake.wait_for(lambda: cores))[0]
            chat = ChatRef(platform="discord", chat_id=fake.channel_id, is_group=True)
            mid = await core.send(_movie(big, chat))
        assert not core.errors and mid is not None
        assert len(fake.files[mid][0][1]) == 12 * 1024 * 1024
    finally:
        await fake.stop()


async def test_rate_limited_reply_is_retried_not_lost(fake_discord: FakeDiscord, start_bot: Any) -> None:
    fake = fake_discord
    cores, factory = scripted()
    async with start_bot(factory):
        core = (await fake.wait_for(lambda: cores))[0]
        fake.rate_limit(2)
        chat = ChatRef(platform="discord", chat_id=fake.channel_id, is_group=True)
        t0 = time.monotonic()
        mid = await core.outbox.send(Say(chat=chat, text="still here"))
        waited = time.monotonic() - t0
    statuses = [s for m, p, s in fake.requests if m == "POST" and p.endswith(f"{fake.channel_id}/messages")]
    assert statuses == [429, 429, 200]
    assert waited >= 0.5  # retry_after (0.3 s) honoured twice
    assert mid is not None and fake.messages[mid]["content"] == "still here"


async def test_long_text_is_split_to_fit(fake_discord: FakeDiscord, start_bot: Any) -> None:
    fake = fake_discord
    cores, factory = scripted()
    text = "\n".join(f"line {i} " + "x" * 90 for i in range(50))  # ~5000 characters
    async with start_bot(factory):
        core = (await fake.wait_for(lambda: cores))[0]
        chat = ChatRef(platform="discord", chat_id=fake.channel_id, is_group=True)
        await core.outbox.send(
            Say(chat=chat, text=text, buttons=((Button(label="Undo", payload="cmd:undo"),),))
        )
    posted = fake.bot_messages(fake.channel_id)
    assert len(posted) == 3 and all(len(m["content"]) <= 2000 for m in posted)
    assert "\n".join(m["content"] for m in posted) == text
    assert [bool(m["components"]) for m in posted] == [False, False, True]


async def test_bad_token_is_a_clear_error(fake_discord: FakeDiscord, tmp_path: Path) -> None:
    _, factory = scripted()
    bot = build_bot(factory, download_dir=tmp_path / "dl")
    async with bot:
        with pytest.raises(UserFacingError) as info:
            await start(bot, "not-the-token")
    assert info.value.message == BAD_TOKEN
    assert ("GET", "/api/v10/users/@me", 401) in fake_discord.requests
    assert isinstance(info.value.__cause__, discord.LoginFailure)


async def test_only_messages_meant_for_the_bot_reach_the_core(
    fake_discord: FakeDiscord, start_bot: Any
) -> None:
    """The bot sees the whole server; chatter in #general must not reach the core."""
    fake = fake_discord
    bob = fake.add_user("bob")
    cores, factory = scripted()
    async with start_bot(factory):
        core = (await fake.wait_for(lambda: cores))[0]
        chat = ChatRef(platform="discord", chat_id=fake.channel_id, is_group=True)
        mid = await core.outbox.send(Say(chat=chat, text="hello"))
        assert mid is not None
        chatter = await fake.user_message(bob, fake.channel_id, "anyone up for lunch?")
        await fake.react(bob, chatter["id"], "👍")  # a reaction to a person's message
        await fake.user_message(bob, fake.channel_id, "/make 40 seconds", mention_bot=True)
        await fake.user_message(bob, fake.channel_id, "thanks", reply_to=mid)
        await fake.wait_for(lambda: len(core.events) == 2)
        await asyncio.sleep(0.3)  # give the ignored ones time to (wrongly) arrive
    texts = sorted(e.text for e in core.events if e.type == "text")
    assert texts == ["/make 40 seconds", "thanks"]  # the @mention itself is not part of the words
    assert len(core.events) == 2


async def test_failed_download_is_reported_and_the_rest_still_arrives(
    fake_discord: FakeDiscord, start_bot: Any
) -> None:
    fake = fake_discord
    cores, factory = scripted()
    async with start_bot(factory):
        core = (await fake.wait_for(lambda: cores))[0]
        thread = await core.outbox.send(
            StartThread(chat=ChatRef(platform="discord", chat_id=fake.channel_id), title="t")
        )
        assert thread is not None
        fake.cdn_broken = {"gone.jpg"}
        await fake.user_message(
            fake.owner,
            thread,
            files=[("gone.jpg", b"\xff\xd8\xff 1", "image/jpeg"), ("ok.jpg", b"\xff\xd8\xff 2", None)],
        )
        await fake.wait_for(lambda: core.events)
    (event,) = core.events
    gone, ok = event.files
    assert gone.problem == "download_failed" and gone.path is None
    assert ok.problem is None and ok.path is not None and core.contents[ok.path] == b"\xff\xd8\xff 2"


async def test_recover_runs_once_when_the_gateway_is_ready(fake_discord: FakeDiscord, start_bot: Any) -> None:
    calls: list[int] = []

    class Recovering(ScriptedCore):
        async def recover(self) -> int:
            calls.append(1)
            await self.outbox.send(
                Say(
                    chat=ChatRef(platform="discord", chat_id=fake_discord.channel_id),
                    text="picking v2 up again",
                )
            )
            return 1

    async with start_bot(lambda outbox: Recovering(outbox)):
        await fake_discord.wait_for(lambda: fake_discord.bot_messages(fake_discord.channel_id))
    assert calls == [1]
    assert fake_discord.bot_messages(fake_discord.channel_id)[0]["content"] == "picking v2 up again"


async def test_direct_messages_are_private_chats(
    fake_discord: FakeDiscord, start_bot: Any, tiny_media: Any
) -> None:
    fake = fake_discord
    bob = fake.add_user("bob")
    dm = fake.dm_channel(bob)

    async def script(core: ScriptedCore, event: Event) -> None:
        await core.send(Say(chat=event.chat, text=f"got {event.type}"))

    cores, factory = scripted(script)
    async with start_bot(factory):
        photo = tiny_media.photo("me.jpg").read_bytes()
        await fake.user_message(bob, dm, "hello")  # no mention needed in a DM
        await fake.wait_for(lambda: fake.bot_messages(dm))
        await fake.user_message(bob, dm, files=[("me.jpg", photo, "image/jpeg")])
        await fake.wait_for(lambda: len(fake.bot_messages(dm)) == 2)
    text, media = cores[0].events
    assert text.chat == media.chat == ChatRef(platform="discord", chat_id=dm, is_group=False)
    assert text.user.name == "bob" and not text.user.is_chat_admin
    assert media.files[0].path is not None and cores[0].contents[media.files[0].path] == photo
    assert [m["content"] for m in fake.bot_messages(dm)] == ["got text", "got media"]


async def test_a_dropped_gateway_is_resumed_and_events_keep_coming(
    fake_discord: FakeDiscord, start_bot: Any
) -> None:
    fake = fake_discord
    cores, factory = scripted()
    async with start_bot(factory):
        core = (await fake.wait_for(lambda: cores))[0]
        await fake.drop_gateway()
        await fake.wait_for(lambda: fake.resumes == 1, what="the client to resume")
        await fake.user_message(fake.owner, fake.channel_id, "still there?", mention_bot=True)
        await fake.wait_for(lambda: core.events)
    assert fake.connections == 2 and core.events[0].text == "still there?"


async def test_a_command_acknowledged_too_late_still_reaches_the_core(
    fake_discord: FakeDiscord, start_bot: Any, caplog: Any
) -> None:
    """A stalled process misses Discord's 3 s: the user's command is still carried out."""
    fake = fake_discord

    async def script(core: ScriptedCore, event: Event) -> None:
        await core.send(Say(chat=event.chat, text="Making your movie"))

    cores, factory = scripted(script)
    async with start_bot(factory):
        fake.ack_deadline = 0.0
        inter = await fake.slash(fake.owner, fake.channel_id, "make")
        await fake.wait_for(lambda: fake.bot_messages(fake.channel_id))
    assert inter.get("expired") and inter["original"] is None
    assert cores[0].events[0].name == "make"
    assert [m["content"] for m in fake.bot_messages(fake.channel_id)] == ["Making your movie"]
    assert "expired before it was acknowledged" in caplog.text


async def test_a_command_answered_with_a_movie_attaches_it_to_the_answer(
    fake_discord: FakeDiscord, start_bot: Any, tiny_media: Any
) -> None:
    fake = fake_discord
    clip = tiny_media.clip("v3.mp4", seconds=1.0)

    async def script(core: ScriptedCore, event: Event) -> None:
        buttons = ((Button(label="Undo", payload="cmd:undo"),),)
        await core.send(_movie(clip, event.chat, buttons=buttons))

    cores, factory = scripted(script)
    async with start_bot(factory):
        inter = await fake.slash(fake.owner, fake.channel_id, "versions")
        await fake.wait_for(lambda: inter["followups"])
    answer = fake.messages[inter["original"]]
    assert inter["followups"] == [inter["original"]]  # the placeholder became the movie
    assert (
        answer["content"] == "Beach v1"
        and answer["components"][0]["components"][0]["custom_id"] == "cmd:undo"
    )
    assert fake.files[answer["id"]] == [("movie-v1.mp4", clip.read_bytes())]


async def test_a_movie_upload_survives_a_bad_gateway_and_a_rate_limit(
    fake_discord: FakeDiscord, start_bot: Any, tiny_media: Any
) -> None:
    fake = fake_discord
    clip = tiny_media.clip("v1.mp4", seconds=1.0)
    cores, factory = scripted()
    async with start_bot(factory):
        core = (await fake.wait_for(lambda: cores))[0]
        fake.server_error(1)
        fake.rate_limit(1)
        chat = ChatRef(platform="discord", chat_id=fake.channel_id, is_group=True)
        mid = await core.send(_movie(clip, chat))
    statuses = [s for m, p, s in fake.requests if m == "POST" and p.endswith(f"{fake.channel_id}/messages")]
    assert statuses == [502, 429, 200]
    assert mid is not None and fake.files[mid] == [
        ("movie-v1.mp4", clip.read_bytes())
    ]  # the whole file, once
    assert len(fake.bot_messages(fake.channel_id)) == 1


async def test_a_message_in_a_movie_thread_the_client_never_cached_is_still_heard(
    fake_discord: FakeDiscord, start_bot: Any
) -> None:
    """After a restart (or an archive) discord.py may know a thread only by id: the bot fetches it
    to see that it is its own movie thread."""
    fake = fake_discord
    from tests.fakes.discord_payloads import thread_channel

    unseen = thread_channel(fake.guild_id, fake.channel_id, "Old movie", fake.bot.id)
    cores, factory = scripted()
    async with start_bot(factory):
        fake.threads[unseen["id"]] = unseen  # exists on Discord, never announced to this client
        await fake.user_message(fake.owner, unseen["id"], "make it longer")
        core = (await fake.wait_for(lambda: cores and cores[0].events and cores))[0]
    (event,) = core.events
    assert event.chat == thread_chat(fake, unseen["id"]) and event.text == "make it longer"
    assert ("GET", f"/api/v10/channels/{unseen['id']}", 200) in fake.requests
