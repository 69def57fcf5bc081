"""`memory-movie telegram`: the PTB Application around the conversation core.

    bot = build_application(token, core_factory, api_url=settings.telegram_api_url)
    await bot.start(webhook_url=settings.telegram_webhook_url)   # long polling when None
    ...
    await bot.stop()

`core_factory(outbox)` builds the conversation core with this bot's outbox (and wires the job
queue's sink to `core.on_job_update`); it may be async. `main(...)` does all of it until SIGINT/
SIGTERM and turns a missing or rejected token into a clear message and exit code 2.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import inspect
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from conversation.ports import Outbox

log = logging.getLogger(__name__)

CoreFactory = Callable[[Outbox], Any]  # returns a core (or an awaitable of one)


class TelegramConfigError(Exception):
    """The bot cannot start as configured (no token, token rejected): shown as is, exit code 2."""


def file_url_for(api_url: str) -> str:
    """The file URL that goes with a Bot API base URL: http://host:8081/bot -> http://host:8081/file/bot."""
    base = api_url.rstrip("/")
    if base.endswith("/bot"):
        return base[: -len("/bot")] + "/file/bot"
    return base + "/file/bot"


def webhook_secret(token: str) -> str:
    # the same on every instance that shares the token, and never the token itself
    return hashlib.sha256(f"memory-movie-webhook:{token}".encode()).hexdigest()[:48]


class TelegramBot:
    def __init__(
        self,
        token: str,
        core_factory: CoreFactory,
        *,
        api_url: str | None = None,
        file_url: str | None = None,
        local_server: bool | None = None,
        upload_limit: int | None = None,
        download_dir: Path | None = None,
        album_window: float = 1.5,
        progress_interval: float = 1.0,
        commands: Sequence[tuple[str, str]] = (),
        recover: bool = True,
    ) -> None:
        if not token or not token.strip():
            raise TelegramConfigError(
                "TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather and put its token there."
            )
        # PTB 22 warns on every int duration; opt in to timedeltas, the coming default
        os.environ.setdefault("PTB_TIMEDELTA", "true")
        from telegram import Update
        from telegram.ext import (
            ApplicationBuilder,
            CallbackQueryHandler,
            MessageHandler,
            MessageReactionHandler,
            filters,
        )

        from bots.telegram.downloads import CLOUD_DOWNLOAD_LIMIT, LOCAL_SERVER_LIMIT
        from bots.telegram.outbox import CLOUD_UPLOAD_LIMIT, CallbackPayloads

        # a self-hosted Bot API server (TELEGRAM_API_URL) lifts both file limits to 2000 MB
        local = bool(api_url) if local_server is None else local_server
        self.download_limit = LOCAL_SERVER_LIMIT if local else CLOUD_DOWNLOAD_LIMIT
        # an explicit limit: a server configured differently (or a test of what happens above it)
        self.upload_limit = upload_limit or (LOCAL_SERVER_LIMIT if local else CLOUD_UPLOAD_LIMIT)
        self.token = token.strip()
        self.api_url = api_url
        self.core_factory = core_factory
        self.download_dir = download_dir
        self.album_window = album_window
        self.progress_interval = progress_interval
        self.commands = list(commands)
        self.recover = recover
        self.payloads = CallbackPayloads()
        from bots.telegram.ordering import PerChatUpdateProcessor

        self.processor = PerChatUpdateProcessor()
        builder = ApplicationBuilder().token(self.token).concurrent_updates(self.processor)
        if api_url:
            builder = builder.base_url(api_url.rstrip("/")).base_file_url(file_url or file_url_for(api_url))
        if local:
            builder = builder.local_mode(True)
        self.app = builder.build()
        self.app.add_handler(MessageHandler(filters.UpdateType.MESSAGE, self._on_message))
        self.app.add_handler(CallbackQueryHandler(self._on_callback))
        self.app.add_handler(MessageReactionHandler(self._on_reaction))
        self.app.add_error_handler(self._on_error)
        self._all_updates = list(Update.ALL_TYPES)
        self.core: Any = None
        self.outbox: Any = None
        self.front: Any = None
        self._webhook_runner: Any = None

    # handlers reach the front end built in start() (the core needs the started bot)
    async def _on_message(self, update: Any, context: Any) -> None:
        await self.front.on_message(update, context)

    async def _on_callback(self, update: Any, context: Any) -> None:
        await self.front.on_callback(update, context)

    async def _on_reaction(self, update: Any, context: Any) -> None:
        await self.front.on_reaction(update, context)

    async def _on_error(self, update: Any, context: Any) -> None:
        if self.front is not None:
            await self.front.on_error(update, context)
        else:
            log.error("telegram update failed before start-up finished", exc_info=context.error)

    async def start(self, *, webhook_url: str | None = None, listen: str = "0.0.0.0", port: int = 8443,
                    poll_timeout: float = 10.0) -> None:  # fmt: skip
        from telegram.error import InvalidToken, NetworkError

        from bots.telegram.handlers import TelegramFrontEnd
        from bots.telegram.outbox import TelegramOutbox

        try:
            await self.app.initialize()
        except InvalidToken as exc:
            await self.app.bot.shutdown()  # close its HTTP pools: nothing else will
            raise TelegramConfigError(
                "Telegram rejected TELEGRAM_BOT_TOKEN: check it with @BotFather (/token)."
            ) from exc
        except NetworkError as exc:  # includes TimedOut
            await self.app.bot.shutdown()
            where = self.api_url or "api.telegram.org"  # never the bot's URL: it contains the token
            reason = str(exc).replace(self.token, "<token>")
            raise TelegramConfigError(f"Could not reach the Telegram Bot API at {where}: {reason}") from exc
        self.outbox = TelegramOutbox(self.app.bot, upload_limit=self.upload_limit,
                                     progress_interval=self.progress_interval, payloads=self.payloads)  # fmt: skip
        core = self.core_factory(self.outbox)
        self.core = await core if inspect.isawaitable(core) else core
        self.front = TelegramFrontEnd(self.core, self.outbox, self.app.bot, payloads=self.payloads,
                                      download_limit=self.download_limit, download_dir=self.download_dir,
                                      album_window=self.album_window, line=self.processor.line)  # fmt: skip
        if self.commands:
            await self.app.bot.set_my_commands(self.commands)
        await self.app.start()
        if webhook_url:
            await self._start_webhook(webhook_url, listen, port)
        else:
            await self.app.bot.delete_webhook()
            assert self.app.updater is not None
            await self.app.updater.start_polling(poll_interval=0.0, timeout=int(poll_timeout),
                                                 allowed_updates=self._all_updates)  # fmt: skip
        if self.recover and hasattr(self.core, "recover"):
            await self.core.recover()
        log.info(
            "telegram bot @%s is running (%s)",
            self.app.bot.username,
            "webhook" if webhook_url else "long polling",
        )

    async def _start_webhook(self, webhook_url: str, listen: str, port: int) -> None:
        """A small aiohttp endpoint: every instance behind the URL feeds its own update queue."""
        from aiohttp import web
        from telegram import Update

        secret = webhook_secret(self.token)
        path = urlparse(webhook_url).path or "/"

        async def receive(request: web.Request) -> web.Response:
            if request.headers.get("X-Telegram-Bot-Api-Secret-Token") != secret:
                return web.Response(status=403)
            try:
                update = Update.de_json(await request.json(), self.app.bot)
            except ValueError:
                return web.Response(status=400)
            await self.app.update_queue.put(update)
            return web.Response()

        server = web.Application()
        server.router.add_post(path, receive)
        self._webhook_runner = web.AppRunner(server, handle_signals=False, access_log=None)
        await self._webhook_runner.setup()
        site = web.TCPSite(self._webhook_runner, listen, port)
        await site.start()
        self.webhook_port = self._webhook_runner.addresses[0][1]
        await self.app.bot.set_webhook(webhook_url, secret_token=secret, allowed_updates=self._all_updates)

    async def stop(self) -> None:
        if self.app.updater is not None and self.app.updater.running:
            await self.app.updater.stop()
        if self._webhook_runner is not None:
            await self._webhook_runner.cleanup()
            self._webhook_runner = None
        if self.front is not None:
            await self.front.albums.close()
        if self.outbox is not None:
            await self.outbox.close()
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()


