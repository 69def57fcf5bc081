"""Files in (intake, credit, caps, every rejected file named) and out ("remove my photos")."""

from __future__ import annotations

import logging

from conversation import texts
from conversation.actions import ShowActivity
from conversation.commands.guard import advance, allowed
from conversation.context import Ctx
from conversation.events import IncomingFile
from conversation.limits import upload_allowance
from conversation.models import MediaRecord
from conversation.ports import JobRequest
from conversation.versions import count_kinds
from pipeline.models import MediaKind

log = logging.getLogger("conversation.media")


def _problem(f: IncomingFile) -> str:
    if f.problem == "too_large":
        limit = f" (the limit here is {texts.mb(f.limit_bytes)})" if f.limit_bytes else ""
        size = f" is {texts.mb(f.size_bytes)}," if f.size_bytes else " is"
        kind = "clip" if (f.mime or "").startswith("video") else "file"
        return (
            f"{f.name}{size} too large for me to download{limit}: send a shorter {kind} or a compressed version"
        )
    return f"I couldn't download {f.name}: please send it again"


async def receive(ctx: Ctx, files: tuple[IncomingFile, ...]) -> None:
    if not await allowed(ctx, "contribute"):
        return
    assert ctx.project is not None
    project = ctx.project
    skipped: list[str] = []
    wanted: list[IncomingFile] = []
    allowance = upload_allowance(ctx.deps.settings, await ctx.store.list_media(project.id), ctx.user.key)
    files_left, bytes_left = allowance.files, allowance.bytes
    for f in files:
        if f.problem is not None or f.path is None:
            skipped.append(_problem(f))
            continue
        size = f.size_bytes if f.size_bytes is not None else (f.path.stat().st_size if f.path.exists() else 0)
        if files_left <= 0:
            skipped.append(f"{f.name}: {allowance.reason_files}")
            continue
        if size > bytes_left:
            skipped.append(f"{f.name}: {allowance.reason_bytes}")
            continue
        files_left -= 1
        bytes_left -= size
        wanted.append(f)
    kinds: list[MediaKind] = []
    compressed = 0  # photos the platform recompressed (sent "as photos", not as files)
    again = 0
    if wanted:
        await ctx.deps.outbox.send(ShowActivity(chat=ctx.chat, kind="typing"))  # intake can take a moment
        report = await ctx.deps.pipeline.intake([f.path for f in wanted])
        given = {f.path.name: f.name for f in wanted if f.path is not None}
        sent = {**{f.name: f for f in wanted}, **{f.path.name: f for f in wanted if f.path is not None}}
        for r in report.rejected:
            shown = given.get(r.name, r.name)
            skipped.append(r.reason.replace(r.name, shown) if shown not in r.reason else r.reason)
        now = ctx.deps.clock.now()
        for item in report.accepted:
            name = given.get(item.path.name) or given.get(item.original_name) or item.original_name
            item = item.model_copy(update={"original_name": name})
            key = f"{project.id}/{item.id}{item.path.suffix}"
            await ctx.deps.media.put(key, item.path, item.mime)
            added = await ctx.store.add_media(
                MediaRecord(project_id=project.id, media_id=item.id, item=item, storage_key=key,
                            contributor_key=ctx.user.key, contributor_name=ctx.name, added_at=now)
            )  # fmt: skip
            if added:
                kinds.append(item.kind)
                src = sent.get(item.path.name) or sent.get(item.original_name)
                compressed += item.kind == MediaKind.PHOTO and src is not None and not src.as_document
            else:
                again += 1
    if kinds:
        await advance(ctx, "media_added")
    parts = [f"Got {count_kinds(kinds)}" if kinds else "Nothing new added"]
    if again:
        parts.append(f"{texts.plural(again, 'file')} I already had")
    text = ", ".join(parts)
    if skipped:
        text += f" ({len(skipped)} skipped: " + "; ".join(r.rstrip(" .") for r in skipped) + ")"
    text += "."
    if kinds and ctx.project.current_version is None:
        text += " Tell me what you'd like (“40 seconds, upbeat, end on the sunset”) or /make."
    elif kinds:
        text += " Say /make to re-cut with them, or describe a change."
    # once per person and project (the store's seen-keys remember it across restarts)
    if compressed and await ctx.store.mark_event_seen(f"hint:full-quality:{project.id}:{ctx.user.key}"):
        text += "\n" + texts.FULL_QUALITY_HINT
    await ctx.say(text)
    if kinds and ctx.deps.settings.analyse_on_upload:
        n = len(await ctx.store.list_media(project.id))
        await ctx.deps.queue.enqueue(
            JobRequest(job_id=f"{project.id}:analyse:{n}", kind="analyse", project_id=project.id,
                       chat_key=project.chat_key)
        )  # fmt: skip


async def withdraw(ctx: Ctx, args: str = "") -> None:
    """Anyone takes back everything they sent, at any time: the files are deleted, not hidden."""
    if not await allowed(ctx, "withdraw"):
        return
    assert ctx.project is not None
    mine = [r for r in await ctx.store.list_media(ctx.project.id, include_removed=True) if r.contributor_key == ctx.user.key]
    if not mine:
        await ctx.say("You haven't sent any files to this project.")
        return
    await ctx.store.delete_media(ctx.project.id, [r.media_id for r in mine])
    await ctx.deps.media.delete([r.storage_key for r in mine])
    kinds = count_kinds([r.item.kind for r in mine])
    left = await ctx.store.list_media(ctx.project.id)
    if not any(r.item.kind != MediaKind.MUSIC for r in left):
        await advance(ctx, "media_emptied")
    later = " They won't be in the next version; /make re-cuts without them." if ctx.project.current_version else ""
    await ctx.say(f"Removed your {kinds} from “{ctx.project.title}”.{later}")
