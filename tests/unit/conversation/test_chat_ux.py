"""What the Telegram and Discord engineers asked of the core, as a user sees it: the admin who
added the bot owns the group's project, a hint (once) that files keep full quality, movies posted
as replies to the message that asked for them, length/shape/style as buttons (after a description
and in /settings) that change the next movie without rendering by themselves, the group welcome,
and refinements that don't read every version's plan."""

from __future__ import annotations

import asyncio
from pathlib import Path

from conversation.actions import Button, Say, ShowProgress
from conversation.events import (
    ChoiceMade,
    CommandReceived,
    IncomingFile,
    MediaReceived,
    MemberJoined,
    TextReceived,
)
from tests.unit.conversation.chatkit import Chat, ann, bob, cat, message_id_of
from tests.unit.conversation.standin import StandInPipeline

SETTING_PAYLOADS = {
    "set:duration=auto", "set:duration=30", "set:duration=45", "set:duration=60",
    "set:aspect=16:9", "set:aspect=9:16", "set:aspect=1:1",
    "set:style=upbeat", "set:style=calm", "set:style=cinematic", "set:style=nostalgic", "set:style=energetic",
    "set:style=dreamy",
}  # fmt: skip


def payloads(rows: tuple[tuple[Button, ...], ...]) -> set[str]:
    return {b.payload for row in rows for b in row}


def ticked(rows: tuple[tuple[Button, ...], ...]) -> set[str]:
    return {b.payload for row in rows for b in row if b.label.startswith("✓ ")}


async def _project(chat: Chat):  # type: ignore[no-untyped-def]
    project = await chat.store.project_for_chat(chat.ref.key)
    assert project is not None
    return project


# ---------------------------------------------------------------------- buttons: length, shape, style


async def test_description_offers_choices_and_a_press_shapes_the_next_movie(chat: Chat, tiny_media) -> None:  # type: ignore[no-untyped-def]
    await chat.send(ann, "/new Lisbon")
    await chat.send(ann, "a summer trip with friends")
    noted = chat.expect(Say, "Noted")
    assert payloads(noted.buttons) == SETTING_PAYLOADS  # one row each: length, shape, style
    assert [len(row) for row in noted.buttons] == [4, 3, 6]  # 6 styles: Discord makes that row a menu
    assert ticked(noted.buttons) == {"set:duration=auto", "set:aspect=16:9"}
    # a press says what changed and renders nothing (no files yet, and nobody asked for a movie)
    sent = await chat.press(ann, "set:aspect=9:16", message_id=message_id_of(chat, noted))
    assert [a.text for a in sent if isinstance(a, Say)] == [
        "Changed shape 9:16 (vertical) (was 16:9). Send photos, clips and a song, then Make it."
    ]
    await chat.upload(ann, *(tiny_media.photo(f"IMG_0{i}.jpg", seed=i) for i in range(1, 4)))
    sent = await chat.press(ann, "set:duration=30")
    said = [a for a in sent if isinstance(a, Say)]
    assert said[0].text.startswith("Changed length 30 s (was from the song). It applies to the movie")
    assert payloads(said[0].buttons) == {"cmd:make"}  # the offered "Make it"
    await chat.press(ann, "set:style=calm")
    chat.expect(Say, "Changed style calm (was auto)")
    await chat.settle()
    project = await _project(chat)
    assert await chat.store.list_versions(project.id) == []  # presses alone never render
    assert not any(isinstance(a, ShowProgress) for a in chat.outbox.sent)
    # pressing the same again says so instead of changing anything
    await chat.press(ann, "set:style=calm")
    chat.expect(Say, "The style is already that.")
    # Make it: the movie has what was pressed
    await chat.press(ann, "cmd:make")
    await chat.settle()
    movie = chat.movies()[-1]
    assert (movie.width, movie.height, movie.duration) == (180, 320, 30.0)
    v1 = await chat.store.get_version(project.id, 1)
    assert v1 is not None and v1.request.mood == "calm" and v1.request.aspect == "9:16"


