"""Updates -> conversation events, through the real PTB Application and the fake Bot API server."""

from __future__ import annotations

from pathlib import Path

from bots.telegram.app import TelegramBot, build_application
from conversation.actions import Say
from conversation.events import (
    ChatRef,
    ChoiceMade,
    CommandReceived,
    Event,
    MediaReceived,
    MemberJoined,
    TextReceived,
)
from tests.fakes.telegram_server import MB, FakeTelegram
from tests.fakes.telegram_users import TelegramUsers
from tests.integration.telegram.conftest import ScriptedCore


async def test_start_command_reaches_core_and_reply_lands_in_same_chat(
    fake: FakeTelegram, users: TelegramUsers, scripted: tuple[TelegramBot, ScriptedCore]
) -> None:
    _, core = scripted

    async def react(core: ScriptedCore, event: Event) -> None:
        if isinstance(event, CommandReceived):
            await core.outbox.send(Say(chat=event.chat, text=f"help for /{event.name}"))

    core.react = react
    ann = users.user("Ann")
    chat = users.private(ann)
    users.says(ann, chat, "/start")
    posted = await fake.wait_for_text("help for /start")
    event = core.events[0]
    assert isinstance(event, CommandReceived) and event.name == "start" and event.args == ""
    assert (
        event.chat.platform == "telegram" and event.chat.chat_id == str(ann["id"]) and not event.chat.is_group
    )
    assert event.user.user_id == str(ann["id"]) and event.user.name == "Ann"
    assert posted.chat_id == ann["id"] and posted.method == "sendMessage"


async def test_text_reply_with_quote(
    fake: FakeTelegram, users: TelegramUsers, scripted: tuple[TelegramBot, ScriptedCore]
) -> None:
    _, core = scripted
    ann = users.user("Ann")
    chat = users.private(ann)
    bot_message = await core.outbox.send(Say(chat=_chat(ann), text="v1 of the trip: 12 shots"))
    assert bot_message is not None
    users.says(ann, chat, "make it slower there", reply_to=int(bot_message), quote="12 shots")
    users.says(ann, chat, "/make 40 seconds upbeat")
    events = await core.wait_events(2)
    text, command = events
    assert isinstance(text, TextReceived)
    assert text.text == "make it slower there" and text.reply_to == bot_message and text.quote == "12 shots"
    assert (
        isinstance(command, CommandReceived)
        and command.name == "make"
        and command.args == "40 seconds upbeat"
    )
    assert text.event_id != command.event_id


async def test_photo_and_document_are_downloaded_with_their_quality_noted(
    fake: FakeTelegram, users: TelegramUsers, scripted: tuple[TelegramBot, ScriptedCore], tiny_media
) -> None:
    _, core = scripted
    ann = users.user("Ann")
    chat = users.private(ann)
    photo = tiny_media.photo("beach.jpg", seed=3)
    users.photo(ann, chat, photo, caption="the beach")
    users.document(ann, chat, photo, file_name="beach-original.jpg", mime_type="image/jpeg")
    first, second = await core.wait_events(2)
    assert isinstance(first, MediaReceived) and isinstance(second, MediaReceived)
    (compressed,) = first.files
    assert not compressed.as_document and compressed.mime == "image/jpeg" and compressed.problem is None
    assert first.caption == "the beach"
    assert core.file_bytes[compressed.name] == photo.read_bytes()
    (original,) = second.files
    assert original.as_document and original.name == "beach-original.jpg"
    assert core.file_bytes["beach-original.jpg"] == photo.read_bytes()
    assert original.size_bytes == photo.stat().st_size
    # the largest size of the compressed photo was fetched, never the thumbnail
    assert len(fake.downloads) == 2


async def test_every_media_kind_becomes_a_file(
    fake: FakeTelegram, users: TelegramUsers, scripted: tuple[TelegramBot, ScriptedCore], tiny_media
) -> None:
    _, core = scripted
    ann = users.user("Ann")
    chat = users.private(ann)
    clip = tiny_media.clip("c.mp4", seconds=1.0)
    song = tiny_media.song("s.wav", seconds=2.0)
    users.video(ann, chat, clip, file_name="holiday.mp4")
    users.video_note(ann, chat, clip)
    users.audio(ann, chat, song, file_name="our song.wav", mime_type="audio/x-wav")
    users.voice(ann, chat, song)
    events = await core.wait_events(4)
    names = [e.files[0].name for e in events if isinstance(e, MediaReceived)]
    assert names[0] == "holiday.mp4" and names[1].startswith("video_note_") and names[2] == "our song.wav"
    assert names[3].startswith("voice_") and names[3].endswith(".ogg")
    assert core.file_bytes["holiday.mp4"] == clip.read_bytes()
    assert core.file_bytes["our song.wav"] == song.read_bytes()


