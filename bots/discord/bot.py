"""The Discord client: slash commands, messages, buttons and reactions in; core events out.

Built like discord.py's advanced_startup example: resources arrive through the constructor and
are wired in `setup_hook` (the core is made there, with this bot's outbox). Interactions are
acknowledged first (Discord drops them after 3 s) and answered by follow-ups once the core has
decided; everything the core says goes through `DiscordOutbox`.
"""

from __future__ import annotations

import inspect
import logging
import re
import secrets
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Literal, Protocol

import discord
from discord import app_commands

from bots.discord import translate
from bots.discord.outbox import DiscordOutbox, PendingInteraction, current_interaction
from conversation import texts
from conversation.events import (
    ChoiceMade,
    CommandReceived,
    Event,
    IncomingFile,
    MediaReceived,
    ReactionAdded,
    TextReceived,
)
from conversation.ports import JobUpdate, Outbox

log = logging.getLogger(__name__)

DEFAULT_MAX_DOWNLOAD = 100 * 1024 * 1024  # larger than any Discord upload without Nitro: a guard, not a rule


class Core(Protocol):
    async def handle(self, event: Event) -> None: ...
    async def on_job_update(self, update: JobUpdate) -> None: ...


CoreFactory = Callable[[Outbox], "Core | Awaitable[Core]"]


def intents() -> discord.Intents:
    # message_content (privileged: enable it in the developer portal) carries text and attachments
    wanted = discord.Intents.default()
    wanted.message_content = True
    return wanted


