"""conversation.actions -> Bot API calls. Every reply goes into the chat and forum topic it belongs
to; 429s are waited out (flood.py); a file over the upload limit raises UploadTooLarge before
anything is sent, so the core can choose a smaller file or a link."""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters
from telegram.constants import ChatAction, FileSizeLimit, MessageLimit
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError

from bots.telegram.flood import retry_seconds, with_flood_retry
from conversation.actions import (
    Action,
    Button,
    Say,
    SendMovie,
    SendPicture,
    ShowActivity,
    ShowProgress,
    StartThread,
)
from conversation.events import ChatRef
from conversation.ports import UploadTooLarge

log = logging.getLogger(__name__)

CLOUD_UPLOAD_LIMIT = int(FileSizeLimit.FILESIZE_UPLOAD)  # 50 MB
LOCAL_SERVER_LIMIT = int(FileSizeLimit.FILESIZE_UPLOAD_LOCAL_MODE)  # 2000 MB
PHOTO_LIMIT = int(FileSizeLimit.PHOTOSIZE_UPLOAD)  # 10 MB
CALLBACK_DATA_LIMIT = 64  # bytes, Bot API
_ACTIONS = {
    "typing": ChatAction.TYPING,
    "upload_photo": ChatAction.UPLOAD_PHOTO,
    "upload_video": ChatAction.UPLOAD_VIDEO,
}
_BAR = 12


def progress_bar(percent: int) -> str:
    filled = round(_BAR * max(0, min(100, percent)) / 100)
    return "▓" * filled + "░" * (_BAR - filled)


def split_text(text: str, limit: int = int(MessageLimit.MAX_TEXT_LENGTH)) -> list[str]:
    """Telegram refuses messages over 4096 characters: cut at line breaks where possible."""
    chunks: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        cut = cut if cut > limit // 2 else limit
        chunks.append(text[:cut])
        text = text[cut:].lstrip("\n")
    return [*chunks, text] if text else chunks or [" "]


class CallbackPayloads:
    """Callback data is limited to 64 bytes; longer payloads travel as a short token."""

    def __init__(self, keep: int = 5000) -> None:
        self._long: OrderedDict[str, str] = OrderedDict()
        self._keep = keep

    def encode(self, payload: str) -> str:
        if len(payload.encode()) <= CALLBACK_DATA_LIMIT and not payload.startswith("~"):
            return payload
        token = "~" + hashlib.sha1(payload.encode()).hexdigest()[:20]
        self._long[token] = payload
        self._long.move_to_end(token)
        while len(self._long) > self._keep:
            self._long.popitem(last=False)
        return token

    def decode(self, data: str) -> str | None:
        return self._long.get(data) if data.startswith("~") else data


@dataclass
class _Progress:
    message_id: int | None = None
    text: str = ""
    edited_at: float = 0.0
    latest: ShowProgress | None = None
    flusher: asyncio.Task[None] | None = None
    activity: asyncio.Task[None] | None = None
    activity_kind: str = ""
    touched: float = field(default_factory=time.monotonic)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


def _caption(text: str) -> str | None:
    """Captions are limited to 1024 characters: a longer one is cut with an ellipsis."""
    limit = int(MessageLimit.CAPTION_LENGTH)
    return (text[: limit - 1] + "…" if len(text) > limit else text) or None


def thumbnail_jpeg(poster: Path) -> bytes | None:
    """Telegram wants a JPEG thumbnail of at most 320 px and 200 kB."""
    try:
        from PIL import Image

        with Image.open(poster) as img:
            img = img.convert("RGB")
            img.thumbnail((320, 320))
            buf = io.BytesIO()
            img.save(buf, "JPEG", quality=85)
    except OSError as exc:
        log.warning("poster %s unusable as a thumbnail: %s", poster, exc)
        return None
    data = buf.getvalue()
    return data if len(data) <= 200_000 else None