async def test_a_press_while_the_first_movie_is_made_remakes_it(chat: Chat, standin: StandInPipeline,
                                                                tiny_media) -> None:  # type: ignore[no-untyped-def]  # fmt: skip
    standin.render_gate = asyncio.Event()
    await chat.send(ann, "/new trip")
    await chat.upload(ann, *(tiny_media.photo(f"p{i}.jpg", seed=i) for i in range(3)))
    await chat.send(ann, "upbeat and 45 seconds")
    making = chat.expect(Say, "Making your movie")
    assert payloads(making.buttons) == SETTING_PAYLOADS
    assert ticked(making.buttons) == {"set:duration=45", "set:aspect=16:9", "set:style=upbeat"}
    await asyncio.wait_for(standin.render_started.wait(), 10)
    await asyncio.wait_for(chat.press(ann, "set:aspect=1:1", message_id=message_id_of(chat, making)), 10)
    chat.expect(Say, "Changed shape 1:1 (square) (was 16:9). Remaking v1 with it")
    standin.render_gate.set()
    await chat.settle()
    project = await _project(chat)
    v1, v2 = await chat.store.list_versions(project.id)
    assert v1.status == "cancelled" and v2.status == "ready" and v2.parent is None
    assert (v2.request.aspect, v2.request.duration, v2.request.mood) == ("1:1", 45.0, "upbeat")
    assert [m.version for m in chat.movies()] == [2] and (chat.movies()[0].width, chat.movies()[0].height) == (240, 240)


async def test_settings_shows_the_same_choices_and_after_a_movie_a_press_waits_for_make(chat: Chat, tiny_media) -> None:  # type: ignore[no-untyped-def]
    await chat.send(ann, "/new trip")
    await chat.upload(ann, *(tiny_media.photo(f"p{i}.jpg", seed=i) for i in range(3)))
    await chat.send(ann, "/make")
    await chat.settle()
    await chat.send(ann, "/settings")
    shown = chat.expect(Say, "duration: auto")
    assert payloads(shown.buttons) == SETTING_PAYLOADS | {"cmd:make"}
    await chat.press(ann, "set:aspect=9:16")
    chat.expect(Say, "Changed shape 9:16 (vertical) (was 16:9). It applies to the next version")
    await chat.settle()
    assert len(chat.movies()) == 1  # nothing rendered by the press
    # a refinement in words keeps what was pressed meanwhile
    await chat.send(ann, "faster")
    await chat.settle()
    project = await _project(chat)
    v2 = await chat.store.get_version(project.id, 2)
    assert v2 is not None and v2.request.aspect == "9:16" and chat.movies()[-1].height == 320
    # /settings reflects it, and a press then Make it makes v3 saying what changed
    await chat.send(ann, "/settings")
    assert ticked(chat.expect(Say, "aspect: 9:16").buttons) == {"set:duration=auto", "set:aspect=9:16"}
    await chat.press(ann, "set:duration=60")
    await chat.press(ann, "cmd:make")
    await chat.settle()
    v3 = await chat.store.get_version(project.id, 3)
    assert v3 is not None and v3.request.duration == 60.0 and "length 60 s" in v3.summary
    assert chat.movies()[-1].duration == 60.0


async def test_viewers_cannot_press_settings_and_stale_buttons_are_explained(group: Chat, tiny_media) -> None:  # type: ignore[no-untyped-def]
    await group.send(ann, "/new g")
    await group.send(ann, "/settings newcomers viewer")
    await group.send(bob, "hello")
    await group.press(bob, "set:aspect=9:16")
    group.expect(Say, "you're a viewer here")
    await group.press(ann, "set:aspect=4:3")
    group.expect(Say, "That button is out of date")
    assert (await _project(group)).request.aspect == "16:9"


# ---------------------------------------------------------------------- replies


