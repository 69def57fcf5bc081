"""Groups: one project per chat, roles (owner/editor/viewer), lock, hand-over, concurrent edits
serialised (never lost, never applied twice), comments at movie times, votes between versions."""

from __future__ import annotations

import asyncio

from conversation.actions import Say
from tests.unit.conversation.chatkit import Chat, ann, bob, cat, message_id_of


async def _group_with_movie(chat: Chat, tiny_media) -> None:  # type: ignore[no-untyped-def]
    await chat.send(ann, "/new Lisbon")
    await chat.upload(ann, *(tiny_media.photo(f"IMG_0{i}.jpg", seed=i) for i in range(1, 4)))
    await chat.upload(bob, tiny_media.photo("sunset.jpg", seed=9), tiny_media.song("song.wav", seconds=2))
    await chat.send(ann, "/make")
    await chat.settle()


async def test_two_members_roles_and_viewer_refused(group: Chat, tiny_media) -> None:  # type: ignore[no-untyped-def]
    chat = group
    await _group_with_movie(chat, tiny_media)
    project = await chat.store.project_for_chat(chat.ref.key)
    assert project is not None and project.owner_key == ann.key
    roles = {m.name: m.role for m in await chat.store.list_members(project.id)}
    assert roles == {"ann": "owner", "bob": "editor"}
    # the editor refines; credited uploads are referenced by contributor
    await chat.send(bob, "drop photos from ann")
    chat.expect(Say, "Got it: removing IMG_01.jpg, IMG_02.jpg, IMG_03.jpg")
    await chat.settle()
    assert chat.movies()[-1].version == 2
    # the owner makes bob a viewer: he can comment but not change the cut
    await chat.send(ann, "/role bob viewer")
    chat.expect(Say, "bob is now a viewer")
    await chat.send(bob, "make it vertical")
    refused = chat.expect(Say, "you're a viewer here")
    assert "comment" in refused.text and "/vote" in refused.text
    await chat.send(bob, "/undo")
    chat.expect(Say, "you're a viewer here")
    await chat.upload(bob, tiny_media.photo("more.jpg", seed=7))
    chat.expect(Say, "viewers can't add files")
    versions = await chat.store.list_versions(project.id)
    assert len(versions) == 2  # nothing the viewer said changed the cut
    # only the owner manages
    await chat.send(bob, "/lock")
    chat.expect(Say, "Only the owner (ann) can do that")


async def test_lock_newcomers_and_handover(group: Chat, tiny_media) -> None:  # type: ignore[no-untyped-def]
    chat = group
    await _group_with_movie(chat, tiny_media)
    await chat.send(ann, "/lock")
    chat.expect(Say, "Locked")
    await chat.send(bob, "shorter")
    chat.expect(Say, "The owner locked the cut")
    await chat.join(cat)
    chat.expect(Say, "Welcome cat! You're a viewer")
    await chat.send(ann, "/handover bob")
    chat.expect(Say, "bob is now the owner")
    project = await chat.store.project_for_chat(chat.ref.key)
    assert project is not None and project.owner_key == bob.key
    await chat.send(bob, "/unlock")
    chat.expect(Say, "Unlocked")
    await chat.send(ann, "shorter")  # ann is an editor now, and the cut is open again
    chat.expect(Say, "Got it: shorter")


async def test_concurrent_edits_are_serialised_never_lost(group: Chat, tiny_media) -> None:  # type: ignore[no-untyped-def]
    chat = group
    await _group_with_movie(chat, tiny_media)
    project = await chat.store.project_for_chat(chat.ref.key)
    assert project is not None
    # ann and bob speak at the same moment
    await asyncio.gather(chat.send(ann, "make it vertical"), chat.send(bob, "drop sunset"))
    await chat.settle()
    versions = await chat.store.list_versions(project.id)
    assert [v.number for v in versions] == [1, 2, 3]
    last = versions[-1]
    records = {r.item.original_name: r.media_id for r in await chat.store.list_media(project.id)}
    # the later edit was made on top of the earlier one: both are in the final version
    assert last.request.aspect == "9:16" and records["sunset.jpg"] in last.request.exclude
    assert versions[1].status == "cancelled"  # superseded while it was being made
    final = await chat.store.get_project(project.id)
    assert final is not None and final.current_version == 3 and final.state == "delivered"
    movies = chat.movies()
    assert [m.version for m in movies] == [1, 3]


