"""A local Telegram Bot API server for tests: the real python-telegram-bot `Application` talks to
it over HTTP (`base_url=f"{fake.base}/bot"`, `base_file_url=f"{fake.base}/file/bot"`).

It serves `/bot{token}/{method}` and `/file/bot{token}/{path}` with the behaviour our bot depends
on, checked against the real API: long-polling `getUpdates` (offset confirms, timeout waits),
form-urlencoded or multipart requests whose non-string fields are JSON-encoded, the size limits
(cloud bots download up to 20 MB, upload up to 50 MB, photos up to 10 MB; a local Bot API server
lifts both to 2000 MB), "message is not modified" on an unchanged edit, and injected 429s with
`parameters.retry_after`.

The test side pushes user updates through `tests.fakes.telegram_users.TelegramUsers` and reads
what the bot posted from `sent`, `chat_actions`, `callback_answers`, `calls`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

MB = 1_000_000  # as telegram.constants.FileSizeLimit counts (20 MB = 20_000_000 bytes)
DOWNLOAD_LIMIT = 20 * MB
UPLOAD_LIMIT = 50 * MB
PHOTO_LIMIT = 10 * MB
LOCAL_SERVER_LIMIT = 2000 * MB

# fields PTB sends as plain strings; every other field is JSON-encoded
_STRING_FIELDS = {
    "text",
    "caption",
    "callback_query_id",
    "file_id",
    "action",
    "parse_mode",
    "url",
    "secret_token",
    "data",
    "inline_message_id",
    "business_connection_id",
    "query_id",
    "title",
    "description",
}
_SENDING = {"sendMessage", "sendPhoto", "sendVideo", "sendDocument", "editMessageText", "sendChatAction"}


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    size: int
    data: bytes | None = None  # None: only the size is known (a big file we never materialise)
    file_path: str = ""


@dataclass
class Upload:
    """A file part the bot uploaded."""

    filename: str
    content_type: str
    data: bytes


@dataclass
class Posted:
    """A message the bot posted; `text` follows edits, `edits` keeps each edited text."""

    method: str
    chat_id: int
    message_id: int
    text: str | None
    fields: dict[str, Any]
    uploads: dict[str, Upload] = field(default_factory=dict)
    edits: list[str] = field(default_factory=list)

    @property
    def thread_id(self) -> int | None:
        return self.fields.get("message_thread_id")

    @property
    def reply_to(self) -> int | None:
        params = self.fields.get("reply_parameters") or {}
        return params.get("message_id") or self.fields.get("reply_to_message_id")

    @property
    def buttons(self) -> list[list[dict[str, str]]]:
        return (self.fields.get("reply_markup") or {}).get("inline_keyboard", [])

    @property
    def button_labels(self) -> list[str]:
        return [b["text"] for row in self.buttons for b in row]


@dataclass
class _Failure:
    method: str | None
    times: int
    status: int
    body: dict[str, Any]


def _error(status: int, description: str, **parameters: Any) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=status)


class FakeTelegram:
    """`async with FakeTelegram() as fake:` then point the Application at `fake.base`."""

    def __init__(
        self,
        token: str = "123456:TEST-token",
        *,
        bot_id: int = 900001,
        username: str = "memory_movie_bot",
        local_mode: bool = False,
        upload_limit: int | None = None,
    ) -> None:
        self.token = token
        self.bot = {
            "id": bot_id,
            "is_bot": True,
            "first_name": "Memory Movie",
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.download_limit = LOCAL_SERVER_LIMIT if local_mode else DOWNLOAD_LIMIT
        self.upload_limit = upload_limit or (LOCAL_SERVER_LIMIT if local_mode else UPLOAD_LIMIT)
        self.photo_limit = PHOTO_LIMIT
        self.base = ""
        # what the bot did
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.sent: list[Posted] = []
        self.chat_actions: list[dict[str, Any]] = []
        self.callback_answers: list[dict[str, Any]] = []
        self.commands: list[dict[str, Any]] = []
        self.webhook: dict[str, Any] | None = None
        self.downloads: list[str] = []
        # server state
        self.files: dict[str, StoredFile] = {}
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.admins: dict[int, list[dict[str, Any]]] = {}
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._file_ids = itertools.count(1)
        self._failures: list[_Failure] = []
        self._new_update = asyncio.Event()
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._closing = False
        self._pusher: asyncio.Task[None] | None = None
        self.webhook_deliveries: list[tuple[int, bool]] = []

    # -- lifecycle -----------------------------------------------------------------------------
    async def start(self) -> str:
        app = web.Application(client_max_size=self.upload_limit + MB)
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base = f"http://127.0.0.1:{port}"
        return self.base

    async def stop(self) -> None:
        self._closing = True
        self._new_update.set()  # wake any long poll so the server can close
        if self._pusher is not None:
            self._pusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pusher
        if self._runner:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- test-side API -------------------------------------------------------------------------
    def next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def push_update(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Queue an update (`{"message": ...}`, `{"callback_query": ...}`); returns it with its id."""
        update = {"update_id": next(self._update_ids), **payload}
        message = update.get("message")
        if message:
            self.messages[(message["chat"]["id"], message["message_id"])] = message
        self._updates.append(update)
        self._new_update.set()
        return update

    def add_file(
        self, data: bytes | None = None, *, size: int | None = None, suffix: str = "bin"
    ) -> StoredFile:
        """A file users can send; `size` without `data` stands for a file too big to materialise."""
        n = next(self._file_ids)
        stored = StoredFile(
            file_id=f"FILE{n:06d}",
            file_unique_id=f"U{n:06d}",
            size=len(data) if data is not None else int(size or 0),
            data=data,
            file_path=f"documents/file_{n}.{suffix}",
        )
        self.files[stored.file_id] = stored
        return stored

    def set_admins(
        self, chat_id: int, users: list[dict[str, Any]], creator: dict[str, Any] | None = None
    ) -> None:
        members = [
            {
                "status": "administrator",
                "user": u,
                "can_be_edited": False,
                "is_anonymous": False,
                "can_manage_chat": True,
                "can_delete_messages": True,
                "can_manage_video_chats": True,
                "can_restrict_members": True,
                "can_promote_members": False,
                "can_change_info": True,
                "can_invite_users": True,
                "can_post_stories": False,
                "can_edit_stories": False,
                "can_delete_stories": False,
            }
            for u in users
        ]
        if creator:
            members.insert(0, {"status": "creator", "user": creator, "is_anonymous": False})
        self.admins[chat_id] = members

    def fail(
        self,
        method: str | None = None,
        *,
        times: int = 1,
        status: int = 429,
        retry_after: int = 1,
        description: str | None = None,
    ) -> None:
        """The next `times` calls of `method` (None: any sending method) answer an error;
        by default flood control: 429 with parameters.retry_after."""
        body: dict[str, Any] = {"ok": False, "error_code": status}
        if status == 429:
            body["description"] = description or f"Too Many Requests: retry after {retry_after}"
            body["parameters"] = {"retry_after": retry_after}
        else:
            body["description"] = description or "Internal Server Error"
        self._failures.append(_Failure(method, times, status, body))

    def posted(self, chat_id: int | None = None, method: str | None = None) -> list[Posted]:
        return [
            p
            for p in self.sent
            if (chat_id is None or p.chat_id == chat_id) and (method is None or p.method == method)
        ]

    def texts(self, chat_id: int | None = None) -> list[str]:
        return [p.text or "" for p in self.posted(chat_id)]

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 20.0) -> Any:
        """Wait until `predicate()` is truthy (re-checked after every bot request); returns it."""
        deadline = time.monotonic() + timeout
        while True:
            result = predicate()
            if result:
                return result
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out after {timeout}s; bot posted: {self.texts()!r}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(left, 0.5))

    async def wait_for_text(self, needle: str, chat_id: int | None = None, timeout: float = 20.0) -> Posted:
        """The first posted message (text or caption, current or past edit) containing `needle`."""

        def find() -> Posted | None:
            for p in self.posted(chat_id):
                if any(needle.lower() in t.lower() for t in [p.text or "", *p.edits]):
                    return p
            return None

        return await self.wait_for(find, timeout)

    # -- HTTP ----------------------------------------------------------------------------------
    async def _api(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        if request.content_length and request.content_length > self.upload_limit:
            # what api.telegram.org answers for an upload over 50 MB (PTB raises NetworkError)
            return _error(413, "Request Entity Too Large")
        method = request.match_info["method"]
        fields, uploads = await self._read_fields(request)
        self.calls.append((method, fields))
        try:
            for failure in self._failures:
                if failure.times > 0 and (
                    failure.method == method or (failure.method is None and method in _SENDING)
                ):
                    failure.times -= 1
                    return web.json_response(failure.body, status=failure.status)
            handler = getattr(self, f"_m_{method}", None)
            if handler is None:
                return _error(404, "Not Found: method not found")
            result = await handler(fields, uploads)
            if isinstance(result, web.StreamResponse):
                return result
            return web.json_response({"ok": True, "result": result})
        finally:
            self._changed.set()

    async def _read_fields(self, request: web.Request) -> tuple[dict[str, Any], dict[str, Upload]]:
        raw: dict[str, str] = {}
        uploads: dict[str, Upload] = {}
        if request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if part.filename is not None:  # type: ignore[union-attr]
                    data = await part.read()  # type: ignore[union-attr]
                    uploads[part.name or ""] = Upload(
                        part.filename,  # type: ignore[union-attr]
                        part.headers.get("Content-Type", ""),
                        bytes(data),
                    )
                else:
                    raw[part.name or ""] = await part.text()  # type: ignore[union-attr]
        elif request.can_read_body:
            if request.content_type == "application/json":
                return dict(await request.json()), uploads
            raw = {k: str(v) for k, v in (await request.post()).items()}
        raw.update({k: v for k, v in request.query.items() if k not in raw})
        fields: dict[str, Any] = {}
        for key, value in raw.items():
            if key in _STRING_FIELDS:
                fields[key] = value
                continue
            try:
                fields[key] = json.loads(value)
            except ValueError:
                fields[key] = value
        for key, value in list(fields.items()):
            # a file may travel in a part of its own, referenced as attach://<part> (thumbnails do)
            if isinstance(value, str) and value.startswith("attach://") and value[9:] in uploads:
                uploads[key] = uploads[value[9:]]
        return fields, uploads

    async def _download(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.Response(status=404, text="Not Found")
        path = request.match_info["path"]
        for stored in self.files.values():
            if stored.file_path == path and stored.data is not None:
                self.downloads.append(stored.file_id)
                return web.Response(body=stored.data, content_type="application/octet-stream")
        return web.Response(status=404, text="Not Found")

    # -- methods -------------------------------------------------------------------------------
    async def _m_getMe(self, f: dict[str, Any], u: dict[str, Upload]) -> Any:
        return self.bot

    async def _m_logOut(self, f: dict[str, Any], u: dict[str, Upload]) -> Any:
        return True

    async def _m_deleteWebhook(self, f: dict[str, Any], u: dict[str, Upload]) -> Any:
        self.webhook = None
        if f.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _m_setWebhook(self, f: dict[str, Any], u: dict[str, Upload]) -> Any:
        self.webhook = dict(f)
        if self._pusher is None or self._pusher.done():
            self._pusher = asyncio.get_running_loop().create_task(self._push_to_webhook())
        return True

    async def _push_to_webhook(self) -> None:
        """Like Telegram with a webhook set: POST each update, in order, until the bot answers 200."""
        import aiohttp

        async with aiohttp.ClientSession() as http:
            while self.webhook is not None and not self._closing:
                if not self._updates:
                    self._new_update.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._new_update.wait(), 0.5)
                    continue
                update = self._updates[0]
                headers = {}
                if self.webhook.get("secret_token"):
                    headers["X-Telegram-Bot-Api-Secret-Token"] = str(self.webhook["secret_token"])
                try:
                    async with http.post(str(self.webhook["url"]), json=update, headers=headers) as answer:
                        delivered = answer.status == 200
                except aiohttp.ClientError:
                    delivered = False
                self.webhook_deliveries.append((update["update_id"], delivered))
                if delivered:
                    self._updates.pop(0)
                else:
                    await asyncio.sleep(0.2)

    async def _m_getWebhookInfo(self, f: dict[str, Any], u: dict[str, Upload]) -> Any:
        return {
            "url": (self.webhook or {}).get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    async def _m_setMyCommands(self, f: dict[str, Any], u: dict[str, Upload]) -> Any:
        self.commands = list(f.get("commands") or [])
        return True

    async def _m_getUpdates(self, f: dict[str, Any], u: dict[str, Upload]) -> Any:
        if self.webhook:
            return _error(409, "Conflict: can't use getUpdates method while webhook is active")
        offset = int(f.get("offset") or 0)
        timeout = float(f.get("timeout") or 0)
        limit = int(f.get("limit") or 100)
        deadline = time.monotonic() + timeout
        while True:
            if offset:
                # an offset confirms every update before it: they are never sent again
                self._updates = [x for x in self._updates if x["update_id"] >= offset]
            if self._updates or time.monotonic() >= deadline or self._closing:
                return self._updates[:limit]
            self._new_update.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), deadline - time.monotonic())

    async def _m_getFile(self, f: dict[str, Any], u: dict[str, Upload]) -> Any:
        stored = self.files.get(str(f.get("file_id")))
        if stored is None:
            return _error(400, "Bad Request: invalid file_id")
        if stored.size > self.download_limit:
            return _error(400, "Bad Request: file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
            "file_path": stored.file_path,
        }

    async def _m_getChatAdministrators(self, f: dict[str, Any], u: dict[str, Upload]) -> Any:
        return self.admins.get(int(f["chat_id"]), [])

    async def _m_getChatMember(self, f: dict[str, Any], u: dict[str, Upload]) -> Any:
        for member in self.admins.get(int(f["chat_id"]), []):
            if member["user"]["id"] == int(f["user_id"]):
                return member
        return {"status": "member", "user": {"id": int(f["user_id"]), "is_bot": False, "first_name": "?"}}

    async def _m_sendChatAction(self, f: dict[str, Any], u: dict[str, Upload]) -> Any:
        self.chat_actions.append(f)
        return True

    async def _m_answerCallbackQuery(self, f: dict[str, Any], u: dict[str, Upload]) -> Any:
        self.callback_answers.append(f)
        return True

    def _chat(self, chat_id: int) -> dict[str, Any]:
        for (cid, _), msg in self.messages.items():
            if cid == chat_id:
                return msg["chat"]
        return {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup", "first_name": "?"}

    def _refuse_reply(self, f: dict[str, Any]) -> web.Response | None:
        """The real API refuses a reply to a message that doesn't exist, unless told to send anyway."""
        params = f.get("reply_parameters") or {}
        target = params.get("message_id") or f.get("reply_to_message_id")
        if not target or (int(f["chat_id"]), int(target)) in self.messages:
            return None
        if params.get("allow_sending_without_reply") or f.get("allow_sending_without_reply"):
            return None
        return _error(400, "Bad Request: message to be replied not found")

    def _post(
        self,
        method: str,
        f: dict[str, Any],
        text: str | None,
        extra: dict[str, Any],
        uploads: dict[str, Upload],
    ) -> dict[str, Any]:
        chat_id = int(f["chat_id"])
        message_id = self.next_message_id(chat_id)
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": self._chat(chat_id),
            "from": self.bot,
            **extra,
        }
        if f.get("message_thread_id"):
            message["message_thread_id"] = f["message_thread_id"]
            message["is_topic_message"] = True
        if f.get("reply_markup"):
            message["reply_markup"] = f["reply_markup"]
        reply_to = (f.get("reply_parameters") or {}).get("message_id") or f.get("reply_to_message_id")
        if reply_to and (chat_id, reply_to) in self.messages:
            message["reply_to_message"] = self.messages[(chat_id, reply_to)]
        self.messages[(chat_id, message_id)] = message
        self.sent.append(Posted(method, chat_id, message_id, text, dict(f), dict(uploads)))
        return message

    async def _m_sendMessage(self, f: dict[str, Any], u: dict[str, Upload]) -> Any:
        if (refused := self._refuse_reply(f)) is not None:
            return refused
        text = str(f.get("text") or "")
        if not text.strip():
            return _error(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            return _error(400, "Bad Request: message is too long")
        return self._post("sendMessage", f, text, {"text": text}, u)

    async def _m_editMessageText(self, f: dict[str, Any], u: dict[str, Upload]) -> Any:
        key = (int(f["chat_id"]), int(f["message_id"]))
        message = self.messages.get(key)
        if message is None:
            return _error(400, "Bad Request: message to edit not found")
        text = str(f.get("text") or "")
        if text == message.get("text") and f.get("reply_markup") == message.get("reply_markup"):
            return _error(
                400,
                "Bad Request: message is not modified: specified new message content and "
                "reply markup are exactly the same as a current content and reply markup "
                "of the message",
            )
        message["text"] = text
        message["reply_markup"] = f.get("reply_markup")
        message["edit_date"] = int(time.time())
        for posted in self.sent:
            if (posted.chat_id, posted.message_id) == key:
                posted.text = text
                posted.edits.append(text)
                posted.fields["reply_markup"] = f.get("reply_markup")
        return message

    def _register_upload(self, upload: Upload, suffix: str) -> StoredFile:
        stored = self.add_file(upload.data, suffix=suffix)
        return stored

    def _media(
        self, f: dict[str, Any], uploads: dict[str, Upload], part: str, limit: int
    ) -> Upload | str | web.Response:
        value = f.get(part)
        if part in uploads:
            upload = uploads[part]
            if len(upload.data) > limit:
                return _error(400, "Bad Request: file is too big")
            return upload
        if isinstance(value, str) and value.startswith("attach://") and value[9:] in uploads:
            return uploads[value[9:]]
        if isinstance(value, str) and value in self.files:
            return value
        return _error(400, f"Bad Request: there is no {part} in the request")

    async def _m_sendPhoto(self, f: dict[str, Any], u: dict[str, Upload]) -> Any:
        if (refused := self._refuse_reply(f)) is not None:
            return refused
        media = self._media(f, u, "photo", self.photo_limit)
        if isinstance(media, web.Response):
            return media
        stored = self._register_upload(media, "jpg") if isinstance(media, Upload) else self.files[media]
        photo = [
            {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "width": 320,
                "height": 180,
                "file_size": stored.size,
            }
        ]
        return self._post("sendPhoto", f, f.get("caption"), {"photo": photo, "caption": f.get("caption")}, u)

    async def _m_sendVideo(self, f: dict[str, Any], u: dict[str, Upload]) -> Any:
        if (refused := self._refuse_reply(f)) is not None:
            return refused
        media = self._media(f, u, "video", self.upload_limit)
        if isinstance(media, web.Response):
            return media
        stored = self._register_upload(media, "mp4") if isinstance(media, Upload) else self.files[media]
        video = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "width": int(f.get("width") or 0),
            "height": int(f.get("height") or 0),
            "duration": int(f.get("duration") or 0),
            "mime_type": "video/mp4",
            "file_size": stored.size,
        }
        return self._post("sendVideo", f, f.get("caption"), {"video": video, "caption": f.get("caption")}, u)

    async def _m_sendDocument(self, f: dict[str, Any], u: dict[str, Upload]) -> Any:
        if (refused := self._refuse_reply(f)) is not None:
            return refused
        media = self._media(f, u, "document", self.upload_limit)
        if isinstance(media, web.Response):
            return media
        stored = self._register_upload(media, "bin") if isinstance(media, Upload) else self.files[media]
        name = media.filename if isinstance(media, Upload) else "file"
        document = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": name,
            "file_size": stored.size,
        }
        return self._post(
            "sendDocument", f, f.get("caption"), {"document": document, "caption": f.get("caption")}, u
        )
