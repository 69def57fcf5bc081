"""The fake Discord's REST API: the routes discord.py 2.7 calls, as a mixin of `FakeDiscord`
(tests/fakes/discord_server.py holds the state, the gateway and what users do).

Real-API behaviours the client depends on: JSON only with content-type exactly
`application/json`; 413/40005 over the upload limit; 429 with `retry_after` and the `Via` header;
interaction callbacks refused after 3 s (10062); a "thinking" defer replaced by the first follow-up.
"""

from __future__ import annotations

import json
import time
from typing import Any

import discord.gateway
from aiohttp import web

from tests.fakes import discord_payloads as P
from tests.fakes.discord_payloads import FakeUser, snowflake

ACK_DEADLINE_S = 3.0


def api_json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # exactly "application/json": discord.py ignores the body if a charset is appended
    return web.Response(
        body=json.dumps(data).encode(), status=status, content_type="application/json", headers=headers
    )


def api_error(status: int, code: int, message: str) -> web.Response:
    return api_json({"message": message, "code": code}, status=status)


class DiscordRest:
    """Route handlers; the state they read and write is FakeDiscord's."""

    token: str
    app_id: str
    bot: FakeUser
    owner: FakeUser
    guild_id: str
    base: str
    channels: dict[str, dict[str, Any]]
    threads: dict[str, dict[str, Any]]
    dms: dict[str, dict[str, Any]]
    messages: dict[str, dict[str, Any]]
    edits: list[dict[str, Any]]
    files: dict[str, list[tuple[str, bytes]]]
    cdn: dict[str, tuple[bytes, str | None]]
    cdn_broken: set[str]
    interactions: dict[str, dict[str, Any]]
    commands: list[dict[str, Any]]
    typing: list[str]
    _rate_limited: int
    _server_errors: int
    ack_deadline: float

    @property
    def upload_limit(self) -> int:
        raise NotImplementedError

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        raise NotImplementedError

    def routes(self, app: web.Application, api: str) -> None:
        r = app.router
        r.add_get(api + "/users/@me", self._me)
        r.add_get(api + "/oauth2/applications/@me", self._application)
        r.add_get(api + "/gateway", self._gateway_url)
        r.add_get(api + "/gateway/bot", self._gateway_url)
        r.add_put(api + "/applications/{app}/commands", self._sync_commands)
        r.add_put(api + "/applications/{app}/guilds/{guild}/commands", self._sync_commands)
        r.add_get(api + "/applications/{app}/commands", self._list_commands)
        r.add_get(api + "/channels/{cid}", self._get_channel)
        r.add_post(api + "/channels/{cid}/messages", self._post_message)
        r.add_patch(api + "/channels/{cid}/messages/{mid}", self._edit_message)
        r.add_get(api + "/channels/{cid}/messages/{mid}", self._get_message)
        r.add_delete(api + "/channels/{cid}/messages/{mid}", self._delete_message)
        r.add_post(api + "/channels/{cid}/typing", self._typing)
        r.add_post(api + "/channels/{cid}/threads", self._start_thread)
        r.add_post(api + "/channels/{cid}/messages/{mid}/threads", self._start_thread)
        r.add_put(api + "/channels/{cid}/messages/{mid}/reactions/{emoji}/@me", self._bot_react)
        r.add_post(api + "/interactions/{iid}/{token}/callback", self._interaction_callback)
        r.add_post(api + "/webhooks/{app}/{token}", self._followup)
        r.add_get(api + "/webhooks/{app}/{token}/messages/{mid}", self._get_webhook_message)
        r.add_patch(api + "/webhooks/{app}/{token}/messages/{mid}", self._edit_webhook_message)
        r.add_delete(api + "/webhooks/{app}/{token}/messages/{mid}", self._delete_webhook_message)
        r.add_get("/cdn/{path:.*}", self._cdn)

    # ---- REST: session ---------------------------------------------------------------------

    async def _me(self, request: web.Request) -> web.Response:
        return api_json(self.bot.payload())

    async def _application(self, request: web.Request) -> web.Response:
        return api_json(
            {
                "id": self.app_id,
                "name": "Memory Movie",
                "icon": None,
                "description": "",
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": self.owner.payload(),
                "verify_key": "00",
                "flags": 0,
                "summary": "",
            }
        )

    async def _gateway_url(self, request: web.Request) -> web.Response:
        url = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY.human_repr()
        limit = {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
        return api_json({"url": url, "shards": 1, "session_start_limit": limit})

    async def _sync_commands(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.commands = [
            {**c, "id": snowflake(), "application_id": self.app_id, "version": snowflake()} for c in body
        ]
        return api_json(self.commands)

    async def _list_commands(self, request: web.Request) -> web.Response:
        return api_json(self.commands)

    async def _get_channel(self, request: web.Request) -> web.Response:
        cid = request.match_info["cid"]
        channel = self.threads.get(cid) or self.channels.get(cid) or self.dms.get(cid)
        return api_json(channel) if channel else api_error(404, 10003, "Unknown Channel")

    # ---- REST: messages --------------------------------------------------------------------

    async def _read_body(
        self, request: web.Request
    ) -> tuple[dict[str, Any], list[tuple[str, bytes]]] | web.Response:
        """JSON or multipart (payload_json + files[n]); uploads over the limit -> 413/40005."""
        if request.content_type == "application/json":
            return await request.json(), []
        body: dict[str, Any] = {}
        uploads: dict[int, tuple[str, bytes]] = {}
        reader = await request.multipart()
        async for part in reader:
            name = part.name or ""  # type: ignore[union-attr]
            if name == "payload_json":
                body = json.loads(await part.text())  # type: ignore[union-attr]
            elif name.startswith("files["):
                uploads[int(name[6:-1])] = (part.filename or "file", bytes(await part.read()))  # type: ignore[union-attr]
        files = [uploads[k] for k in sorted(uploads)]
        if sum(len(b) for _, b in files) > self.upload_limit:
            return api_error(413, 40005, "Request entity too large")
        return body, files

    def _make_message(
        self, channel_id: str, body: dict[str, Any], files: list[tuple[str, bytes]], *, webhook: bool = False
    ) -> dict[str, Any]:
        msg_id = snowflake()
        attachments = []
        for name, blob in files:
            att_id = snowflake()
            path = f"attachments/{channel_id}/{att_id}/{name}"
            self.cdn[path] = (blob, None)
            attachments.append(
                P.attachment(
                    url=f"{self.base}/cdn/{path}",
                    filename=name,
                    size=len(blob),
                    content_type=None,
                    att_id=att_id,
                )
            )
        reference = body.get("message_reference")
        data = P.message(
            channel_id=channel_id,
            guild_id=None if channel_id in self.dms else self.guild_id,
            author=self.bot.payload(),
            content=body.get("content") or "",
            attachments=attachments,
            components=body.get("components") or [],
            reference={**reference, "channel_id": channel_id} if reference else None,
            webhook_id=self.app_id if webhook else None,
            message_id=msg_id,
        )
        self.messages[msg_id] = data
        self.files[msg_id] = files
        return data

    async def _post_message(self, request: web.Request) -> web.Response:
        cid = request.match_info["cid"]
        if cid not in self.channels and cid not in self.threads and cid not in self.dms:
            return api_error(404, 10003, "Unknown Channel")
        if self._server_errors > 0:
            self._server_errors -= 1
            await request.read()  # the upload arrived; Discord fell over anyway
            return web.Response(status=502, text="Bad Gateway", content_type="text/html")
        if self._rate_limited > 0:
            self._rate_limited -= 1
            headers = {
                "Via": "1.1 google",
                "X-RateLimit-Limit": "5",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset-After": "0.3",
                "X-RateLimit-Bucket": "fake-bucket",
                "Retry-After": "1",
            }
            return api_json(
                {"message": "You are being rate limited.", "retry_after": 0.3, "global": False}, 429, headers
            )
        parsed = await self._read_body(request)
        if isinstance(parsed, web.Response):
            return parsed
        body, files = parsed
        return api_json(self._make_message(cid, body, files))

    async def _edit_message(self, request: web.Request) -> web.Response:
        mid = request.match_info["mid"]
        if mid not in self.messages:
            return api_error(404, 10008, "Unknown Message")
        parsed = await self._read_body(request)
        if isinstance(parsed, web.Response):
            return parsed
        body, files = parsed
        return api_json(self._apply_edit(mid, body, files))

    def _apply_edit(self, mid: str, body: dict[str, Any], files: list[tuple[str, bytes]]) -> dict[str, Any]:
        msg = self.messages[mid]
        for key in ("content", "components"):
            if key in body:
                msg[key] = body[key] or ([] if key == "components" else "")
        msg["edited_timestamp"] = P.iso_now()
        if files:
            self.files[mid] = files
        self.edits.append({"message_id": mid, "body": body})
        return msg

    async def _get_message(self, request: web.Request) -> web.Response:
        msg = self.messages.get(request.match_info["mid"])
        return api_json(msg) if msg else api_error(404, 10008, "Unknown Message")

    async def _delete_message(self, request: web.Request) -> web.Response:
        self.messages.pop(request.match_info["mid"], None)
        return web.Response(status=204)

    async def _typing(self, request: web.Request) -> web.Response:
        self.typing.append(request.match_info["cid"])
        return web.Response(status=204)

    async def _bot_react(self, request: web.Request) -> web.Response:
        return web.Response(status=204)

    async def _start_thread(self, request: web.Request) -> web.Response:
        cid = request.match_info["cid"]
        if cid not in self.channels:
            return api_error(404, 10003, "Unknown Channel")
        body = await request.json()
        thread = P.thread_channel(self.guild_id, cid, body["name"], self.bot.id)
        self.threads[thread["id"]] = thread
        # the real gateway announces it too; discord.py caches the thread from this event
        await self.dispatch("THREAD_CREATE", {**thread, "newly_created": True})
        return api_json(thread, 201)

    async def _cdn(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        found = self.cdn.get(path)
        if found is None or path.rsplit("/", 1)[-1] in self.cdn_broken:
            return web.Response(status=404)
        body, ctype = found
        return web.Response(body=body, content_type=ctype or "application/octet-stream")

    # ---- REST: interactions ----------------------------------------------------------------

    def _by_token(self, token: str) -> dict[str, Any] | None:
        return next((i for i in self.interactions.values() if i["payload"]["token"] == token), None)

    async def _interaction_callback(self, request: web.Request) -> web.Response:
        inter = self.interactions.get(request.match_info["iid"])
        if inter is None or inter["payload"]["token"] != request.match_info["token"]:
            return api_error(404, 10062, "Unknown interaction")
        if inter["responses"]:
            return api_error(400, 40060, "Interaction has already been acknowledged.")
        if time.monotonic() - inter["created"] > self.ack_deadline:
            inter["expired"] = True
            return api_error(404, 10062, "Unknown interaction")
        inter["ack_seconds"] = time.monotonic() - inter["created"]
        parsed = await self._read_body(request)
        if isinstance(parsed, web.Response):
            return parsed
        body, files = parsed
        rtype = body["type"]
        inter["responses"].append(body)
        message = None
        if rtype in (4, 5):  # a message (or a "thinking…" placeholder) under the command
            data = body.get("data") or {}
            message = self._make_message(inter["channel_id"], data, files, webhook=True)
            message["interaction_loading"] = rtype == 5
            inter["original"] = message["id"]
        elif rtype == 7:  # update the message the component is on
            message = self._apply_edit(inter["payload"]["message"]["id"], body.get("data") or {}, files)
        resource: dict[str, Any] = {"type": rtype}
        if message is not None:
            resource["message"] = message
        answer = {
            "interaction": {
                "id": inter["payload"]["id"],
                "type": inter["payload"]["type"],
                "response_message_id": inter["original"],
                "response_message_loading": rtype == 5,
                "response_message_ephemeral": False,
            },
            "resource": resource,
        }
        return api_json(answer)

    async def _followup(self, request: web.Request) -> web.Response:
        inter = self._by_token(request.match_info["token"])
        if inter is None or not inter["responses"]:
            return api_error(404, 10015, "Unknown Webhook")
        parsed = await self._read_body(request)
        if isinstance(parsed, web.Response):
            return parsed
        body, files = parsed
        original = self.messages.get(inter["original"] or "")
        if original is not None and original.get("interaction_loading"):
            # the first follow-up after a "thinking" defer replaces the placeholder
            original["interaction_loading"] = False
            msg = self._apply_edit(original["id"], body, files)
        else:
            msg = self._make_message(inter["channel_id"], body, files, webhook=True)
        inter["followups"].append(msg["id"])
        return api_json(msg)

    def _webhook_target(self, request: web.Request) -> str | None:
        inter = self._by_token(request.match_info["token"])
        if inter is None:
            return None
        mid = request.match_info["mid"]
        return inter["original"] if mid == "@original" else mid

    async def _get_webhook_message(self, request: web.Request) -> web.Response:
        mid = self._webhook_target(request)
        msg = self.messages.get(mid or "")
        return api_json(msg) if msg else api_error(404, 10008, "Unknown Message")

    async def _edit_webhook_message(self, request: web.Request) -> web.Response:
        mid = self._webhook_target(request)
        if mid is None or mid not in self.messages:
            return api_error(404, 10008, "Unknown Message")
        parsed = await self._read_body(request)
        if isinstance(parsed, web.Response):
            return parsed
        body, files = parsed
        self.messages[mid]["interaction_loading"] = False
        return api_json(self._apply_edit(mid, body, files))

    async def _delete_webhook_message(self, request: web.Request) -> web.Response:
        mid = self._webhook_target(request)
        if mid is None or self.messages.pop(mid, None) is None:
            return api_error(404, 10008, "Unknown Message")
        return web.Response(status=204)