class MovieBot(discord.Client):
    def __init__(
        self,
        core_factory: CoreFactory,
        *,
        download_dir: Path,
        max_download_bytes: int = DEFAULT_MAX_DOWNLOAD,
        sync_commands: bool = True,
        listen: Literal["addressed", "all"] = "addressed",
        **client_options: Any,
    ) -> None:
        super().__init__(intents=intents(), **client_options)
        self.listen = listen
        self.tree = app_commands.CommandTree(self)
        self.outbox = DiscordOutbox(self)
        self.core: Core | None = None
        self._core_factory = core_factory
        self._download_dir = download_dir
        self._max_download = max_download_bytes
        self._sync_commands = sync_commands
        self._recovered = False
        self.tree.add_command(movie_commands(self))

    async def setup_hook(self) -> None:
        core = self._core_factory(self.outbox)
        self.core = await core if inspect.isawaitable(core) else core
        if self._sync_commands:
            await self.sync_commands()

    async def sync_commands(self) -> bool:
        """Register /movie with Discord, only when it differs from what Discord has: command
        writes are rate-limited per day, and a bot restarts far more often than its commands change."""
        wanted = sorted((c.to_dict(self.tree) for c in self.tree.get_commands()), key=lambda c: c["name"])
        current = await self.http.get_global_commands(self.application_id)  # type: ignore[arg-type]
        if _shape(wanted) == _shape(current):
            return False
        await self.tree.sync()
        return True

    async def on_ready(self) -> None:
        # once per process, after the gateway is up: resume (or report) movies a restart interrupted
        if self._recovered or self.core is None:
            return
        self._recovered = True
        recover = getattr(self.core, "recover", None)
        if recover is not None:
            result = recover()
            if inspect.isawaitable(result):
                await result

    # ---- the core ------------------------------------------------------------------------

    async def deliver(self, event: Event) -> None:
        """Hand one event to the core. The core reports its own errors to the chat; this only
        catches what escapes it, so one bad update never stops the bot."""
        assert self.core is not None, "setup_hook has not run"
        try:
            await self.core.handle(event)
        except Exception:
            ref = secrets.token_hex(2)
            log.exception("error ref %s handling %s in %s", ref, event.type, event.chat.key)
            try:
                await self.outbox.post(event.chat, texts.SOMETHING_WRONG.format(ref=ref))
            except Exception:
                log.exception("could not report error ref %s", ref)

    async def command(self, interaction: discord.Interaction, name: str, args: str = "") -> None:
        """A slash command: acknowledge now ("thinking…"), let the core answer through follow-ups."""
        acknowledged = await _acknowledge(interaction, thinking=True)
        if interaction.guild_id is not None:
            self.outbox.upload_limits[interaction.guild_id] = interaction.filesize_limit
        chat = await self._chat(interaction.channel, interaction.channel_id)
        user = translate.user_for(interaction.user, interaction.permissions)
        event = CommandReceived(
            chat=chat, user=user, event_id=str(interaction.id), name=name, args=args.strip()
        )
        # a late (expired) interaction has no placeholder to answer: replies go to the channel
        pending = PendingInteraction(
            interaction, channel_id=interaction.channel_id or 0, closed=not acknowledged
        )
        token = current_interaction.set(pending)
        try:
            await self.deliver(event)
        finally:
            current_interaction.reset(token)
            pending.closed = True
        if acknowledged and not pending.answered:
            # the core answered elsewhere (or not at all): don't leave "thinking…" hanging
            try:
                await interaction.delete_original_response()
            except discord.HTTPException:
                log.info("could not remove the deferred response of interaction %s", interaction.id)

    async def _chat(self, channel: object, channel_id: int | None) -> Any:
        return translate.chat_for(await self._resolve(channel, channel_id))

    async def _resolve(self, channel: object, channel_id: int | None) -> object:
        """The real channel object: a thread discord.py hasn't cached (archived, or from before a
        restart) arrives as a bare id, and only the fetched thread says whose it is."""
        if translate.needs_fetch(channel) and channel_id is not None:
            return await self.fetch_channel(channel_id)
        return channel

    # ---- gateway events ------------------------------------------------------------------

    def addressed(self, message: discord.Message, channel: object) -> bool:
        """Is this message meant for the bot? The Discord counterpart of Telegram's privacy mode:
        with the message-content intent the bot sees every message on the server, and answering
        chatter in #general would be spam. Meant for it: DMs, threads it opened (a movie's
        thread), messages that mention it and replies to its messages."""
        if self.listen == "all" or message.guild is None:
            return True
        me = self.user
        if me is None:
            return False
        if isinstance(channel, discord.Thread) and channel.owner_id == me.id:
            return True
        if any(u.id == me.id for u in message.mentions):
            return True
        resolved = message.reference.resolved if message.reference else None
        return isinstance(resolved, discord.Message) and resolved.author.id == me.id

    def _text(self, message: discord.Message) -> str:
        """The words without the @bot mention that addressed them."""
        if self.user is None:
            return message.content.strip()
        return re.sub(rf"<@!?{self.user.id}>", "", message.content).strip()

    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or message.type not in (discord.MessageType.default, discord.MessageType.reply):
            return
        if self.core is None:
            return
        channel = await self._resolve(message.channel, message.channel.id)
        if not self.addressed(message, channel):
            return
        chat = translate.chat_for(channel)
        user = translate.user_for(message.author)
        event_id = str(message.id)
        text = self._text(message)
        if message.attachments:
            files = [await self._download(message, a, i) for i, a in enumerate(message.attachments)]
            event: Event = MediaReceived(
                chat=chat, user=user, event_id=event_id, message_id=event_id, files=tuple(files),
                caption=text or None,
            )
        elif text:
            reply_to = message.reference.message_id if message.reference else None
            event = TextReceived(
                chat=chat,
                user=user,
                event_id=event_id,
                message_id=event_id,
                text=text,
                reply_to=str(reply_to) if reply_to else None,
            )
        else:
            return  # stickers, embeds only: nothing the core understands
        try:
            await self.deliver(event)
        finally:
            # the core has copied what it keeps into the media store by now: no second copy lingers
            shutil.rmtree(self._download_dir / str(message.id), ignore_errors=True)

    async def _download(
        self, message: discord.Message, attachment: discord.Attachment, index: int
    ) -> IncomingFile:
        name = attachment.filename
        mime = attachment.content_type
        if attachment.size > self._max_download:
            return IncomingFile(
                name=name, size_bytes=attachment.size, mime=mime, problem="too_large", limit_bytes=self._max_download,
                as_document=True,
            )  # fmt: skip
        folder = self._download_dir / str(message.id)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / translate.safe_filename(name, index)
        try:
            await attachment.save(path)
        except (discord.HTTPException, OSError) as e:
            log.warning("download of %s from message %s failed: %s", name, message.id, e)
            return IncomingFile(
                name=name, size_bytes=attachment.size, mime=mime, problem="download_failed", as_document=True
            )
        # Discord never recompresses attachments: every file arrives at full quality
        return IncomingFile(name=name, path=path, size_bytes=path.stat().st_size, mime=mime, as_document=True)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Buttons and selects (slash commands go through the tree)."""
        if interaction.type is not discord.InteractionType.component or self.core is None:
            return
        payload = translate.choice_payload(dict(interaction.data or {}))
        # acknowledge without a placeholder: the press is answered by ordinary messages
        await _acknowledge(interaction, thinking=False)
        if payload is None:
            return
        chat = await self._chat(interaction.channel, interaction.channel_id)
        user = translate.user_for(interaction.user, interaction.permissions)
        message_id = str(interaction.message.id) if interaction.message else None
        await self.deliver(
            ChoiceMade(
                chat=chat, user=user, event_id=str(interaction.id), payload=payload, message_id=message_id
            )
        )

    async def on_raw_reaction_add(self, event: discord.RawReactionActionEvent) -> None:
        await self._reaction(event, removed=False)

    async def on_raw_reaction_remove(self, event: discord.RawReactionActionEvent) -> None:
        await self._reaction(event, removed=True)

    async def _reaction(self, event: discord.RawReactionActionEvent, *, removed: bool) -> None:
        if self.core is None or (self.user is not None and event.user_id == self.user.id):
            return
        if self.user is not None and event.message_author_id not in (None, self.user.id):
            return  # a reaction to someone else's message: never a vote on a movie
        who = event.member or self.get_user(event.user_id)
        if who is None:
            try:
                who = await self.fetch_user(event.user_id)
            except discord.HTTPException:
                log.info("reaction from unknown user %s ignored", event.user_id)
                return
        if getattr(who, "bot", False):
            return
        channel = self.get_channel(event.channel_id)
        chat = await self._chat(channel, event.channel_id)
        kind = "remove" if removed else "add"
        await self.deliver(
            ReactionAdded(
                chat=chat, user=translate.user_for(who), event_id=f"{event.message_id}:{event.user_id}:{event.emoji}:{kind}",
                message_id=str(event.message_id), emoji=str(event.emoji), removed=removed,
            )
        )  # fmt: skip


async def _acknowledge(interaction: discord.Interaction, *, thinking: bool) -> bool:
    """Defer within Discord's 3 s. If we were too late (the process was stalled), Discord has
    already shown the user an error; the command itself still goes to the core, not lost."""
    try:
        await interaction.response.defer(thinking=thinking)
        return True
    except discord.NotFound:
        log.warning("interaction %s expired before it was acknowledged", interaction.id)
        return False


def _shape(commands: Any) -> list[tuple[str, str, list[tuple[str, str, list[str]]]]]:
    """What users see of a command list: names, descriptions, options (ids and versions ignored)."""
    out = []
    for c in sorted(commands, key=lambda c: c["name"]):
        options = [
            (o["name"], o.get("description", ""), sorted(p["name"] for p in o.get("options", [])))
            for o in sorted(c.get("options", []), key=lambda o: o["name"])
        ]
        out.append((c["name"], c.get("description", ""), options))
    return out


def movie_commands(bot: MovieBot) -> app_commands.Group:
    """`/movie new|make|status|versions|settings`: each one becomes a CommandReceived."""
    group = app_commands.Group(name="movie", description="Make a memory movie from photos, clips and a song")

    @group.command(
        name="new", description="Start a movie: opens a thread to drop photos, clips and a song into"
    )
    @app_commands.describe(title="What the movie is about, e.g. Lisbon trip")
    async def new(interaction: discord.Interaction, title: str = "") -> None:
        await bot.command(interaction, "new", title)

    @group.command(name="make", description="Make the movie (optionally say how)")
    @app_commands.describe(request="e.g. 40 seconds, upbeat, end on the sunset")
    async def make(interaction: discord.Interaction, request: str = "") -> None:
        await bot.command(interaction, "make", request)

    @group.command(name="status", description="Where the movie is")
    async def status(interaction: discord.Interaction) -> None:
        await bot.command(interaction, "status")

    @group.command(name="versions", description="Every version so far")
    async def versions(interaction: discord.Interaction) -> None:
        await bot.command(interaction, "versions")

    @group.command(
        name="settings", description="Show or change settings (duration 40, aspect vertical, style ...)"
    )
    @app_commands.describe(change="e.g. duration 40, aspect vertical, style nostalgic")
    async def settings(interaction: discord.Interaction, change: str = "") -> None:
        await bot.command(interaction, "settings", change)

    return group
