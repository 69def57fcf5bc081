"""The people in a test: they build real Bot API updates and push them into a `FakeTelegram`.

Group messages follow privacy mode (on by default, as for a new bot): the bot receives commands,
replies to its own messages, mentions of it and service messages, nothing else.
"""

from __future__ import annotations

import itertools
import time
from pathlib import Path
from typing import Any

from tests.fakes.telegram_server import FakeTelegram, Posted, StoredFile

_ids = itertools.count(1000)


def _data(source: bytes | Path | None) -> bytes | None:
    if source is None or isinstance(source, bytes):
        return source
    return Path(source).read_bytes()


class TelegramUsers:
    def __init__(self, fake: FakeTelegram, *, privacy_mode: bool = True) -> None:
        self.fake = fake
        self.privacy_mode = privacy_mode
        self._callback_ids = itertools.count(1)

    # -- who and where -------------------------------------------------------------------------
    def user(
        self, first_name: str, *, user_id: int | None = None, username: str | None = None
    ) -> dict[str, Any]:
        uid = user_id or next(_ids)
        return {
            "id": uid,
            "is_bot": False,
            "first_name": first_name,
            "username": username or first_name.lower(),
        }

    def private(self, user: dict[str, Any]) -> dict[str, Any]:
        return {"id": user["id"], "type": "private", "first_name": user["first_name"]}

    def group(self, title: str, *, supergroup: bool = True, forum: bool = False) -> dict[str, Any]:
        chat: dict[str, Any] = {
            "id": -(1_000_000_000_000 + next(_ids)),
            "type": "supergroup" if supergroup else "group",
            "title": title,
        }
        if forum:
            chat["is_forum"] = True
        return chat

    # -- messages ------------------------------------------------------------------------------
    def _message(
        self,
        user: dict[str, Any],
        chat: dict[str, Any],
        *,
        thread_id: int | None = None,
        reply_to: int | Posted | None = None,
        quote: str | None = None,
        **content: Any,
    ) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": self.fake.next_message_id(chat["id"]),
            "date": int(time.time()),
            "chat": chat,
            "from": user,
            **content,
        }
        if thread_id is not None:
            message["message_thread_id"] = thread_id
            message["is_topic_message"] = True
        if isinstance(reply_to, Posted):
            reply_to = reply_to.message_id
        if reply_to is not None:
            replied = self.fake.messages.get((chat["id"], reply_to))
            message["reply_to_message"] = replied or {"message_id": reply_to, "date": 0, "chat": chat}
            if quote is not None:
                message["quote"] = {
                    "text": quote,
                    "position": max(0, (replied or {}).get("text", "").find(quote)),
                }
        elif thread_id is not None:
            # in a forum topic every message is a reply to the topic's creation message
            message["reply_to_message"] = {
                "message_id": thread_id,
                "date": 0,
                "chat": chat,
                "forum_topic_created": {"name": "topic", "icon_color": 7322096},
            }
        return message

    def _reaches_bot(self, message: dict[str, Any]) -> bool:
        if message["chat"]["type"] == "private" or not self.privacy_mode:
            return True
        text = message.get("text") or message.get("caption") or ""
        replied = message.get("reply_to_message") or {}
        return (
            text.startswith("/")
            or f"@{self.fake.bot['username']}" in text
            or (replied.get("from") or {}).get("id") == self.fake.bot["id"]
            or "new_chat_members" in message
            or "left_chat_member" in message
        )

    def _deliver(self, message: dict[str, Any]) -> dict[str, Any]:
        if self._reaches_bot(message):
            self.fake.push_update({"message": message})
        else:
            self.fake.messages[(message["chat"]["id"], message["message_id"])] = message
        return message

    def says(self, user: dict[str, Any], chat: dict[str, Any], text: str, **kw: Any) -> dict[str, Any]:
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return self._deliver(self._message(user, chat, **content, **kw))

    def anonymous_admin_says(self, chat: dict[str, Any], text: str, **kw: Any) -> dict[str, Any]:
        """An admin posting "as the group": Telegram sends it from GroupAnonymousBot with sender_chat."""
        anonymous = {"id": 1087968824, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"}
        content: dict[str, Any] = {"text": text, "sender_chat": chat}
        if text.startswith("/"):
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return self._deliver(self._message(anonymous, chat, **content, **kw))

    def _file(
        self, source: bytes | Path | None, size: int | None, suffix: str, *, hide_size: bool = False
    ) -> tuple[StoredFile, dict[str, Any]]:
        stored = self.fake.add_file(_data(source), size=size, suffix=suffix)
        info: dict[str, Any] = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id}
        if not hide_size:
            info["file_size"] = stored.size
        return stored, info

    def photo(
        self,
        user: dict[str, Any],
        chat: dict[str, Any],
        source: bytes | Path | None,
        *,
        size: int | None = None,
        caption: str | None = None,
        media_group_id: str | None = None,
        **kw: Any,
    ) -> dict[str, Any]:
        """A compressed photo: Telegram offers a small thumbnail and the full size."""
        _, full = self._file(source, size, "jpg")
        thumb_stored = self.fake.add_file(b"\xff\xd8\xff\xd9", suffix="jpg")
        thumb = {
            "file_id": thumb_stored.file_id,
            "file_unique_id": thumb_stored.file_unique_id,
            "file_size": 4,
            "width": 90,
            "height": 51,
        }
        content: dict[str, Any] = {"photo": [thumb, {**full, "width": 320, "height": 180}]}
        return self._deliver(
            self._message(user, chat, **self._captioned(content, caption, media_group_id), **kw)
        )

    @staticmethod
    def _captioned(
        content: dict[str, Any], caption: str | None, media_group_id: str | None
    ) -> dict[str, Any]:
        if caption is not None:
            content["caption"] = caption
        if media_group_id is not None:
            content["media_group_id"] = media_group_id
        return content

    def document(
        self,
        user: dict[str, Any],
        chat: dict[str, Any],
        source: bytes | Path | None,
        *,
        file_name: str,
        mime_type: str = "application/octet-stream",
        size: int | None = None,
        caption: str | None = None,
        media_group_id: str | None = None,
        hide_size: bool = False,
        **kw: Any,
    ) -> dict[str, Any]:
        _, info = self._file(source, size, Path(file_name).suffix.lstrip(".") or "bin", hide_size=hide_size)
        content = {"document": {**info, "file_name": file_name, "mime_type": mime_type}}
        return self._deliver(
            self._message(user, chat, **self._captioned(content, caption, media_group_id), **kw)
        )

    def video(
        self,
        user: dict[str, Any],
        chat: dict[str, Any],
        source: bytes | Path | None,
        *,
        size: int | None = None,
        duration: int = 3,
        file_name: str | None = "clip.mp4",
        caption: str | None = None,
        media_group_id: str | None = None,
        **kw: Any,
    ) -> dict[str, Any]:
        _, info = self._file(source, size, "mp4")
        video = {**info, "width": 320, "height": 180, "duration": duration, "mime_type": "video/mp4"}
        if file_name:
            video["file_name"] = file_name
        content = {"video": video}
        return self._deliver(
            self._message(user, chat, **self._captioned(content, caption, media_group_id), **kw)
        )

    def audio(
        self,
        user: dict[str, Any],
        chat: dict[str, Any],
        source: bytes | Path | None,
        *,
        file_name: str = "song.mp3",
        mime_type: str = "audio/mpeg",
        duration: int = 12,
        size: int | None = None,
        caption: str | None = None,
        **kw: Any,
    ) -> dict[str, Any]:
        _, info = self._file(source, size, Path(file_name).suffix.lstrip("."))
        audio = {
            **info,
            "duration": duration,
            "file_name": file_name,
            "mime_type": mime_type,
            "title": Path(file_name).stem,
            "performer": "Someone",
        }
        return self._deliver(
            self._message(user, chat, **self._captioned({"audio": audio}, caption, None), **kw)
        )

    def voice(
        self,
        user: dict[str, Any],
        chat: dict[str, Any],
        source: bytes | Path | None,
        *,
        duration: int = 2,
        **kw: Any,
    ) -> dict[str, Any]:
        _, info = self._file(source, None, "oga")
        voice = {**info, "duration": duration, "mime_type": "audio/ogg"}
        return self._deliver(self._message(user, chat, voice=voice, **kw))

    def video_note(
        self,
        user: dict[str, Any],
        chat: dict[str, Any],
        source: bytes | Path | None,
        *,
        duration: int = 3,
        **kw: Any,
    ) -> dict[str, Any]:
        _, info = self._file(source, None, "mp4")
        note = {**info, "duration": duration, "length": 240}
        return self._deliver(self._message(user, chat, video_note=note, **kw))

    def album(
        self,
        user: dict[str, Any],
        chat: dict[str, Any],
        photos: list[bytes | Path],
        *,
        caption: str | None = None,
        media_group_id: str = "album-1",
        **kw: Any,
    ) -> list[dict[str, Any]]:
        """Several photos sent at once: separate updates sharing `media_group_id`, caption on the first."""
        return [
            self.photo(
                user, chat, p, caption=caption if i == 0 else None, media_group_id=media_group_id, **kw
            )
            for i, p in enumerate(photos)
        ]

    # -- buttons and membership ----------------------------------------------------------------
    def press(self, user: dict[str, Any], posted: Posted, label_or_data: str) -> str:
        """Press a button on a message the bot posted (by label or callback data); returns the query id."""
        data = next(
            (
                b["callback_data"]
                for row in posted.buttons
                for b in row
                if label_or_data in (b["text"], b.get("callback_data"))
            ),
            None,
        )
        if data is None:
            raise AssertionError(f"no button {label_or_data!r} on message; buttons: {posted.button_labels}")
        message = self.fake.messages[(posted.chat_id, posted.message_id)]
        query_id = f"cbq{next(self._callback_ids)}"
        self.fake.push_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": user,
                    "chat_instance": "ci-1",
                    "message": message,
                    "data": data,
                }
            }
        )
        return query_id

    def add_members(
        self, by: dict[str, Any], chat: dict[str, Any], members: list[dict[str, Any]]
    ) -> dict[str, Any]:
        return self._deliver(self._message(by, chat, new_chat_members=members))

    def add_bot(self, by: dict[str, Any], chat: dict[str, Any]) -> dict[str, Any]:
        """`by` adds the bot to the group: Telegram sends my_chat_member and the service message."""
        bot = self.fake.bot
        self.fake.push_update(
            {
                "my_chat_member": {
                    "chat": chat,
                    "from": by,
                    "date": int(time.time()),
                    "old_chat_member": {"status": "left", "user": bot},
                    "new_chat_member": {"status": "member", "user": bot},
                }
            }
        )
        return self.add_members(
            by, chat, [{k: v for k, v in bot.items() if k in ("id", "is_bot", "first_name", "username")}]
        )

    def react(self, user: dict[str, Any], posted: Posted, emoji: str, *, old: tuple[str, ...] = ()) -> None:
        """`user` sets their reaction on a bot message to `emoji` ("" clears it; `old` is what it was)."""
        message = self.fake.messages[(posted.chat_id, posted.message_id)]
        self.fake.push_update(
            {
                "message_reaction": {
                    "chat": message["chat"],
                    "message_id": posted.message_id,
                    "user": user,
                    "date": int(time.time()),
                    "old_reaction": [{"type": "emoji", "emoji": e} for e in old],
                    "new_reaction": [{"type": "emoji", "emoji": emoji}] if emoji else [],
                }
            }
        )

    def leaves(self, user: dict[str, Any], chat: dict[str, Any]) -> dict[str, Any]:
        return self._deliver(self._message(user, chat, left_chat_member=user))