def build_application(
    token: str, core_factory: CoreFactory, *, api_url: str | None = None, **options: Any
) -> TelegramBot:
    """The bot, not yet started. `api_url` is TELEGRAM_API_URL (a local Bot API server's base URL)."""
    return TelegramBot(token, core_factory, api_url=api_url, **options)


async def run(bot: TelegramBot, *, webhook_url: str | None = None, port: int = 8443,
              stop: asyncio.Event | None = None, on_stop: Callable[[], Awaitable[None]] | None = None) -> None:  # fmt: skip
    """Start, run until `stop` is set (or SIGINT/SIGTERM), stop cleanly."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await bot.start(webhook_url=webhook_url, port=port)
        await stop.wait()
    finally:
        await bot.stop()
        if on_stop is not None:
            await on_stop()


def main(token: str | None, core_factory: CoreFactory, *, api_url: str | None = None, webhook_url: str | None = None,
         port: int = 8443, on_stop: Callable[[], Awaitable[None]] | None = None, **options: Any) -> int:  # fmt: skip
    """Blocking entry point for `memory-movie telegram`; returns the process exit code."""
    try:
        bot = build_application(token or "", core_factory, api_url=api_url, **options)
        asyncio.run(run(bot, webhook_url=webhook_url, port=port, on_stop=on_stop))
    except TelegramConfigError as exc:
        print(f"memory-movie telegram: {exc}", file=sys.stderr)
        return 2
    return 0