async def test_album_arrives_as_one_event(
    fake: FakeTelegram, users: TelegramUsers, scripted: tuple[TelegramBot, ScriptedCore], tiny_media
) -> None:
    _, core = scripted

    async def react(core: ScriptedCore, event: Event) -> None:
        if isinstance(event, MediaReceived):
            await core.outbox.send(Say(chat=event.chat, text=f"Got {len(event.files)} photos"))

    core.react = react
    ann = users.user("Ann")
    chat = users.private(ann)
    photos = [tiny_media.photo(f"a{i}.jpg", seed=i) for i in range(4)]
    users.album(ann, chat, photos, caption="day one", media_group_id="G1")
    await fake.wait_for_text("Got 4 photos")
    users.says(ann, chat, "/status")
    await core.wait_events(2)
    album = core.events[0]
    assert isinstance(album, MediaReceived) and album.group_id == "G1" and album.caption == "day one"
    assert [core.file_bytes[f.name] for f in album.files] == [p.read_bytes() for p in photos]
    assert fake.texts(ann["id"]) == ["Got 4 photos"]


async def test_message_right_after_an_album_comes_after_it(
    fake: FakeTelegram, users: TelegramUsers, tiny_media, tmp_path: Path
) -> None:
    from tests.integration.telegram.conftest import start_bot

    bot = await start_bot(fake, ScriptedCore, album_window=30.0, download_dir=tmp_path)
    try:
        ann = users.user("Ann")
        chat = users.private(ann)
        users.album(ann, chat, [tiny_media.photo(f"b{i}.jpg", seed=i) for i in range(2)], media_group_id="G2")
        users.says(ann, chat, "make it short")
        first, second = await bot.core.wait_events(2, timeout=10)
        assert isinstance(first, MediaReceived) and len(first.files) == 2
        assert isinstance(second, TextReceived)
    finally:
        await bot.stop()


async def test_files_over_20mb_are_reported_not_downloaded(
    fake: FakeTelegram, users: TelegramUsers, scripted: tuple[TelegramBot, ScriptedCore]
) -> None:
    _, core = scripted
    ann = users.user("Ann")
    chat = users.private(ann)
    users.video(ann, chat, None, size=25 * MB, file_name="long.mp4")
    # a file whose size the update doesn't tell: the server refuses getFile
    users.document(
        ann, chat, None, size=30 * MB, file_name="huge.mov", mime_type="video/quicktime", hide_size=True
    )
    first, second = await core.wait_events(2)
    for event in (first, second):
        assert isinstance(event, MediaReceived)
        (f,) = event.files
        assert f.problem == "too_large" and f.limit_bytes == 20 * MB and f.path is None
    assert [m for m, _ in fake.calls].count("getFile") == 1  # only for the one whose size was unknown
    assert fake.downloads == []


async def test_buttons_come_back_as_choices(
    fake: FakeTelegram, users: TelegramUsers, scripted: tuple[TelegramBot, ScriptedCore]
) -> None:
    from conversation.actions import Button

    _, core = scripted
    ann = users.user("Ann")
    long_payload = "say:" + "make the opening much slower and end on the sunset " * 2
    mid = await core.outbox.send(Say(chat=_chat(ann), text="How long?", buttons=(
        (Button(label="30 s", payload="duration:30"), Button(label="60 s", payload="duration:60")),
        (Button(label="Long", payload=long_payload),),
    )))  # fmt: skip
    posted = fake.posted(ann["id"])[-1]
    assert posted.button_labels == ["30 s", "60 s", "Long"]
    assert all(len(b["callback_data"].encode()) <= 64 for row in posted.buttons for b in row)
    query = users.press(ann, posted, "60 s")
    users.press(ann, posted, "Long")
    first, second = await core.wait_events(2)
    assert isinstance(first, ChoiceMade) and first.payload == "duration:60" and first.message_id == mid
    assert isinstance(second, ChoiceMade) and second.payload == long_payload
    assert query in [a["callback_query_id"] for a in fake.callback_answers]
    assert len(fake.callback_answers) == 2


