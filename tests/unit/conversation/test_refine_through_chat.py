"""Each kind of refinement, said in the chat, makes a new version whose request carries it."""

from __future__ import annotations

import pytest

from conversation.actions import Say, SendMovie
from tests.unit.conversation.chatkit import Chat, ann, message_id_of


async def _delivered(chat: Chat, tiny_media) -> dict[str, str]:  # type: ignore[no-untyped-def]
    await chat.send(ann, "/new t")
    await chat.upload(ann, tiny_media.photo("IMG_07.jpg", seed=1), tiny_media.photo("sunset.jpg", seed=2),
                      tiny_media.photo("cat.jpg", seed=3), tiny_media.song("song1.wav", seconds=2),
                      tiny_media.song("song2.wav", seconds=3))  # fmt: skip
    await chat.send(ann, "/make")
    await chat.settle()
    project = await chat.store.project_for_chat(chat.ref.key)
    assert project is not None
    return {r.item.original_name: r.media_id for r in await chat.store.list_media(project.id)}


CASES = [
    ("slower at the start", lambda r, ids: r.pace == {"start": 1.3}),
    ("make it 30 seconds", lambda r, ids: r.duration == 30),
    ("shorter", lambda r, ids: r.duration == 5.0),  # 3 photos x 2 s = 6 s -> 0.75x, at least 5 s
    ("for instagram stories", lambda r, ids: r.aspect == "9:16"),
    ("drop the one with the car", lambda r, ids: r.exclude == {ids["IMG_07.jpg"]}),
    ("remove the 2nd shot", lambda r, ids: len(r.exclude) == 1),
    ("start with the cat", lambda r, ids: r.opening_id == ids["cat.jpg"]),
    ("end on the sunset", lambda r, ids: r.closing_id == ids["sunset.jpg"]),
    ("chronological", lambda r, ids: r.order == "chronological"),
    ("no fades", lambda r, ids: r.transition_style == "cuts"),
    ("different song", lambda r, ids: r.music_id is not None),
    ("use song2.wav", lambda r, ids: r.music_id == ids["song2.wav"]),
    ("add title 'Lisbon 2026'", lambda r, ids: r.title == "Lisbon 2026"),
    ("caption the 1st shot 'us!'", lambda r, ids: list(r.captions.values()) == ["us!"]),
    ("more nostalgic", lambda r, ids: r.mood == "nostalgic"),
    ("mute the videos", lambda r, ids: r.clip_audio == "mute"),
]


@pytest.mark.parametrize(("text", "check"), CASES, ids=[c[0] for c in CASES])
async def test_refinement_kind_makes_a_new_version(chat: Chat, tiny_media, text, check) -> None:  # type: ignore[no-untyped-def]
    ids = await _delivered(chat, tiny_media)
    await chat.send(ann, text)
    chat.expect(Say, "Got it:")
    await chat.settle()
    movie = chat.expect(SendMovie, "v2 (from v1)")
    project = await chat.store.project_for_chat(chat.ref.key)
    v2 = await chat.store.get_version(project.id, 2)  # type: ignore[union-attr]
    assert v2 is not None and v2.status == "ready" and v2.summary
    assert check(v2.request, ids), v2.request
    assert movie.version == 2


async def test_reply_to_the_storyboard_refines_that_version(chat: Chat, tiny_media) -> None:  # type: ignore[no-untyped-def]
    from conversation.actions import SendPicture

    await _delivered(chat, tiny_media)
    board = next(a for a in chat.outbox.sent if isinstance(a, SendPicture))
    await chat.send(ann, "vertical", reply_to=message_id_of(chat, board))
    chat.expect(Say, "Making it from v1")


async def test_words_the_rules_miss_go_to_the_ai_brain_as_typed_edits(chat: Chat, tiny_media) -> None:  # type: ignore[no-untyped-def]
    from pipeline.edits import Exclude, SetMood

    ids = await _delivered(chat, tiny_media)
    vague = "make it feel like a lazy summer evening, lose the kitty"
    chat.pipeline.ai_reads[vague] = (SetMood(mood="calm"), Exclude(media_ids=(ids["cat.jpg"],)))
    await chat.send(ann, vague)
    said = chat.expect(Say, "Got it:")
    assert "set mood calm" in said.text and "cat.jpg" in said.text  # says what it understood, by name
    await chat.settle()
    chat.expect(SendMovie, "v2 (from v1)")
    project = await chat.store.project_for_chat(chat.ref.key)
    v2 = await chat.store.get_version(project.id, 2)  # type: ignore[union-attr]
    assert v2 is not None and v2.request.mood == "calm" and v2.request.exclude == {ids["cat.jpg"]}


async def test_without_an_ai_brain_unclear_words_get_a_question_not_a_movie(chat: Chat, tiny_media) -> None:  # type: ignore[no-untyped-def]
    await _delivered(chat, tiny_media)
    await chat.send(ann, "make it feel like a lazy summer evening")
    chat.expect(Say, "")
    project = await chat.store.project_for_chat(chat.ref.key)
    assert await chat.store.get_version(project.id, 2) is None  # type: ignore[union-attr]