async def test_movies_and_progress_reply_to_the_message_that_asked(chat: Chat, tiny_media) -> None:  # type: ignore[no-untyped-def]
    await chat.send(ann, "/new trip")
    await chat.upload(ann, *(tiny_media.photo(f"p{i}.jpg", seed=i) for i in range(3)))
    await chat.core.handle(CommandReceived(chat=chat.ref, user=ann, event_id="e1", name="make", message_id="u10"))
    await chat.settle()
    progress = next(a for a in chat.outbox.sent if isinstance(a, ShowProgress))
    v1 = chat.movies()[-1]
    assert progress.reply_to == "u10" and v1.reply_to == "u10"
    # a refinement in words, as a reply to the movie: v2 answers that message
    await chat.core.handle(TextReceived(chat=chat.ref, user=ann, event_id="e2", text="make it vertical",
                                        reply_to=message_id_of(chat, v1), message_id="u11"))  # fmt: skip
    await chat.settle()
    assert (chat.movies()[-1].version, chat.movies()[-1].reply_to) == (2, "u11")
    # a quick action pressed under v2: v3 answers the movie the button was on
    v2_id = message_id_of(chat, chat.movies()[-1])
    await chat.core.handle(ChoiceMade(chat=chat.ref, user=ann, event_id="e3", payload="say:shorter", message_id=v2_id))
    await chat.settle()
    assert (chat.movies()[-1].version, chat.movies()[-1].reply_to) == (3, v2_id)
    # going back to v1 answers the /revert
    await chat.core.handle(CommandReceived(chat=chat.ref, user=ann, event_id="e4", name="revert", args="1",
                                           message_id="u12"))  # fmt: skip
    assert (chat.movies()[-1].version, chat.movies()[-1].reply_to) == (1, "u12")
    # events that came in no message (a slash-command interaction) get no reply
    await chat.core.handle(CommandReceived(chat=chat.ref, user=ann, event_id="e5", name="make"))
    await chat.settle()
    assert chat.movies()[-1].reply_to is None


# ---------------------------------------------------------------------- full-quality hint


def _compressed(*paths: Path) -> tuple[IncomingFile, ...]:
    return tuple(IncomingFile(name=p.name, path=p, size_bytes=p.stat().st_size, mime="image/jpeg") for p in paths)


async def test_compressed_photos_get_the_files_hint_once_per_person(group: Chat, tiny_media) -> None:  # type: ignore[no-untyped-def]
    chat = group
    await chat.send(ann, "/new g")
    await chat.upload(ann, files=_compressed(tiny_media.photo("a.jpg", seed=1), tiny_media.photo("b.jpg", seed=2)))
    first = chat.expect(Say, "Got 2 photos")
    assert first.text.endswith("\nTip: sending photos as files (not as photos) keeps their full quality.")
    await chat.upload(ann, files=_compressed(tiny_media.photo("c.jpg", seed=3)))
    assert "Tip:" not in chat.expect(Say, "Got 1 photo").text  # once, not every time
    await chat.upload(bob, files=_compressed(tiny_media.photo("d.jpg", seed=4)))
    assert "Tip: sending photos as files" in chat.expect(Say, "Got 1 photo").text  # bob hasn't seen it
    # photos sent as files (full quality), and songs, never trigger it
    as_files = tuple(f.model_copy(update={"as_document": True}) for f in _compressed(tiny_media.photo("e.jpg", seed=5)))
    await chat.upload(cat, tiny_media.song("s.wav", seconds=2), files=as_files)
    assert "Tip:" not in chat.expect(Say, "Got 1 photo, 1 song").text


# ---------------------------------------------------------------------- groups: owner, admins, welcome


async def test_the_admin_who_added_the_bot_owns_it_and_the_welcome_says_how_to_send(group: Chat, tiny_media) -> None:  # type: ignore[no-untyped-def]
    admin = ann.model_copy(update={"is_chat_admin": True})
    await group.core.handle(MemberJoined(chat=group.ref, user=admin, event_id="add", added_bot=True))
    welcome = group.expect(Say, "Hi!")
    lines = welcome.text.split("\n")
    assert len(lines) == 2 and "photos, clips and a song" in lines[0] and "ann owns this project" in lines[0]
    assert "reply to my message with your photos so I see them" in lines[1]
    project = await _project(group)
    assert project.owner_key == admin.key
    # photos sent as a reply to the welcome are taken (the chat's one project, credited to bob)
    await group.core.handle(MediaReceived(chat=group.ref, user=bob, event_id="p1", message_id="u3",
                                          files=_compressed(tiny_media.photo("b.jpg", seed=2))))  # fmt: skip
    group.expect(Say, "Got 1 photo")
    members = {m.name: m.role for m in await group.store.list_members(project.id)}
    assert members == {"ann": "owner", "bob": "editor"}


