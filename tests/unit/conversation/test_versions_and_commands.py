"""Versions (revert, undo, "go back to v1 but vertical"), the informational commands, settings,
delete, and the error policy (user-facing message vs. 'something went wrong (ref ..)')."""

from __future__ import annotations

import logging

import pytest

from conversation.actions import Say, SendMovie
from pipeline.errors import UserFacingError
from tests.unit.conversation.chatkit import Chat, ann, message_id_of


async def _three_versions(chat: Chat, tiny_media) -> None:  # type: ignore[no-untyped-def]
    await chat.send(ann, "/new trip")
    await chat.upload(ann, *(tiny_media.photo(f"p{i}.jpg", seed=i) for i in range(4)), tiny_media.song("s.wav", seconds=2))
    await chat.send(ann, "/make")
    await chat.settle()
    await chat.send(ann, "make it 20 seconds")
    await chat.settle()
    await chat.send(ann, "square")
    await chat.settle()


async def test_revert_undo_and_branch_from_an_old_version(chat: Chat, tiny_media) -> None:  # type: ignore[no-untyped-def]
    await _three_versions(chat, tiny_media)
    project = await chat.store.project_for_chat(chat.ref.key)
    assert project is not None and project.current_version == 3
    await chat.send(ann, "/versions")
    listing = chat.last_say()
    assert "v1: first cut" in listing and "v2 (from v1): 20 seconds long" in listing
    assert "v3 (from v2): square (1:1) ← current" in listing

    await chat.send(ann, "/undo")  # back to v3's parent, free: no new render
    back = chat.movies()[-1]
    assert back.version == 2 and "back to this version" in back.caption
    assert len(await chat.store.list_versions(project.id)) == 3
    await chat.send(ann, "/revert 1")
    assert chat.movies()[-1].version == 1
    project = await chat.store.get_project(project.id)
    assert project is not None and project.current_version == 1 and project.request.duration is None

    await chat.send(ann, "go back to v2 but vertical")
    chat.expect(Say, "Got it: vertical (9:16). Making it from v2")
    await chat.settle()
    v4 = await chat.store.get_version(project.id, 4)
    assert v4 is not None and v4.parent == 2 and v4.request.duration == 20 and v4.request.aspect == "9:16"
    await chat.send(ann, "/revert 9")
    assert "v9 doesn't exist" in chat.last_say()


async def test_reply_to_an_older_movie_refines_that_version(chat: Chat, tiny_media) -> None:  # type: ignore[no-untyped-def]
    await _three_versions(chat, tiny_media)
    v1_movie = next(m for m in chat.movies() if m.version == 1)
    await chat.send(ann, "vertical", reply_to=message_id_of(chat, v1_movie))
    chat.expect(Say, "Making it from v1")
    await chat.settle()
    project = await chat.store.project_for_chat(chat.ref.key)
    v4 = await chat.store.get_version(project.id, 4)  # type: ignore[union-attr]
    assert v4 is not None and v4.parent == 1 and v4.request.duration is None and v4.request.aspect == "9:16"


async def test_status_help_settings(chat: Chat, tiny_media) -> None:  # type: ignore[no-untyped-def]
    await chat.send(ann, "/status")
    assert "No project in this chat yet" in chat.last_say()
    await chat.send(ann, "/new trip")
    await chat.send(ann, "/settings duration 25")
    chat.expect(Say, "Set: 25 seconds long")
    await chat.send(ann, "/settings aspect vertical")
    await chat.send(ann, "/settings style nostalgic")
    await chat.send(ann, "/settings")
    shown = chat.last_say()
    assert "duration: 25 s" in shown and "aspect: 9:16" in shown and "style: nostalgic" in shown
    await chat.upload(ann, tiny_media.photo("a.jpg"))
    await chat.send(ann, "/status")
    status = chat.last_say()
    assert "“trip”: ready" in status and "1 photo" in status and "Next movie: 25 s, 9:16, mood nostalgic" in status
    await chat.send(ann, "/help")
    assert "/revert" in chat.last_say()
    await chat.send(ann, "/frobnicate")
    assert "I don't know /frobnicate" in chat.last_say()
    await chat.send(ann, "/make")
    await chat.settle()
    movie = chat.movies()[-1]
    assert movie.duration == 25 and movie.height > movie.width


async def test_remove_and_keep_before_the_first_movie_shape_the_request(chat: Chat, tiny_media) -> None:  # type: ignore[no-untyped-def]
    await chat.send(ann, "/new t")
    await chat.upload(ann, tiny_media.photo("IMG_01.jpg", seed=1), tiny_media.photo("IMG_02.jpg", seed=2))
    await chat.send(ann, "/remove IMG_02")
    chat.expect(Say, "Set: removing IMG_02.jpg")
    await chat.send(ann, "/make")
    await chat.settle()
    assert chat.movies()[-1].version == 1
    project = await chat.store.project_for_chat(chat.ref.key)
    v1 = await chat.store.get_version(project.id, 1)  # type: ignore[union-attr]
    assert v1 is not None and v1.plan is not None and len(v1.plan.segments) == 1


async def test_delete_asks_first_then_removes_everything(chat: Chat, tiny_media) -> None:  # type: ignore[no-untyped-def]
    await chat.send(ann, "/new gone")
    await chat.upload(ann, tiny_media.photo("a.jpg"))
    project = await chat.store.project_for_chat(chat.ref.key)
    assert project is not None
    await chat.send(ann, "/delete")
    ask = chat.expect(Say, "Delete “gone”")
    await chat.press(ann, ask.buttons[0][0].payload)
    chat.expect(Say, "Deleted “gone”")
    assert await chat.store.get_project(project.id) is None
    assert await chat.media.list(f"{project.id}/") == []
    await chat.send(ann, "/new again")
    chat.expect(Say, "New project “again”")


async def test_not_understood_offers_buttons(chat: Chat, tiny_media) -> None:  # type: ignore[no-untyped-def]
    await chat.send(ann, "/new t")
    await chat.upload(ann, tiny_media.photo("a.jpg"))
    await chat.send(ann, "/make")
    await chat.settle()
    await chat.send(ann, "purple monkey dishwasher")
    ask = chat.expect(Say, "I didn't understand “purple monkey dishwasher”")
    assert [b.payload for b in ask.buttons[0]][:2] == ["say:shorter", "say:slower"]


async def test_errors_user_facing_vs_unexpected(chat: Chat, tiny_media, caplog: pytest.LogCaptureFixture) -> None:  # type: ignore[no-untyped-def]
    await chat.send(ann, "/new t")

    async def refuse(paths, progress=None):  # type: ignore[no-untyped-def]
        raise UserFacingError("That upload is too big to handle.")

    chat.pipeline.intake = refuse
    await chat.upload(ann, tiny_media.photo("a.jpg"))
    assert chat.last_say() == "That upload is too big to handle."

    async def crash(paths, progress=None):  # type: ignore[no-untyped-def]
        raise RuntimeError("database on fire")

    chat.pipeline.intake = crash
    caplog.errors_expected = True  # type: ignore[attr-defined]
    with caplog.at_level(logging.ERROR):
        await chat.upload(ann, tiny_media.photo("b.jpg"))
    said = chat.last_say()
    assert said.startswith("Something went wrong (ref ") and "fire" not in said
    ref = said.split("ref ")[1][:4]
    assert any(ref in r.getMessage() and r.exc_info for r in caplog.records)
    assert not isinstance(chat.outbox.sent[-1], SendMovie)
