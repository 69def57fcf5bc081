"""A local Gemini API (google-genai's wire format) for tests: aiohttp on 127.0.0.1, port 0.

Serves `POST /v1beta/models/{model}:generateContent`, the File API's resumable upload
(`/upload/v1beta/files` with X-Goog-Upload-* headers) and `GET /v1beta/files/{id}`. Answers come
from a queue of canned replies (`reply_json`, `reply_text`, `fail`) or a per-test `handler`;
every request is recorded so a test can assert how many calls were made (local-only: zero).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Reply:
    status: int = 200
    text: str | None = None  # the model's text (JSON for structured output)
    body: dict | None = None  # a raw body instead (errors)
    prompt_tokens: int = 100
    output_tokens: int = 50
    delay: float = 0.0  # seconds before answering (to trip the client's timeout)


@dataclass
class Recorded:
    method: str
    path: str
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[str, dict], "Reply | dict | str"]


def _error(status: int, message: str) -> dict:
    names = {
        400: "INVALID_ARGUMENT",
        404: "NOT_FOUND",
        429: "RESOURCE_EXHAUSTED",
        500: "INTERNAL",
        503: "UNAVAILABLE",
    }
    return {"error": {"code": status, "message": message, "status": names.get(status, "UNKNOWN")}}


class GeminiStub:
    def __init__(self) -> None:
        self.queue: deque[Reply] = deque()
        self.handler: Handler | None = None  # used when the queue is empty
        self.requests: list[Recorded] = []
        self.files: dict[str, dict] = {}
        self.uploads: dict[str, dict] = {}
        self.processing_polls = 0  # files.get answers PROCESSING this many times, then ACTIVE
        self._runner: web.AppRunner | None = None
        self.url = ""

    # ------------------------------------------------------------------ scripting
    def reply_json(self, obj: Any, **kw: Any) -> None:
        self.queue.append(Reply(text=json.dumps(obj), **kw))

    def reply_text(self, text: str) -> None:
        self.queue.append(Reply(text=text))

    def fail(self, status: int, times: int = 1) -> None:
        for _ in range(times):
            self.queue.append(Reply(status=status, body=_error(status, "stub failure")))

    @property
    def generate_calls(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith(":generateContent")]

    @property
    def upload_starts(self) -> int:
        return sum(1 for r in self.requests if r.path == "/upload/v1beta/files" and r.body != "<bytes>")

    def prompt_text(self, call: Recorded) -> str:
        """All text parts of a recorded generateContent request, joined."""
        parts = [p.get("text", "") for c in call.body.get("contents", []) for p in c.get("parts", [])]
        sys_parts = (call.body.get("systemInstruction") or {}).get("parts", [])
        return "\n".join([*(p.get("text", "") for p in sys_parts), *parts])

    # ------------------------------------------------------------------ server
    async def start(self) -> GeminiStub:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/v1beta/models/{tail}", self._generate)
        app.router.add_post("/upload/v1beta/files", self._upload)
        app.router.add_get("/v1beta/files/{fid}", self._get_file)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> GeminiStub:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ routes
    async def _generate(self, request: web.Request) -> web.Response:
        tail = request.match_info["tail"]
        body = await request.json()
        self.requests.append(Recorded("POST", request.path, body, dict(request.headers)))
        model, _, method = tail.partition(":")
        if method != "generateContent":
            return web.json_response(_error(404, f"unknown method {method}"), status=404)
        if self.queue:
            reply: Reply | dict | str = self.queue.popleft()
        elif self.handler is not None:
            reply = self.handler(model, body)
        else:
            return web.json_response(_error(500, "stub has no reply queued"), status=500)
        if isinstance(reply, dict):
            reply = Reply(text=json.dumps(reply))
        elif isinstance(reply, str):
            reply = Reply(text=reply)
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.status != 200:
            return web.json_response(reply.body or _error(reply.status, "error"), status=reply.status)
        return web.json_response(
            {
                "candidates": [
                    {
                        "content": {"role": "model", "parts": [{"text": reply.text or ""}]},
                        "finishReason": "STOP",
                        "index": 0,
                    }
                ],
                "usageMetadata": {
                    "promptTokenCount": reply.prompt_tokens,
                    "candidatesTokenCount": reply.output_tokens,
                    "totalTokenCount": reply.prompt_tokens + reply.output_tokens,
                },
                "modelVersion": model,
            }
        )

    async def _upload(self, request: web.Request) -> web.Response:
        command = request.headers.get("X-Goog-Upload-Command", "")
        if "start" in command:
            body = await request.json() if request.can_read_body else {}
            self.requests.append(Recorded("POST", request.path, body, dict(request.headers)))
            upload_id = f"u{len(self.uploads) + 1}"
            meta = dict(body.get("file") or {})
            meta.setdefault(
                "mimeType",
                request.headers.get("X-Goog-Upload-Header-Content-Type", "application/octet-stream"),
            )
            self.uploads[upload_id] = {"meta": meta, "data": b""}
            return web.Response(
                headers={
                    "X-Goog-Upload-URL": f"{self.url}/upload/v1beta/files?upload_id={upload_id}",
                    "X-Goog-Upload-Status": "active",
                },
                content_type="application/json",
                text="{}",
            )
        upload_id = request.query.get("upload_id", "")
        self.requests.append(Recorded("POST", request.path, "<bytes>", dict(request.headers)))
        if upload_id not in self.uploads:
            return web.json_response(_error(404, "no such upload"), status=404)
        up = self.uploads[upload_id]
        up["data"] += await request.read()
        if "finalize" not in command:
            return web.Response(headers={"X-Goog-Upload-Status": "active"}, text="{}")
        meta = up["meta"]
        name = meta.get("name") or f"files/{hashlib.sha256(up['data']).hexdigest()[:12]}"
        fid = name.split("/", 1)[1]
        info = {
            "name": name,
            "displayName": meta.get("displayName", fid),
            "mimeType": meta["mimeType"],
            "sizeBytes": str(len(up["data"])),
            "sha256Hash": hashlib.sha256(up["data"]).hexdigest(),
            "uri": f"{self.url}/v1beta/files/{fid}",
            "state": "PROCESSING" if self.processing_polls else "ACTIVE",
        }
        self.files[fid] = info
        return web.json_response({"file": info}, headers={"X-Goog-Upload-Status": "final"})

    async def _get_file(self, request: web.Request) -> web.Response:
        fid = request.match_info["fid"]
        self.requests.append(Recorded("GET", request.path))
        info = self.files.get(fid)
        if info is None:
            return web.json_response(_error(404, f"File {fid} not found"), status=404)
        if info["state"] == "PROCESSING":
            if self.processing_polls > 0:
                self.processing_polls -= 1
            if self.processing_polls == 0:
                info["state"] = "ACTIVE"
            return web.json_response({**info, "state": "PROCESSING"})
        return web.json_response(info)