async def test_group_bot_added_by_admin_privacy_mode_and_mentions(
    fake: FakeTelegram, users: TelegramUsers, scripted: tuple[TelegramBot, ScriptedCore]
) -> None:
    _, core = scripted
    ann, bob, cat = users.user("Ann"), users.user("Bob"), users.user("Cat")
    group = users.group("Trip")
    fake.set_admins(group["id"], [ann])
    users.add_bot(ann, group)
    users.add_members(ann, group, [bob])
    users.says(bob, group, "nice photos everyone")  # privacy mode: the bot never sees this
    users.says(cat, group, "/make@memory_movie_bot 30 seconds")
    users.says(cat, group, "/make@some_other_bot")
    users.says(bob, group, "@memory_movie_bot make it vertical")
    added, joined, command, text = await core.wait_events(4)
    assert isinstance(added, MemberJoined) and added.added_bot and added.user.name == "Ann"
    assert added.user.is_chat_admin and added.chat.is_group and added.chat.chat_id == str(group["id"])
    assert isinstance(joined, MemberJoined) and not joined.added_bot and joined.user.name == "Bob"
    assert not joined.user.is_chat_admin
    assert isinstance(command, CommandReceived) and command.name == "make" and command.args == "30 seconds"
    assert isinstance(text, TextReceived) and text.text == "make it vertical" and not text.user.is_chat_admin
    users.says(ann, group, "/status")
    await core.wait_events(5)
    assert len(core.events) == 5


async def test_forum_topic_is_its_own_conversation_and_replies_stay_in_it(
    fake: FakeTelegram, users: TelegramUsers, scripted: tuple[TelegramBot, ScriptedCore]
) -> None:
    _, core = scripted

    async def react(core: ScriptedCore, event: Event) -> None:
        await core.outbox.send(Say(chat=event.chat, text="ok"))

    core.react = react
    ann = users.user("Ann")
    forum = users.group("Family", forum=True)
    users.says(ann, forum, "/new Summer", thread_id=77)
    posted = await fake.wait_for_text("ok")
    (event,) = core.events
    assert event.chat.thread_id == "77" and event.chat.is_group
    assert isinstance(event, CommandReceived) and event.reply_to is None  # the topic root is no reply
    assert posted.thread_id == 77 and posted.chat_id == forum["id"]


def _chat(user: dict) -> ChatRef:
    """Where to send an action straight to a user's private chat."""
    return ChatRef(platform="telegram", chat_id=str(user["id"]))


async def test_a_failed_download_is_reported_and_the_other_files_still_arrive(
    fake: FakeTelegram, users: TelegramUsers, scripted: tuple[TelegramBot, ScriptedCore], tiny_media
) -> None:
    _, core = scripted
    ann = users.user("Ann")
    chat = users.private(ann)
    fake.fail("getFile", times=1, status=500, description="Internal Server Error")
    users.album(ann, chat, [tiny_media.photo(f"f{i}.jpg", seed=i) for i in range(3)], media_group_id="G9")
    (event,) = await core.wait_events(1)
    assert isinstance(event, MediaReceived)
    failed = [f for f in event.files if f.problem == "download_failed"]
    assert len(failed) == 1 and failed[0].path is None  # which one depends on download order
    assert [f.name for f in event.files] == sorted(f.name for f in event.files)  # album order kept
    assert sum(f.path is not None and f.problem is None for f in event.files) == 2


async def test_a_local_bot_api_server_lifts_the_download_limit(tmp_path: Path) -> None:
    async with FakeTelegram(local_mode=True) as fake:
        users = TelegramUsers(fake)
        bot = build_application(fake.token, ScriptedCore, api_url=f"{fake.base}/bot", download_dir=tmp_path)
        assert bot.download_limit == bot.upload_limit == 2000 * MB  # TELEGRAM_API_URL set: local server
        await bot.start(poll_timeout=1)
        try:
            ann = users.user("Ann")
            big = b"\0\0\0\x18ftypmp42" + bytes(21 * MB)
            users.video(ann, users.private(ann), big, file_name="long.mp4")
            (event,) = await bot.core.wait_events(1, timeout=30)
            (f,) = event.files
            assert f.problem is None and f.size_bytes == len(big)
        finally:
            await bot.stop()


