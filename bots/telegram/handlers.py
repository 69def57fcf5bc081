"""PTB handlers: each update becomes one conversation event handed to the core.

Updates are processed one at a time (PTB's default), so a chat's events reach the core in the
order they were sent; albums are the exception — they wait for their quiet window in the
background and are flushed first when the same chat says something else.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, Protocol

from telegram import Bot, Chat, ChatMember, Message, ReactionTypeEmoji, Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bots.telegram.albums import AlbumCollector, Line
from bots.telegram.downloads import fetch_file
from bots.telegram.flood import with_flood_retry
from bots.telegram.outbox import CallbackPayloads
from bots.telegram.translate import PLATFORM, FileSpec, chat_ref, event_id, file_specs, text_event, user_ref
from conversation import texts
from conversation.actions import Say
from conversation.events import (
    ChatRef,
    ChoiceMade,
    Event,
    IncomingFile,
    MediaReceived,
    MemberJoined,
    MemberLeft,
    ReactionAdded,
    UserRef,
)
from conversation.ports import JobUpdate, Outbox

log = logging.getLogger(__name__)


class Core(Protocol):
    async def handle(self, event: Event) -> Any: ...
    async def on_job_update(self, update: JobUpdate) -> Any: ...


def _anonymous_admin(message: Message) -> bool:
    return message.sender_chat is not None and message.sender_chat.id == message.chat_id


class TelegramFrontEnd:
    def __init__(
        self,
        core: Core,
        outbox: Outbox,
        bot: Bot,
        *,
        payloads: CallbackPayloads,
        download_limit: int,
        download_dir: Path | None = None,
        album_window: float = 1.5,
        admin_ttl: float = 300.0,
        line: Line | None = None,
    ) -> None:
        self.core = core
        self.outbox = outbox
        self.bot = bot
        self.payloads = payloads
        self.download_limit = download_limit
        self.download_dir = download_dir
        self.albums = AlbumCollector(self._handle_media, window=album_window, line=line)
        self.admin_ttl = admin_ttl
        self._admins: dict[int, tuple[float, set[int]]] = {}

    # -- who is an admin -----------------------------------------------------------------------
    async def _is_admin(self, chat: Chat, user_id: int) -> bool:
        if chat.type not in (Chat.GROUP, Chat.SUPERGROUP):
            return False
        cached = self._admins.get(chat.id)
        if cached is None or time.monotonic() - cached[0] > self.admin_ttl:
            try:
                members = await with_flood_retry(lambda: self.bot.get_chat_administrators(chat.id))
            except TelegramError as exc:
                log.warning("could not list admins of chat %s: %s", chat.id, exc)
                return False
            ids = {m.user.id for m in members if m.status in (ChatMember.ADMINISTRATOR, ChatMember.OWNER)}
            cached = self._admins[chat.id] = (time.monotonic(), ids)
        return user_id in cached[1]

    async def _user(self, message: Message) -> UserRef:
        assert message.from_user is not None
        if _anonymous_admin(message):
            # an admin posting as the group: Telegram hides who; the group itself speaks, as an admin
            return UserRef(platform=PLATFORM, user_id=f"chat{message.chat_id}", name=message.chat.title or "admin",
                           is_chat_admin=True)  # fmt: skip
        return user_ref(message.from_user, is_admin=await self._is_admin(message.chat, message.from_user.id))

    # -- handlers ------------------------------------------------------------------------------
    async def on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        if message is None or message.from_user is None:
            return
        if message.from_user.is_bot and not _anonymous_admin(message):
            return  # other bots, and channel posts forwarded into a discussion group
        if message.media_group_id is not None and file_specs(message):
            self.albums.add(message)
            return
        await self.albums.flush_chat(message.chat_id)
        if message.new_chat_members:
            await self._members_joined(message)
        elif message.left_chat_member is not None:
            if message.left_chat_member.id != self.bot.id and not message.left_chat_member.is_bot:
                user = user_ref(message.left_chat_member)
                await self.core.handle(MemberLeft(chat=chat_ref(message.chat, message), user=user,
                                                  event_id=event_id(message)))  # fmt: skip
        elif file_specs(message):
            await self._handle_media([message])
        elif message.text:
            event = text_event(
                message, chat_ref(message.chat, message), await self._user(message), self.bot.username
            )
            if event is not None:
                await self.core.handle(event)

    async def _members_joined(self, message: Message) -> None:
        chat = chat_ref(message.chat, message)
        adder = message.from_user
        assert adder is not None
        for member in message.new_chat_members:
            if member.id == self.bot.id:
                # the bot itself was added: the event is about who added it (an admin becomes owner)
                self._admins.pop(message.chat_id, None)
                user = user_ref(adder, is_admin=await self._is_admin(message.chat, adder.id))
                await self.core.handle(MemberJoined(chat=chat, user=user, event_id=f"{event_id(message)}:bot",
                                                    added_bot=True))  # fmt: skip
            elif not member.is_bot:
                user = user_ref(member, is_admin=await self._is_admin(message.chat, member.id))
                await self.core.handle(
                    MemberJoined(chat=chat, user=user, event_id=f"{event_id(message)}:{member.id}")
                )

    async def _handle_media(self, messages: list[Message]) -> None:
        """One MediaReceived for a message or a whole album, with the files downloaded."""
        first = messages[0]
        specs = [spec for m in messages for spec in file_specs(m)]
        if self.download_dir is not None:
            self.download_dir.mkdir(parents=True, exist_ok=True)
        root = Path(tempfile.mkdtemp(prefix="tg-media-", dir=self.download_dir))
        try:
            slots = asyncio.Semaphore(4)  # an album downloads a few files at a time, not one by one

            async def fetch(i: int, spec: FileSpec) -> IncomingFile:
                async with slots:
                    return await fetch_file(self.bot, spec, root, limit=self.download_limit, index=i)

            files = await asyncio.gather(*(fetch(i, spec) for i, spec in enumerate(specs)))
            caption = next((m.caption for m in messages if m.caption), None)
            if caption and self.bot.username:
                caption = caption.replace(f"@{self.bot.username}", "").strip() or None
            event = MediaReceived(
                chat=chat_ref(first.chat, first), user=await self._user(first), event_id=event_id(first),
                message_id=str(first.message_id), files=tuple(files), caption=caption,
                group_id=str(first.media_group_id) if first.media_group_id else None,
            )  # fmt: skip
            await self.core.handle(event)
        finally:
            # the core stores what it keeps before handle() returns
            shutil.rmtree(root, ignore_errors=True)

    async def on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        # answer at once: the button's spinner stops; the core's reply comes as a message
        try:
            await with_flood_retry(lambda: query.answer())
        except TelegramError as exc:
            log.warning("answerCallbackQuery failed: %s", exc)
        message = query.message if isinstance(query.message, Message) else None
        payload = self.payloads.decode(query.data or "")
        if message is None or payload is None:
            return  # a button from an old process whose long payload we no longer know
        await self.albums.flush_chat(message.chat_id)
        user = user_ref(query.from_user, is_admin=await self._is_admin(message.chat, query.from_user.id))
        await self.core.handle(ChoiceMade(chat=chat_ref(message.chat, message), user=user, event_id=f"cb:{query.id}",
                                          payload=payload, message_id=str(message.message_id)))  # fmt: skip

    async def on_reaction(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Reactions on the bot's messages (delivered where the bot is an admin): votes, likes."""
        changed = update.message_reaction
        if changed is None or changed.user is None:
            return  # anonymous reactions carry no one to credit
        old = {r.emoji for r in changed.old_reaction if isinstance(r, ReactionTypeEmoji)}
        new = {r.emoji for r in changed.new_reaction if isinstance(r, ReactionTypeEmoji)}
        chat = ChatRef(platform=PLATFORM, chat_id=str(changed.chat.id),
                       is_group=changed.chat.type in (Chat.GROUP, Chat.SUPERGROUP))  # fmt: skip
        user = user_ref(changed.user, is_admin=await self._is_admin(changed.chat, changed.user.id))
        stamp = int(changed.date.timestamp())
        for emoji, removed in [
            *((e, False) for e in sorted(new - old)),
            *((e, True) for e in sorted(old - new)),
        ]:
            await self.core.handle(ReactionAdded(
                chat=chat, user=user, event_id=f"r:{changed.chat.id}:{changed.message_id}:{user.user_id}:{stamp}:{emoji}:{removed}",
                message_id=str(changed.message_id), emoji=emoji, removed=removed,
            ))  # fmt: skip

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        ref = secrets.token_hex(2)
        log.error("telegram update failed (ref %s)", ref, exc_info=context.error)
        message = update.effective_message if isinstance(update, Update) else None
        if message is None:
            return
        try:
            await self.outbox.send(
                Say(chat=chat_ref(message.chat, message), text=texts.SOMETHING_WRONG.format(ref=ref))
            )
        except Exception:  # noqa: BLE001 - the error handler must not raise; the first error is logged
            log.warning("could not tell chat %s about error %s", message.chat_id, ref)
