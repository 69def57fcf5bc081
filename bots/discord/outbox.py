"""Conversation actions -> Discord REST calls (through discord.py, which honours rate limits).

While a slash command is being handled, its deferred "thinking…" placeholder is replaced by the
first message the core sends to that channel (the interaction's follow-up), so the user sees the
answer where they asked. Everything else is a plain channel message. A movie over the upload limit
is not sent: `UploadTooLarge` tells the core, which decides what to send instead.
"""

from __future__ import annotations

import contextvars
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import discord

from bots.discord import translate
from conversation.actions import Action, Say, SendMovie, SendPicture, ShowActivity, ShowProgress, StartThread
from conversation.ports import UploadTooLarge

log = logging.getLogger(__name__)

DEFAULT_UPLOAD_LIMIT = discord.utils.DEFAULT_FILE_SIZE_LIMIT_BYTES  # 10 MiB
ENTITY_TOO_LARGE = 40005


@dataclass
class PendingInteraction:
    """A deferred slash command waiting for its first answer."""

    interaction: discord.Interaction
    channel_id: int
    answered: bool = False
    closed: bool = False


# set by the bot around `core.handle` for a slash command; tasks the core spawns inherit it, and
# `closed` stops them from using a token that is no longer waited on
current_interaction: contextvars.ContextVar[PendingInteraction | None] = contextvars.ContextVar(
    "current_interaction", default=None
)


@dataclass
class DiscordOutbox:
    client: discord.Client
    progress: dict[str, tuple[int, int]] = field(default_factory=dict)  # key -> (channel id, message id)
    upload_limits: dict[int, int] = field(
        default_factory=dict
    )  # guild id -> interaction attachment_size_limit

    async def send(self, action: Action) -> str | None:
        match action:
            case Say():
                return await self._say(action)
            case ShowProgress():
                return await self._progress(action)
            case ShowActivity():
                channel = await self._channel(action.chat.thread_id or action.chat.chat_id)
                await channel.typing()
                return None
            case SendPicture():
                file = discord.File(action.path, filename=action.path.name)
                return await self.post(action.chat, action.caption, files=[file], reply_to=action.reply_to)
            case SendMovie():
                return await self._movie(action)
            case StartThread():
                return await self._thread(action)
        raise TypeError(f"unknown action {type(action).__name__}")

    # ---- plumbing ------------------------------------------------------------------------

    async def _channel(self, channel_id: str) -> Any:
        """The text channel, thread or DM (typed loosely: discord.py's channel union is wide)."""
        cid = int(channel_id)
        channel = self.client.get_channel(cid)
        if channel is None:
            channel = await self.client.fetch_channel(cid)
        return channel

    def upload_limit(self, channel: object) -> int:
        guild = getattr(channel, "guild", None)
        if guild is None:
            return DEFAULT_UPLOAD_LIMIT
        # the interaction's attachment_size_limit is Discord's own word (boosts included)
        return self.upload_limits.get(guild.id) or guild.filesize_limit

    def _pending_for(self, channel_id: int) -> PendingInteraction | None:
        pending = current_interaction.get()
        if pending is None or pending.closed or pending.answered or pending.channel_id != channel_id:
            return None
        return pending

    async def post(
        self,
        chat: Any,
        text: str,
        *,
        files: list[discord.File] | None = None,
        view: discord.ui.View | None = None,
        reply_to: str | None = None,
    ) -> str:
        """Post text (split to fit) with the files and buttons on the last part; returns its id."""
        channel = await self._channel(chat.thread_id or chat.chat_id)
        parts = translate.chunks(text)
        message_id = ""
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            kwargs: dict[str, Any] = {"content": part or None}
            if last and files:
                kwargs["files"] = files
            if last and view is not None:
                kwargs["view"] = view
            pending = self._pending_for(channel.id)
            if pending is not None:
                sent: discord.Message = await pending.interaction.followup.send(wait=True, **kwargs)
                pending.answered = True
            else:
                if reply_to and i == 0:
                    kwargs["reference"] = discord.MessageReference(
                        message_id=int(reply_to),
                        channel_id=channel.id,
                        fail_if_not_exists=False,
                    )
                sent = await channel.send(**kwargs)
            message_id = str(sent.id)
        return message_id

    # ---- actions -------------------------------------------------------------------------

    async def _say(self, action: Say) -> str:
        return await self.post(
            action.chat, action.text, view=translate.view_for(action.buttons), reply_to=action.reply_to
        )

    async def _progress(self, action: ShowProgress) -> str:
        """One message per key, edited in place; if it was deleted, post a fresh one."""
        channel = await self._channel(action.chat.thread_id or action.chat.chat_id)
        known = self.progress.get(action.key)
        if known is None and action.message_id and action.message_id.isdigit():
            known = (channel.id, int(action.message_id))  # posted before a restart: the core kept it
        if known is not None and known[0] == channel.id:
            try:
                await channel.get_partial_message(known[1]).edit(content=action.text)
                if action.done:
                    self.progress.pop(action.key, None)
                return str(known[1])
            except discord.NotFound:
                pass
        sent = await channel.send(content=action.text)
        if not action.done:
            self.progress[action.key] = (channel.id, sent.id)
        return str(sent.id)

    async def _movie(self, action: SendMovie) -> str:
        channel = await self._channel(action.chat.thread_id or action.chat.chat_id)
        size = action.path.stat().st_size
        limit = self.upload_limit(channel)
        if size > limit:
            raise UploadTooLarge(size, limit)
        text = action.caption if not action.link else f"{action.caption}\n{action.link}"
        name = f"movie-v{action.version}.mp4" if action.version else Path(action.path).name
        file = discord.File(action.path, filename=name)
        try:
            return await self.post(
                action.chat,
                text,
                files=[file],
                view=translate.view_for(action.buttons),
                reply_to=action.reply_to,
            )
        except discord.HTTPException as e:
            if e.status == 413 or e.code == ENTITY_TOO_LARGE:
                # the guild lost a boost since we last looked: the limit is lower than we knew
                raise UploadTooLarge(size, min(limit, size - 1)) from e
            raise

    async def _thread(self, action: StartThread) -> str | None:
        if action.chat.thread_id:
            return action.chat.thread_id
        channel = await self._channel(action.chat.chat_id)
        if not isinstance(channel, discord.TextChannel):
            return None  # DMs and voice channels have no threads: the project stays where it is
        thread = await channel.create_thread(
            name=action.title[:100] or "movie", type=discord.ChannelType.public_thread
        )
        pending = self._pending_for(channel.id)
        if pending is not None:
            # answer the slash command with a link to the thread the movie now lives in
            await pending.interaction.followup.send(content=thread.mention, wait=True)
            pending.answered = True
        return str(thread.id)