class TelegramOutbox:
    """`TelegramOutbox(bot, upload_limit=50 MB)`; `upload_limit=LOCAL_SERVER_LIMIT` with a local
    Bot API server. Progress edits of one message are spaced by `progress_interval` seconds (the
    latest state wins) to stay clear of flood control."""

    def __init__(self, bot: Bot, *, upload_limit: int = CLOUD_UPLOAD_LIMIT, progress_interval: float = 1.0,
                 activity_interval: float = 4.5, payloads: CallbackPayloads | None = None) -> None:  # fmt: skip
        self.bot = bot
        self.upload_limit = upload_limit
        self.progress_interval = progress_interval
        self.activity_interval = activity_interval  # Telegram shows a chat action for 5 s
        self.payloads = payloads or CallbackPayloads()
        self._progress: dict[tuple[str, str], _Progress] = {}

    async def send(self, action: Action) -> str | None:
        if isinstance(action, Say):
            return await self._say(action)
        if isinstance(action, ShowProgress):
            return await self._show_progress(action)
        if isinstance(action, ShowActivity):
            await self._call(self.bot.send_chat_action, action.chat, action=_ACTIONS[action.kind])
            return None
        if isinstance(action, SendPicture):
            return await self._send_picture(action)
        if isinstance(action, SendMovie):
            return await self._send_movie(action)
        if isinstance(action, StartThread):
            return None  # Telegram chats have no per-project threads to open
        raise TypeError(f"unknown action {type(action).__name__}")

    # -- plumbing ------------------------------------------------------------------------------
    def _markup(self, rows: tuple[tuple[Button, ...], ...]) -> InlineKeyboardMarkup | None:
        if not rows:
            return None
        return InlineKeyboardMarkup(
            [
                [InlineKeyboardButton(b.label, callback_data=self.payloads.encode(b.payload)) for b in row]
                for row in rows
            ]
        )

    @staticmethod
    def _where(chat: ChatRef, reply_to: str | None) -> dict[str, Any]:
        where: dict[str, Any] = {"chat_id": int(chat.chat_id)}
        if chat.thread_id:
            where["message_thread_id"] = int(chat.thread_id)
        if reply_to:
            # the replied-to message may be gone; the answer still matters more than the thread line
            where["reply_parameters"] = ReplyParameters(
                message_id=int(reply_to), allow_sending_without_reply=True
            )
        return where

    async def _call(self, method: Any, chat: ChatRef, reply_to: str | None = None, **kwargs: Any) -> Any:
        where = self._where(chat, reply_to)
        return await with_flood_retry(lambda: method(**where, **kwargs))

    # -- actions -------------------------------------------------------------------------------
    async def _say(self, action: Say) -> str:
        chunks = split_text(action.text)
        message = None
        for i, chunk in enumerate(chunks):
            last = i == len(chunks) - 1
            message = await self._call(
                self.bot.send_message, action.chat, action.reply_to if i == 0 else None,
                text=chunk, reply_markup=self._markup(action.buttons) if last else None,
            )  # fmt: skip
        assert message is not None
        return str(message.message_id)

    async def _show_progress(self, action: ShowProgress) -> str | None:
        key = (action.chat.key, action.key)
        if len(self._progress) > 1000:
            # progress that never finished (a job lost in a crash): forget it after an hour
            now = time.monotonic()
            for stale in [k for k, st in self._progress.items() if now - st.touched > 3600]:
                self._progress.pop(stale)
        state = self._progress.setdefault(key, _Progress())
        text = action.text if action.done else f"{action.text}\n{progress_bar(action.percent)}"
        async with state.lock:
            state.latest, state.touched = action, time.monotonic()
            if state.message_id is None and action.message_id and action.message_id.isdigit():
                state.message_id = int(action.message_id)  # posted before a restart: the core kept it
            if state.message_id is None:
                message = await self._call(self.bot.send_message, action.chat, action.reply_to, text=text)
                state.message_id, state.text, state.edited_at = message.message_id, text, time.monotonic()
            elif action.done or state.edited_at + self.progress_interval <= time.monotonic():
                await self._edit_progress(state, text)
            elif state.flusher is None or state.flusher.done():
                wait = state.edited_at + self.progress_interval - time.monotonic()
                state.flusher = asyncio.get_running_loop().create_task(self._flush_progress(state, wait))
        if action.done:
            self._progress.pop(key, None)
            if state.activity is not None:
                state.activity.cancel()
        else:
            # while work runs, Telegram's own indicator ("sending video…") shows it too
            kind = ChatAction.UPLOAD_VIDEO if action.stage == "rendering" else ChatAction.TYPING
            if kind != state.activity_kind:
                if state.activity is not None:
                    state.activity.cancel()
                state.activity_kind = kind
                state.activity = asyncio.get_running_loop().create_task(self._keep_active(state, kind))
        return str(state.message_id)

    async def _keep_active(self, state: _Progress, kind: str) -> None:
        # a job that died without a last word must not leave "sending video…" on forever
        while state.latest is not None and not state.latest.done and time.monotonic() - state.touched < 600:
            where = self._where(state.latest.chat, None)
            try:
                await self.bot.send_chat_action(**where, action=kind)
            except RetryAfter as exc:
                await asyncio.sleep(retry_seconds(exc))
            except TelegramError as exc:
                log.debug("chat action failed: %s", exc)  # cosmetic: the progress message says it all
            await asyncio.sleep(self.activity_interval)

    async def close(self) -> None:
        """Stop background edits and chat actions (at shutdown)."""
        for state in self._progress.values():
            for task in (state.flusher, state.activity):
                if task is not None:
                    task.cancel()
        self._progress.clear()

    async def _flush_progress(self, state: _Progress, wait: float) -> None:
        await asyncio.sleep(wait)
        async with state.lock:
            action = state.latest
            if action is None or action.done or state.message_id is None:
                return
            try:
                await self._edit_progress(state, f"{action.text}\n{progress_bar(action.percent)}")
            except TelegramError as exc:
                # a background edit has no caller to tell; the next update or "done" tries again
                log.warning("progress edit failed: %s", exc)

    async def _edit_progress(self, state: _Progress, text: str) -> None:
        assert state.latest is not None and state.message_id is not None
        if text == state.text:
            return
        chat = state.latest.chat
        try:
            await with_flood_retry(
                lambda: self.bot.edit_message_text(
                    text=text, chat_id=int(chat.chat_id), message_id=state.message_id
                )
            )
        except BadRequest as exc:
            reason = exc.message.lower()
            if "not modified" in reason:
                pass  # the message already says this
            elif "not found" in reason:
                # someone deleted the progress message: start a new one
                message = await self._call(self.bot.send_message, chat, None, text=text)
                state.message_id = message.message_id
            else:
                raise
        state.text, state.edited_at = text, time.monotonic()

    def _check_size(self, path: Path, limit: int) -> int:
        size = path.stat().st_size
        if size > limit:
            raise UploadTooLarge(size, limit)
        return size

    async def _send_picture(self, action: SendPicture) -> str:
        size = self._check_size(action.path, self.upload_limit)
        data = action.path.read_bytes()
        if size > PHOTO_LIMIT:
            # over the photo limit: the same picture as a file (not compressed by Telegram either)
            message = await self._upload(self.bot.send_document, action.chat, action.reply_to, size,
                                         document=data, filename=action.path.name, caption=_caption(action.caption))  # fmt: skip
        else:
            message = await self._upload(self.bot.send_photo, action.chat, action.reply_to, size,
                                         photo=data, filename=action.path.name, caption=_caption(action.caption))  # fmt: skip
        return str(message.message_id)

    async def _send_movie(self, action: SendMovie) -> str:
        size = self._check_size(action.path, self.upload_limit)
        try:
            await self.bot.send_chat_action(**self._where(action.chat, None), action=ChatAction.UPLOAD_VIDEO)
        except TelegramError as exc:
            log.debug("chat action failed: %s", exc)  # cosmetic
        data = action.path.read_bytes()
        thumbnail = thumbnail_jpeg(action.poster) if action.poster is not None else None
        caption = _caption(action.caption)
        message = await self._upload(
            self.bot.send_video, action.chat, action.reply_to, size,
            video=data, filename=action.path.name, caption=caption or None,
            duration=max(1, round(action.duration)), width=action.width or None, height=action.height or None,
            thumbnail=thumbnail, supports_streaming=True, reply_markup=self._markup(action.buttons),
        )  # fmt: skip
        return str(message.message_id)

    async def _upload(
        self, method: Any, chat: ChatRef, reply_to: str | None, size: int, **kwargs: Any
    ) -> Any:
        # bytes, not file handles: a retried call must send the whole file again
        timeouts = {"write_timeout": 60 + size / 500_000, "read_timeout": 60}
        try:
            return await self._call(method, chat, reply_to, **kwargs, **timeouts)
        except BadRequest as exc:
            if "too big" in exc.message.lower() or "too large" in exc.message.lower():
                raise UploadTooLarge(size, self.upload_limit) from exc
            raise
        except NetworkError as exc:
            # the API refuses an oversized body with 413 "Request Entity Too Large"
            if "413" in str(exc) or "entity too large" in str(exc).lower():
                raise UploadTooLarge(size, self.upload_limit) from exc
            raise
