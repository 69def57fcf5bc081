"""A local Discord (REST + gateway) that the real discord.py 2.7 client connects to.

One guild with a text channel and a few members. Tests push what users do (messages with
attachments, slash commands, button presses, reactions) through the gateway and read what the bot
did (messages, edits, uploaded bytes, threads, interaction responses) from `FakeDiscord`'s records.

Behaviours copied from the real API because the client depends on them:
- JSON bodies are parsed by discord.py only when content-type is exactly `application/json`;
- an interaction must be acknowledged within 3 s or the callback fails with 10062 Unknown interaction;
- a deferred ("thinking") response is replaced by the first follow-up;
- uploads over the guild's limit (10 MiB, more on boosted guilds) fail with 413 / 40005;
- `rate_limit(n)` answers the next n bot messages with 429 + retry_after (with the `Via` header
  discord.py requires before it trusts a 429 as Discord's own).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from typing import Any

import discord
import discord.gateway
import discord.http
import yarl
from aiohttp import WSMsgType, web

from tests.fakes import discord_payloads as P
from tests.fakes.discord_payloads import FakeUser, snowflake
from tests.fakes.discord_rest import ACK_DEADLINE_S, DiscordRest, api_error


class FakeDiscord(DiscordRest):
    def __init__(
        self, *, token: str = "fake-token", premium_tier: int = 0, upload_limit: int | None = None
    ) -> None:
        self.token = token
        self.premium_tier = premium_tier
        self._upload_limit = upload_limit  # a small limit lets tests go over it with tiny movies
        self.app_id = snowflake()
        self.bot = FakeUser("memory-movie", id=self.app_id, bot=True)
        self.owner = FakeUser("alice")
        self.guild_id = snowflake()
        self.channel_id = snowflake()
        self.users: dict[str, FakeUser] = {self.owner.id: self.owner, self.bot.id: self.bot}
        self.channels: dict[str, dict[str, Any]] = {
            self.channel_id: P.text_channel(self.guild_id, "general", channel_id=self.channel_id)
        }
        self.threads: dict[str, dict[str, Any]] = {}
        self.dms: dict[str, dict[str, Any]] = {}
        self.connections = 0  # gateway sockets opened
        self.resumes = 0  # RESUMEs received (a dropped socket picked up where it left off)
        self.messages: dict[str, dict[str, Any]] = {}  # every message, by id, as last edited
        self.edits: list[dict[str, Any]] = []  # (message id, body) of every PATCH, in order
        self.files: dict[str, list[tuple[str, bytes]]] = {}  # message id -> uploaded (name, bytes)
        self.cdn: dict[str, tuple[bytes, str | None]] = {}
        self.interactions: dict[str, dict[str, Any]] = {}
        self.commands: list[dict[str, Any]] = []
        self.typing: list[str] = []
        self.ack_deadline = ACK_DEADLINE_S  # seconds Discord waits for an interaction's acknowledgement
        self.cdn_broken: set[str] = set()  # attachment file names the CDN answers 404 for
        self.requests: list[tuple[str, str, int]] = []  # (method, path, status)
        self.identify: dict[str, Any] | None = None
        self._rate_limited = 0
        self._server_errors = 0
        self._ws: web.WebSocketResponse | None = None
        self._seq = 0
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._saved: tuple[str, yarl.URL] | None = None
        self.base = ""

    # ---- lifecycle -------------------------------------------------------------------------

    def add_user(self, name: str) -> FakeUser:
        user = FakeUser(name)
        self.users[user.id] = user
        return user

    @property
    def upload_limit(self) -> int:
        return self._upload_limit or P.TIER_LIMITS[self.premium_tier]

    async def start(self) -> FakeDiscord:
        app = web.Application(client_max_size=200 * 1024 * 1024, middlewares=[self._record])
        api = "/api/v10"
        app.router.add_get("/gateway/ws", self._gateway)
        self.routes(app, api)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base = f"http://127.0.0.1:{port}"
        self._saved = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
        discord.http.Route.BASE = self.base + api
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(f"ws://127.0.0.1:{port}/gateway/ws")
        return self

    async def stop(self) -> None:
        if self._saved is not None:
            discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = self._saved
            self._saved = None
        if self._ws is not None and not self._ws.closed:
            await self._ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @web.middleware
    async def _record(self, request: web.Request, handler: Callable[..., Any]) -> web.StreamResponse:
        path = request.path
        bot_route = path.startswith("/api/") and "/webhooks/" not in path and "/interactions/" not in path
        if bot_route and request.headers.get("Authorization") != f"Bot {self.token}":
            resp: web.StreamResponse = api_error(401, 0, "401: Unauthorized")
            self.requests.append((request.method, path, 401))
            return resp
        resp = await handler(request)
        self.requests.append((request.method, path, resp.status))
        await self._notify()
        return resp

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 15.0, what: str = "") -> Any:
        """Wait until `predicate()` is truthy (re-checked whenever the bot calls the API)."""
        deadline = time.monotonic() + timeout
        async with self._changed:
            while True:
                value = predicate()
                if value:
                    return value
                left = deadline - time.monotonic()
                if left <= 0:
                    recent = [m["content"][:120] for m in list(self.messages.values())[-8:]]
                    raise AssertionError(
                        f"timed out waiting for {what or predicate}; last messages: {recent}"
                    )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), min(left, 0.2))

    # ---- what the bot did ------------------------------------------------------------------

    def bot_messages(self, channel_id: str) -> list[dict[str, Any]]:
        return [
            m
            for m in self.messages.values()
            if m["channel_id"] == channel_id and m["author"]["id"] == self.bot.id
        ]

    def rate_limit(self, times: int = 1) -> None:
        self._rate_limited = times

    def server_error(self, times: int = 1) -> None:
        """Answer the next `times` bot messages with 502 Bad Gateway (Discord has bad minutes)."""
        self._server_errors = times

    # ---- gateway ---------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._ws = ws
        self.connections += 1
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None})
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            data = json.loads(msg.data)
            op = data.get("op")
            if op == 1:
                await ws.send_json({"op": 11, "d": None, "s": None, "t": None})
            elif op == 2:
                self.identify = data["d"]
                if data["d"].get("token") != self.token:
                    await ws.close(code=4004, message=b"Authentication failed.")
                    break
                await self._ready()
            elif op == 6:
                self.resumes += 1
                await self.dispatch("RESUMED", {})
        return ws

    async def _ready(self) -> None:
        await self.dispatch(
            "READY",
            {
                "v": 10,
                "user": self.bot.payload(),
                "guilds": [{"id": self.guild_id, "unavailable": True}],
                "session_id": "fake-session",
                "resume_gateway_url": discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY.human_repr(),
                "application": {"id": self.app_id, "flags": 0},
            },
        )
        await self.dispatch("GUILD_CREATE", self.guild_payload())

    def guild_payload(self) -> dict[str, Any]:
        return P.guild_create(
            guild_id=self.guild_id,
            name="friends",
            owner_id=self.owner.id,
            premium_tier=self.premium_tier,
            channels=list(self.channels.values()),
            members=[u.member() for u in self.users.values()],
            threads=list(self.threads.values()),
        )

    async def drop_gateway(self, code: int = 4000) -> None:
        """Close the gateway socket the way Discord does on a hiccup; the client should resume."""
        assert self._ws is not None
        await self._ws.close(code=code, message=b"Unknown error")

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        if self._ws is None or self._ws.closed:
            raise AssertionError("the bot is not connected to the fake gateway")
        self._seq += 1
        await self._ws.send_json({"op": 0, "t": event, "s": self._seq, "d": data})

    # ---- what users do ---------------------------------------------------------------------

    def dm_channel(self, user: FakeUser) -> str:
        """A private chat between `user` and the bot; returns its channel id."""
        channel = {"id": snowflake(), "type": 1, "recipients": [user.payload()], "last_message_id": None}
        self.dms[channel["id"]] = channel
        return channel["id"]

    def _perms(self, user: FakeUser) -> int:
        return (1 << 41) - 1 if user.id == self.owner.id else (1 << 41) - 1 & ~(8 | 32)

    async def user_message(
        self,
        user: FakeUser,
        channel_id: str,
        content: str = "",
        *,
        files: list[tuple[str, bytes, str | None]] = (),  # type: ignore[assignment]
        sizes: dict[str, int] | None = None,  # claimed size per file name (a file too big to make)
        reply_to: str | None = None,
        mention_bot: bool = False,
    ) -> dict[str, Any]:
        msg_id = snowflake()
        in_dm = channel_id in self.dms
        guild_id = None if in_dm else self.guild_id
        if mention_bot:
            content = f"<@{self.bot.id}> {content}".strip()
        attachments = []
        for name, body, ctype in files:
            att_id = snowflake()
            path = f"attachments/{channel_id}/{att_id}/{name}"
            self.cdn[path] = (body, ctype)
            size = (sizes or {}).get(name, len(body))
            attachments.append(
                P.attachment(
                    url=f"{self.base}/cdn/{path}", filename=name, size=size, content_type=ctype, att_id=att_id
                )
            )
        reference = None
        if reply_to is not None:
            reference = {"message_id": reply_to, "channel_id": channel_id}
        data = P.message(
            channel_id=channel_id,
            guild_id=guild_id,
            author=user.payload(),
            member=None if in_dm else {k: v for k, v in user.member().items() if k != "user"},
            content=content,
            attachments=attachments,
            reference=reference,
            message_id=msg_id,
        )
        if mention_bot:
            data["mentions"] = [self.bot.payload()]
        if reply_to is not None and reply_to in self.messages:
            data["referenced_message"] = self.messages[reply_to]
        self.messages[msg_id] = data
        await self.dispatch("MESSAGE_CREATE", data)
        return data

    def _interaction(
        self, user: FakeUser, channel_id: str, itype: int, data: dict[str, Any]
    ) -> dict[str, Any]:
        channel = self.threads.get(channel_id) or self.channels[channel_id]
        iid = snowflake()
        payload = {
            "id": iid,
            "application_id": self.app_id,
            "type": itype,
            "data": data,
            "guild_id": self.guild_id,
            "channel_id": channel_id,
            "channel": channel,
            "member": user.member(permissions=self._perms(user)),
            "token": f"itoken-{iid}",
            "version": 1,
            "app_permissions": str((1 << 41) - 1),
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": self.guild_id},
            "context": 0,
            "attachment_size_limit": self.upload_limit,
        }
        self.interactions[iid] = {
            "payload": payload,
            "channel_id": channel_id,
            "created": time.monotonic(),
            "responses": [],
            "original": None,
            "followups": [],
        }
        return payload

    async def slash(
        self,
        user: FakeUser,
        channel_id: str,
        sub: str,
        options: dict[str, Any] | None = None,
        *,
        group: str = "movie",
    ) -> dict[str, Any]:
        opts = [
            {"name": k, "type": 4 if isinstance(v, int) else 3, "value": v}
            for k, v in (options or {}).items()
        ]
        cmd = next((c for c in self.commands if c["name"] == group), None)
        data = {
            "id": cmd["id"] if cmd else snowflake(),
            "name": group,
            "type": 1,
            "options": [{"name": sub, "type": 1, "options": opts}],
        }
        payload = self._interaction(user, channel_id, 2, data)
        await self.dispatch("INTERACTION_CREATE", payload)
        return self.interactions[payload["id"]]

    async def click(
        self, user: FakeUser, message_id: str, custom_id: str, *, values: list[str] | None = None
    ) -> dict[str, Any]:
        msg = self.messages[message_id]
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": 2 if values is None else 3}
        if values is not None:
            data["values"] = values
        payload = self._interaction(user, msg["channel_id"], 3, data)
        payload["message"] = msg
        await self.dispatch("INTERACTION_CREATE", payload)
        return self.interactions[payload["id"]]

    async def react(self, user: FakeUser, message_id: str, emoji: str) -> None:
        msg = self.messages[message_id]
        await self.dispatch(
            "MESSAGE_REACTION_ADD",
            {
                "user_id": user.id,
                "channel_id": msg["channel_id"],
                "message_id": message_id,
                "message_author_id": msg["author"]["id"],
                "guild_id": self.guild_id,
                "member": user.member(),
                "emoji": {"id": None, "name": emoji},
                "burst": False,
                "type": 0,
            },
        )