async def test_comment_with_timestamp_refines_that_shot(group: Chat, tiny_media) -> None:  # type: ignore[no-untyped-def]
    chat = group
    await _group_with_movie(chat, tiny_media)  # 4 photos, 2 s each
    project = await chat.store.project_for_chat(chat.ref.key)
    assert project is not None
    v1 = await chat.store.get_version(project.id, 1)
    assert v1 is not None and v1.plan is not None
    third = v1.plan.segments[2]
    names = {r.media_id: r.item.original_name for r in await chat.store.list_media(project.id)}
    await chat.send(bob, "at 0:05 remove this one")
    chat.expect(Say, f"At 0:05 (shot 3, {names[third.media_id]}): got it: removing {names[third.media_id]}")
    await chat.settle()
    comments = await chat.store.list_comments(project.id)
    assert [(c.at_seconds, c.version) for c in comments] == [(5.0, 1)]
    v2 = await chat.store.get_version(project.id, 2)
    assert v2 is not None and third.media_id in v2.request.exclude
    # a viewer's comment is kept for the editors, and changes nothing
    await chat.send(ann, "/role bob viewer")
    await chat.send(bob, "at 0:01 too fast")
    chat.expect(Say, "Noted your comment at 0:01")
    assert len(await chat.store.list_versions(project.id)) == 2
    await chat.send(ann, "/comments")
    assert "bob on v2: at 0:01 too fast" in chat.last_say()
    # an editor's comment that asks for nothing is just a comment
    await chat.send(ann, "/comment love the ending!")
    chat.expect(Say, "Noted your comment.")
    assert len(await chat.store.list_versions(project.id)) == 2


async def test_vote_between_two_versions(group: Chat, tiny_media) -> None:  # type: ignore[no-untyped-def]
    chat = group
    await _group_with_movie(chat, tiny_media)
    await chat.send(bob, "vertical")
    await chat.settle()
    await chat.join(cat)
    project = await chat.store.project_for_chat(chat.ref.key)
    assert project is not None and project.current_version == 2
    await chat.send(bob, "/vote")
    ballot = chat.expect(Say, "Vote: v1 or v2?")
    assert [b.payload for b in ballot.buttons[0]] == ["vote:v1-vs-v2:1", "vote:v1-vs-v2:2"]
    await chat.press(ann, "vote:v1-vs-v2:1")
    chat.expect(Say, "ann voted. v1: 1, v2: 0 (1 of 3 voted)")
    v1_movie = next(m for m in chat.movies() if m.version == 1)
    await chat.react(cat, message_id_of(chat, v1_movie), "👍")  # a reaction on v1's movie is a vote
    chat.expect(Say, "v1 wins, 2–0")
    project = await chat.store.get_project(project.id)
    assert project is not None and project.current_version == 1 and project.ballot is None
    await chat.press(bob, "vote:v1-vs-v2:2")
    chat.expect(Say, "That vote is closed")


async def test_two_processes_editing_at_once_lose_nothing(tmp_path, standin, tiny_media) -> None:  # type: ignore[no-untyped-def]
    """Two bot processes (two cores, one database) take two people's edits at the same moment."""
    first = Chat(tmp_path, standin, group=True)
    second = Chat(tmp_path, standin, group=True)  # its own store connection, queue, core and locks
    try:
        await _group_with_movie(first, tiny_media)
        project = await first.store.project_for_chat(first.ref.key)
        assert project is not None
        await asyncio.gather(first.send(ann, "make it vertical"), second.send(bob, "drop sunset"))
        await first.settle()
        await second.settle()
        versions = await first.store.list_versions(project.id)
        seen = [(v.number, v.status, v.request.aspect, sorted(v.request.exclude), v.error) for v in versions]
        said = first.says() + second.says()
        assert [v.number for v in versions] == [1, 2, 3], (seen, said)  # each edit made one version: none twice
        records = {r.item.original_name: r.media_id for r in await first.store.list_media(project.id)}
        last = versions[-1]
        assert last.request.aspect == "9:16" and records["sunset.jpg"] in last.request.exclude, (seen, said)
        final = await first.store.get_project(project.id)
        assert final is not None and final.current_version == 3, (seen, said, final)
        # one redelivered update reaching both processes is applied once
        from conversation.events import TextReceived

        ev = TextReceived(chat=first.ref, user=ann, event_id="dup-1", text="square")
        await asyncio.gather(first.core.handle(ev), second.core.handle(ev))
        await first.settle()
        await second.settle()
        assert len(await first.store.list_versions(project.id)) == 4
    finally:
        await second.queue.close()
        await first.close()
        await second.store.close()