async def test_an_unexpected_error_is_logged_with_a_ref_and_the_chat_told(
    fake: FakeTelegram, users: TelegramUsers, scripted: tuple[TelegramBot, ScriptedCore], caplog
) -> None:
    _, core = scripted
    caplog.errors_expected = True  # this test logs an ERROR on purpose

    async def react(core: ScriptedCore, event: Event) -> None:
        raise RuntimeError("bug in the core")

    core.react = react
    ann = users.user("Ann")
    users.says(ann, users.private(ann), "/make")
    answer = await fake.wait_for_text("Something went wrong (ref ")
    ref = (answer.text or "").split("ref ")[1].split(")")[0]
    assert any(ref in r.getMessage() and r.exc_info for r in caplog.records)
    assert "bug in the core" not in (answer.text or "")


async def test_chats_run_side_by_side_but_each_chat_keeps_its_order(
    fake: FakeTelegram, users: TelegramUsers, scripted: tuple[TelegramBot, ScriptedCore]
) -> None:
    import asyncio

    _, core = scripted
    release = asyncio.Event()

    async def react(core: ScriptedCore, event: Event) -> None:
        if isinstance(event, TextReceived) and event.text == "slow":
            await release.wait()  # e.g. a big intake in this chat

    core.react = react
    ann, bob = users.user("Ann"), users.user("Bob")
    users.says(ann, users.private(ann), "slow")
    for i in range(15):
        users.says(ann, users.private(ann), f"ann {i}")
    users.says(bob, users.private(bob), "bob is not kept waiting")
    await core.wait_events(2)
    assert isinstance(core.events[1], TextReceived) and core.events[1].text == "bob is not kept waiting"
    release.set()
    await core.wait_events(17)
    ann_texts = [e.text for e in core.events if isinstance(e, TextReceived) and e.user.name == "Ann"]
    assert ann_texts == ["slow", *[f"ann {i}" for i in range(15)]]


async def test_reactions_and_members_leaving(fake: FakeTelegram, users: TelegramUsers,
                                             scripted: tuple[TelegramBot, ScriptedCore]) -> None:  # fmt: skip
    from conversation.events import MemberLeft, ReactionAdded

    _, core = scripted
    ann, bob = users.user("Ann"), users.user("Bob")
    group = users.group("Votes")
    mid = await core.outbox.send(Say(chat=ChatRef(platform="telegram", chat_id=str(group["id"]), is_group=True),
                                     text="v1 or v2?"))  # fmt: skip
    posted = fake.posted(group["id"])[0]
    users.react(bob, posted, "👍")
    users.react(bob, posted, "❤", old=("👍",))
    users.leaves(bob, group)
    users.leaves(fake.bot, group)  # the bot removed: nothing for the core (is_bot users are skipped)
    users.says(ann, group, "/status")
    events = await core.wait_events(5)
    first, added, removed, left, status = events
    assert isinstance(first, ReactionAdded) and (first.emoji, first.removed, first.message_id) == (
        "👍",
        False,
        mid,
    )
    assert isinstance(added, ReactionAdded) and (added.emoji, added.removed) == ("❤", False)
    assert isinstance(removed, ReactionAdded) and (removed.emoji, removed.removed) == ("👍", True)
    assert isinstance(left, MemberLeft) and left.user.name == "Bob" and left.chat.is_group
    assert isinstance(status, CommandReceived)
    assert len({e.event_id for e in events}) == 5


async def test_anonymous_admin_speaks_as_the_group_and_other_bots_are_ignored(
    fake: FakeTelegram, users: TelegramUsers, scripted: tuple[TelegramBot, ScriptedCore]
) -> None:
    _, core = scripted
    group = users.group("Hidden admins")
    other_bot = {"id": 4242, "is_bot": True, "first_name": "Other", "username": "other_bot"}
    users.says(other_bot, group, "/make")
    users.anonymous_admin_says(group, "/new Reunion")
    (event,) = await core.wait_events(1)
    assert isinstance(event, CommandReceived) and event.name == "new" and event.args == "Reunion"
    assert event.user.is_chat_admin and event.user.name == "Hidden admins"
    assert event.user.user_id == f"chat{group['id']}"
