"""The conversation core: every chat front end feeds it events and it answers with actions.

One `handle(event)` for everything users do and one `on_job_update(update)` for what running
jobs report. Work on one project is serialised by an asyncio lock per chat (in this process) and
by the store's revision check / unique version numbers (across processes); redelivered platform
updates are dropped by event id. State lives in the store, so `recover()` after a restart finds
movies that were mid-way and resumes or reports them.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable

from conversation import texts
from conversation.commands import choices, group, history, media, movie, project
from conversation.commands.guard import advance
from conversation.context import Ctx, Deps, chat_from_key
from conversation.delivery import on_update
from conversation.events import (
    ChatRef,
    ChoiceMade,
    CommandReceived,
    Event,
    MediaReceived,
    MemberJoined,
    MemberLeft,
    ReactionAdded,
    TextReceived,
    UserRef,
)
from conversation.intent import WITHDRAW, route
from conversation.models import Member
from conversation.ports import Clock, JobQueue, JobRequest, JobUpdate, MediaStore, Outbox, ProjectStore
from conversation.roles import joining_role
from conversation.settings import CoreSettings
from conversation.versions import IN_FLIGHT
from pipeline.errors import UserFacingError

log = logging.getLogger("conversation.core")

Handler = Callable[[Ctx, str], Awaitable[object]]  # some return whether they acted


async def _remove(ctx: Ctx, args: str) -> None:
    if WITHDRAW.search(f"remove {args}") or args.strip().lower() in ("mine", "my files", "my photos"):
        await media.withdraw(ctx)
    elif not args.strip():
        await ctx.say("Remove what? For example /remove IMG_07, /remove the 3rd shot, /remove my photos.")
    elif ctx.project is not None:
        await movie.adjust_or_refine(ctx, f"drop {args}")


async def _keep(ctx: Ctx, args: str) -> None:
    if not args.strip():
        await ctx.say("Keep what? For example /keep IMG_07 (I'll use it even if it's blurry).")
    elif ctx.project is not None:
        await movie.adjust_or_refine(ctx, f"keep {args}")


async def _add(ctx: Ctx, args: str) -> None:
    await ctx.say("Send the photos, clips and song here (as files for full quality).")


async def _start(ctx: Ctx, args: str) -> None:
    await ctx.say(texts.HELP if ctx.project else "Hi! " + texts.NO_PROJECT)


COMMANDS: dict[str, Handler] = {
    "new": project.new, "start": _start, "help": project.help_,
    "add": _add, "remove": _remove, "drop": _remove, "keep": _keep, "withdraw": media.withdraw,
    "make": movie.make, "go": movie.make, "refine": movie.refine,
    "status": history.status, "versions": history.versions, "history": history.versions,
    "revert": history.revert, "back": history.revert, "undo": history.undo,
    "cancel": history.cancel, "stop": history.cancel,
    "settings": project.settings, "set": project.settings,
    "delete": project.delete, "lock": project.lock, "unlock": project.unlock,
    "handover": project.handover, "role": project.role, "members": project.members,
    "vote": group.open_vote, "comment": group.comment, "comments": group.comments,
}  # fmt: skip

BOT = UserRef(platform="system", user_id="bot", name="bot")


class ConversationCore:
    def __init__(
        self,
        store: ProjectStore,
        media: MediaStore,
        queue: JobQueue,
        outbox: Outbox,
        pipeline: object,
        clock: Clock,
        settings: CoreSettings | None = None,
    ) -> None:
        self.deps = Deps(store, media, queue, outbox, pipeline, clock, settings or CoreSettings())
        self._locks: dict[str, asyncio.Lock] = {}
        self._seq: dict[str, int] = {}

    def _lock(self, chat_key: str) -> asyncio.Lock:
        lock = self._locks.get(chat_key)
        if lock is None:
            lock = self._locks[chat_key] = asyncio.Lock()
        return lock

    # ------------------------------------------------------------------ events in

    async def handle(self, event: Event) -> None:
        store = self.deps.store
        if event.event_id and not await store.mark_event_seen(f"{event.chat.key}#{event.event_id}"):
            return  # a redelivered update: applied once already
        async with self._lock(event.chat.key):
            ctx = await self._context(event.chat, event.user, getattr(event, "reply_to", None))
            ctx.source = event.message_id if not isinstance(event, ReactionAdded) else None
            await self._guarded(ctx, self._dispatch(ctx, event))

    async def _guarded(self, ctx: Ctx, work: Awaitable[None]) -> None:
        try:
            await work
        except UserFacingError as e:
            await ctx.say(e.message)
        except Exception:
            ref = secrets.token_hex(2)
            log.exception("error ref %s in chat %s", ref, ctx.chat.key)
            try:
                await ctx.say(texts.SOMETHING_WRONG.format(ref=ref))
            except Exception:
                log.exception("could not report error ref %s", ref)

    async def _context(self, chat: ChatRef, user: UserRef, reply_to: str | None) -> Ctx:
        store = self.deps.store
        ctx = Ctx(self.deps, chat, user, reply_to=reply_to)
        ctx.project = await store.project_for_chat(chat.key)
        if ctx.project is not None:
            ctx.member = await store.get_member(ctx.project.id, user.key)
            if ctx.member is None:
                role = joining_role(ctx.project, self.deps.settings.default_role,
                                    chat_admin=chat.is_group and user.is_chat_admin)  # fmt: skip
                ctx.member = Member(project_id=ctx.project.id, user_key=user.key, name=ctx.name, role=role,
                                    joined_at=self.deps.clock.now())  # fmt: skip
                await store.put_member(ctx.member)
        return ctx

    async def _dispatch(self, ctx: Ctx, event: Event) -> None:
        match event:
            case CommandReceived(name=name, args=args):
                await self._command(ctx, name, args)
            case TextReceived(text=text, reply_to=reply_to):
                if text.startswith("/"):
                    name, _, args = text[1:].partition(" ")
                    await self._command(ctx, name.split("@")[0], args)
                else:
                    await route(ctx, text, reply_to)
            case MediaReceived(files=files, caption=caption):
                if ctx.project is None:
                    if ctx.chat.is_group and not files:
                        return
                    await project.create(ctx, "Memory movie")
                await media.receive(ctx, files)
                if caption and caption.strip():
                    await route(ctx, caption, None)
            case ChoiceMade(payload=payload, message_id=message_id):
                await self._choice(ctx, payload, message_id)
            case ReactionAdded(message_id=message_id, emoji=emoji, removed=removed):
                if ctx.project is not None and not removed:
                    link = await self.deps.store.find_message(ctx.chat.key, message_id)
                    if link is not None and link.project_id == ctx.project.id:
                        await group.reaction(ctx, link, emoji)
            case MemberJoined(added_bot=added_bot):
                if ctx.project is not None and ctx.member is not None and not added_bot:
                    role = {"owner": "the owner", "editor": "an editor", "viewer": "a viewer"}[ctx.member.role]
                    await ctx.say(f"Welcome {ctx.name}! You're {role} on “{ctx.project.title}”.")
                elif added_bot:
                    await project.bot_added(ctx)
            case MemberLeft():
                await self._left(ctx)

    async def _command(self, ctx: Ctx, name: str, args: str) -> None:
        handler = COMMANDS.get(name.lower())
        if handler is None:
            await ctx.say(f"I don't know /{name}. /help lists what I understand.")
            return
        if ctx.project is None and name.lower() not in ("new", "start", "help"):
            await ctx.say(texts.NO_PROJECT)
            return
        await handler(ctx, args)

    async def _choice(self, ctx: Ctx, payload: str, message_id: str | None) -> None:
        kind, _, rest = payload.partition(":")
        if kind == "say":
            await route(ctx, rest, message_id)
        elif kind == "cmd":
            name, _, args = rest.partition(" ")
            await self._command(ctx, name, args)
        elif kind == "vote" and ctx.project is not None:
            ballot, _, n = rest.rpartition(":")
            if n.isdigit():
                await group.cast(ctx, ballot, int(n))
        elif kind == "set" and ctx.project is not None:
            await choices.press(ctx, rest)
        elif kind == "confirm" and rest.startswith("delete:"):
            await project.confirm_delete(ctx, rest.removeprefix("delete:"))

    async def _left(self, ctx: Ctx) -> None:
        if ctx.project is None or ctx.member is None:
            return
        store = self.deps.store
        await store.remove_member(ctx.project.id, ctx.member.user_key)
        if ctx.member.role == "owner":
            rest = sorted(await store.list_members(ctx.project.id), key=lambda m: (m.role != "editor", m.joined_at))
            if rest:
                heir = rest[0]
                await store.put_member(heir.model_copy(update={"role": "owner"}))
                await ctx.update_project(owner_key=heir.user_key)
                await ctx.say(f"{ctx.name} left; {heir.name or heir.user_key} is the owner now.")

    # ------------------------------------------------------------------ jobs reporting back

    async def on_job_update(self, update: JobUpdate) -> None:
        if update.seq:
            last = self._seq.get(update.job_id, 0)
            if update.seq <= last:
                return  # a duplicate after a retry
            self._seq[update.job_id] = update.seq
        store = self.deps.store
        found = await store.get_project(update.project_id)
        if found is None or update.version is None:
            return
        if update.kind == "cancelled":
            # no lock: a cancel is reported while /cancel (holding the lock) waits for the job to stop
            await self._job_update(update)
            return
        async with self._lock(found.chat_key):
            await self._job_update(update)

    async def _job_update(self, update: JobUpdate) -> None:
        store = self.deps.store
        if update.version is not None:
            proj = await store.get_project(update.project_id)
            version = await store.get_version(update.project_id, update.version)
            if proj is None or version is None:
                return
            if version.status == "cancelled" and update.kind != "cancelled":
                return  # replaced or stopped: its late reports would only confuse
            ctx = Ctx(self.deps, chat_from_key(proj.chat_key), BOT, proj)
            await self._guarded(ctx, on_update(ctx, update, version))

    # ------------------------------------------------------------------ restart

    async def recover(self) -> int:
        """After a restart: resume (or report) every movie that was mid-way. Returns how many."""
        store, count = self.deps.store, 0
        jobs = [j for status in ("queued", "processing") for j in await store.list_jobs(status=status)]
        for job in jobs:
            if job.kind not in ("make", "refine") or job.version is None:
                continue
            proj = await store.get_project(job.project_id)
            version = await store.get_version(job.project_id, job.version) if proj else None
            if proj is None or version is None or version.status not in IN_FLIGHT:
                continue
            count += 1
            async with self._lock(proj.chat_key):
                ctx = Ctx(self.deps, chat_from_key(proj.chat_key), BOT, proj)
                await self._guarded(ctx, self._recover_one(ctx, job.id, job.kind, version.number, version.parent))
        return count

    async def _recover_one(self, ctx: Ctx, job_id: str, kind: str, number: int, parent: int | None) -> None:
        assert ctx.project is not None
        store = self.deps.store
        if self.deps.settings.resume_on_restart:
            await self.deps.queue.enqueue(
                JobRequest(job_id=job_id, kind="refine" if kind == "refine" else "make", project_id=ctx.project.id,
                           version=number, parent_version=parent, chat_key=ctx.project.chat_key,
                           draft=self.deps.settings.draft_renders)
            )  # fmt: skip
            await ctx.say(f"I was restarted while making v{number}: picking it up again.")
            return
        version = await store.get_version(ctx.project.id, number)
        if version is not None:
            await store.update_version(version.model_copy(update={"status": "failed", "error": "interrupted"}))
        job = await store.get_job(job_id)
        if job is not None:
            await store.put_job(job.model_copy(update={"status": "failed", "error": "interrupted"}))
        await advance(ctx, "failed")
        await ctx.say(f"I was restarted while making v{number} and couldn't finish it. Say /make to try again.")