async def test_a_member_started_project_is_theirs_but_chat_admins_keep_moderating(group: Chat, tiny_media) -> None:  # type: ignore[no-untyped-def]
    await group.send(bob, "/new bob's party")
    project = await _project(group)
    assert project.owner_key == bob.key  # nobody waits for an admin who may never speak
    await group.send(bob, "/lock")
    group.expect(Say, "Locked")
    # a chat admin joining a locked project is an editor (not a viewer) and can still moderate
    admin = cat.model_copy(update={"is_chat_admin": True})
    await group.send(admin, "/unlock")
    group.expect(Say, "Unlocked")
    assert (await group.store.get_member(project.id, admin.key)).role == "editor"  # type: ignore[union-attr]
    # a plain member can't, and can't take the project
    await group.send(ann, "/lock")
    group.expect(Say, "Only the owner (bob) can do that")
    await group.send(admin, "/handover me")
    group.expect(Say, "You're now the owner of “bob's party”")
    project = await _project(group)
    roles = {m.name: m.role for m in await group.store.list_members(project.id)}
    assert project.owner_key == admin.key and roles == {"bob": "editor", "cat": "owner", "ann": "editor"}
    # bob, no longer the owner, can no longer lock
    await group.send(bob, "/lock")
    group.expect(Say, "Only the owner (cat) can do that")


# ---------------------------------------------------------------------- the hot path


async def test_refinements_do_not_read_every_version(chat: Chat, standin: StandInPipeline,
                                                    tiny_media) -> None:  # type: ignore[no-untyped-def]  # fmt: skip
    await chat.send(ann, "/new trip")
    await chat.upload(ann, *(tiny_media.photo(f"p{i}.jpg", seed=i) for i in range(3)))
    await chat.send(ann, "/make")
    await chat.settle()
    for words in ("faster", "vertical"):
        await chat.send(ann, words)
        await chat.settle()
    calls = 0
    real = chat.store.list_versions

    async def counting(project_id: str):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        return await real(project_id)

    chat.store.list_versions = counting  # type: ignore[method-assign]
    standin.render_gate = asyncio.Event()
    standin.render_started.clear()
    await chat.send(ann, "shorter")
    await asyncio.wait_for(standin.render_started.wait(), 10)
    await chat.press(ann, "say:slower")  # replaces the running v4: still no full read
    standin.render_gate.set()
    await chat.settle()
    assert calls == 0
    chat.store.list_versions = real  # type: ignore[method-assign]
    versions = await chat.store.list_versions((await _project(chat)).id)
    assert [(v.number, v.status) for v in versions][-2:] == [(4, "cancelled"), (5, "ready")]
    assert chat.movies()[-1].version == 5


async def test_bot_added_again_welcomes_again_and_keeps_the_project(group: Chat, tiny_media) -> None:  # type: ignore[no-untyped-def]
    admin = ann.model_copy(update={"is_chat_admin": True})
    await group.core.handle(MemberJoined(chat=group.ref, user=admin, event_id="add1", added_bot=True))
    await group.upload(ann, tiny_media.photo("a.jpg", seed=1))
    first = await _project(group)
    await group.core.handle(MemberJoined(chat=group.ref, user=bob, event_id="add2", added_bot=True))
    again = [s for s in group.says() if s.startswith("Hi!")]
    assert len(again) == 2 and "ann owns this project" in again[1]  # still ann's, files kept
    project = await _project(group)
    assert project.id == first.id and project.owner_key == admin.key
    assert len(await group.store.list_media(project.id)) == 1
