"""One person, start to finish: /new, files, a description, v1 delivered, a refinement by reply."""

from __future__ import annotations

from conversation.actions import Say, SendMovie, SendPicture, ShowProgress
from pipeline.edits import Exclude
from tests.unit.conversation.chatkit import Chat, ann, message_id_of


async def test_new_upload_describe_deliver_refine(chat: Chat, tiny_media) -> None:  # type: ignore[no-untyped-def]
    await chat.send(ann, "/new Lisbon trip")
    chat.expect(Say, "New project “Lisbon trip”")
    photos = [tiny_media.photo(f"IMG_0{i}.jpg", seed=i) for i in range(5, 9)]
    song = tiny_media.song("song.wav", seconds=3)
    await chat.upload(ann, *photos, song)
    chat.expect(Say, "Got 4 photos, 1 song")

    await chat.send(ann, "make it 12 seconds, upbeat, end on the sunset")  # no sunset: said so, rest kept
    got = chat.expect(Say, "Got it")
    assert "12 seconds long" in got.text and "upbeat" in got.text
    assert "Not done: the sunset (I can't find it among the files)" in got.text
    chat.expect(ShowProgress, "v1: queued")
    await chat.settle()
    board = chat.expect(SendPicture, "Plan v1: 4 shots on a 120 BPM song, 12 s")
    assert board.path.is_file()
    movie = chat.expect(SendMovie, "v1")
    assert movie.path.is_file() and movie.version == 1 and movie.duration == 12.0
    labels = [b.label for row in movie.buttons for b in row]
    assert labels == ["Shorter", "Longer", "Faster", "Slower", "Vertical", "New music", "Undo"]
    progress = [a for a in chat.outbox.sent if isinstance(a, ShowProgress)]
    assert {p.key for p in progress} == {progress[0].key}  # one message, edited in place
    assert progress[-1].done and progress[-1].percent == 100

    project = await chat.store.project_for_chat(chat.ref.key)
    assert project is not None and project.state == "delivered" and project.current_version == 1

    # reply to the movie in words: v2 from v1
    await chat.send(ann, "drop IMG_07 and make it vertical", reply_to=message_id_of(chat, movie))
    chat.expect(Say, "Got it: removing IMG_07.jpg, vertical (9:16)")
    await chat.settle()
    v2 = chat.expect(SendMovie, "v2 (from v1)")
    assert v2.height > v2.width
    assert "removed IMG_07" in v2.caption and "vertical" in v2.caption
    version = await chat.store.get_version(project.id, 2)
    assert version is not None and version.parent == 1 and version.request.aspect == "9:16"
    records = {r.item.original_name: r.media_id for r in await chat.store.list_media(project.id)}
    assert Exclude(media_ids=(records["IMG_07.jpg"],)).media_ids[0] in version.request.exclude


async def test_quick_action_button_refines_that_movie(chat: Chat, tiny_media) -> None:  # type: ignore[no-untyped-def]
    await chat.send(ann, "/new t")
    await chat.upload(ann, *(tiny_media.photo(f"p{i}.jpg", seed=i) for i in range(3)))
    await chat.send(ann, "/make")
    await chat.settle()
    movie = chat.movies()[-1]
    await chat.press(ann, "say:shorter", message_id=message_id_of(chat, movie))
    await chat.settle()
    assert chat.movies()[-1].version == 2
    assert chat.movies()[-1].duration < movie.duration
    await chat.press(ann, "cmd:undo", message_id=message_id_of(chat, chat.movies()[-1]))
    assert chat.movies()[-1].version == 1 and "back to this version" in chat.movies()[-1].caption


async def test_redelivered_event_is_applied_once(chat: Chat, tiny_media) -> None:  # type: ignore[no-untyped-def]
    from conversation.events import CommandReceived

    ev = CommandReceived(chat=chat.ref, user=ann, event_id="same", name="new", args="x")
    await chat.core.handle(ev)
    await chat.core.handle(ev)
    assert len([s for s in chat.says() if "New project" in s]) == 1
    assert not any("already has" in s for s in chat.says())
