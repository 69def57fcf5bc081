"""Edges the platforms bring: threads per project (Discord), files over the upload limit, the
owner leaving the group, members joining, button presses on old messages."""

from __future__ import annotations

from conversation.actions import Say, StartThread
from conversation.events import MemberLeft
from tests.unit.conversation.chatkit import Chat, ann, bob


async def test_new_in_a_channel_opens_a_thread_for_the_project(group: Chat) -> None:
    chat = group
    chat.outbox.threads = True
    await chat.send(ann, "/new Lisbon")
    thread = chat.expect(StartThread)
    assert thread.title == "Lisbon"
    started = chat.expect(Say, "New project “Lisbon”")
    assert started.chat.thread_id is not None  # said in the new thread
    project = await chat.store.project_for_chat(started.chat.key)
    assert project is not None and project.chat_key == started.chat.key
    assert await chat.store.project_for_chat(chat.ref.key) is None  # the channel stays free for more


async def test_movie_that_cannot_fit_the_upload_limit_gets_a_hint(chat: Chat, tiny_media) -> None:  # type: ignore[no-untyped-def]
    chat.outbox.upload_limit = 10  # bytes: no movie fits this chat, not even a smaller copy
    await chat.send(ann, "/new t")
    await chat.upload(ann, tiny_media.photo("a.jpg"))
    await chat.send(ann, "/make")
    await chat.settle()
    said = chat.last_say()
    project = await chat.store.project_for_chat(chat.ref.key)
    assert project is not None and project.current_version == 1 and project.state == "delivered"
    assert "over this chat's" in said and "“shorter”" in said
    assert "file://" not in said  # the local store's link is no use to the others in the chat
    assert not chat.movies()  # smaller copies: tests/unit/conversation/test_delivery_fit.py


async def test_owner_leaving_hands_the_project_to_an_editor(group: Chat, tiny_media) -> None:  # type: ignore[no-untyped-def]
    chat = group
    await chat.send(ann, "/new g")
    await chat.upload(bob, tiny_media.photo("b.jpg"))
    await chat.core.handle(MemberLeft(chat=chat.ref, user=ann, event_id="left-1"))
    chat.expect(Say, "ann left; bob is the owner now")
    project = await chat.store.project_for_chat(chat.ref.key)
    assert project is not None and project.owner_key == bob.key
    await chat.send(bob, "/lock")
    chat.expect(Say, "Locked")


async def test_new_member_is_welcomed_with_their_role(group: Chat) -> None:
    await group.send(ann, "/new g")
    await group.join(bob)
    group.expect(Say, "Welcome bob! You're an editor on “g”.")
    await group.send(ann, "/lock")
    await group.join(bob.model_copy(update={"user_id": "dan", "name": "dan"}))
    group.expect(Say, "Welcome dan! You're a viewer")


async def test_the_admin_who_added_the_bot_owns_the_project(group: Chat) -> None:
    from conversation.events import MemberJoined

    admin = ann.model_copy(update={"is_chat_admin": True})
    await group.core.handle(MemberJoined(chat=group.ref, user=admin, event_id="added", added_bot=True))
    group.expect(Say, "ann owns this project")
    # a member naming the untouched project: it's named, the admin who added the bot keeps it
    await group.send(bob, "/new Bob's trip")
    named = group.expect(Say, "New project “Bob's trip”. Send photos")
    assert named.text.endswith("ann owns it; you can add files and make the movie.")
    await group.send(ann, "/new Lisbon")
    group.expect(Say, "already has “Bob's trip”")
    project = await group.store.project_for_chat(group.ref.key)
    assert project is not None and project.owner_key == ann.key and project.title == "Bob's trip"


async def test_owner_sets_newcomers_to_viewers(group: Chat, tiny_media) -> None:  # type: ignore[no-untyped-def]
    await group.send(ann, "/new g")
    await group.send(bob, "/settings newcomers viewer")
    group.expect(Say, "Only the owner")
    await group.send(ann, "/settings newcomers viewer")
    group.expect(Say, "People who join from now on will be viewers")
    await group.upload(bob, tiny_media.photo("b.jpg"))  # bob joined before: still an editor
    group.expect(Say, "Got 1 photo")
    dan = bob.model_copy(update={"user_id": "dan", "name": "dan"})
    await group.upload(dan, tiny_media.photo("d.jpg", seed=4))
    group.expect(Say, "viewers can't add files")
