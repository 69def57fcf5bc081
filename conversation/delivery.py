"""Job updates -> chat: one progress message edited in place, the storyboard picture, the movie
with quick-action buttons, failures in words. Links what it posts so replies refine that version."""

from __future__ import annotations

import logging
from pathlib import Path

from conversation import texts
from conversation.actions import SendMovie, SendPicture, ShowProgress
from conversation.commands.guard import advance
from conversation.context import Ctx, buttons
from conversation.models import MessageLink, Version
from conversation.ports import JobUpdate, UploadTooLarge
from conversation.versions import describe_plan, what_changed

log = logging.getLogger("conversation.delivery")

STAGE_WORDS = {
    "queued": "queued",
    "materialise": "fetching your files",
    "intake": "reading files",
    "analysis": "looking at your media",
    "planning": "planning the cut",
    "storyboard": "planning the cut",
    "rendering": "rendering",
}


async def _fetch(ctx: Ctx, key: str) -> Path:
    dest = ctx.deps.settings.scratch_dir / (ctx.project.id if ctx.project else "misc")
    dest.mkdir(parents=True, exist_ok=True)
    return await ctx.deps.media.get(key, dest)


async def _link(ctx: Ctx, message_id: str | None, version: int, kind: str) -> None:
    if message_id and ctx.project:
        await ctx.store.link_message(
            MessageLink(chat_key=ctx.project.chat_key, message_id=message_id, project_id=ctx.project.id,
                        version=version, kind=kind)  # type: ignore[arg-type]
        )  # fmt: skip


async def on_update(ctx: Ctx, update: JobUpdate, version: Version) -> None:
    assert ctx.project is not None
    n = version.number
    key = f"{ctx.project.id}:v{n}"
    out = ctx.deps.outbox
    if update.kind == "progress":
        if update.stage == "rendering" and ctx.project.state in ("planning", "refining"):
            await advance(ctx, "rendering")
        words = STAGE_WORDS.get(update.stage, update.stage)
        pct = max(0, min(100, update.percent))
        await out.send(ShowProgress(chat=ctx.chat, key=key, stage=update.stage or "working", percent=pct,
                                    text=f"v{n}: {words}… {pct}%"))  # fmt: skip
    elif update.kind == "storyboard":
        if version.storyboard_key is None or version.plan is None:
            return
        path = await _fetch(ctx, version.storyboard_key)
        caption = f"Plan v{n}: {describe_plan(version.plan)}. Rendering…"
        mid = await out.send(SendPicture(chat=ctx.chat, path=path, caption=caption))
        await _link(ctx, mid, n, "storyboard")
    elif update.kind == "done":
        newer = ctx.project.current_version is not None and ctx.project.current_version > n
        if newer and version.parent is not None and version.parent < (ctx.project.current_version or 0):
            await advance(ctx, "done")  # a later version is already current: don't step back to this one
        else:
            await advance(ctx, "done", current_version=n, request=version.request)
        await out.send(ShowProgress(chat=ctx.chat, key=key, stage="done", percent=100, text=f"v{n}: done", done=True))
        await send_movie(ctx, version, fresh=True)
    elif update.kind == "failed":
        if version.status != "failed":
            await ctx.store.update_version(version.model_copy(update={"status": "failed", "error": update.message}))
        await advance(ctx, "failed")
        await out.send(ShowProgress(chat=ctx.chat, key=key, stage="failed", percent=0, text=f"v{n}: failed", done=True))
        reason = update.message or "the render failed"
        hint = " Say /make to try again." if ctx.project.current_version is None else f" v{ctx.project.current_version} is still here."
        await ctx.say(f"Sorry, I couldn't make v{n}: {reason}.{hint}".replace("..", "."))
    elif update.kind == "cancelled":
        await out.send(ShowProgress(chat=ctx.chat, key=key, stage="cancelled", percent=0,
                                    text=f"v{n}: stopped", done=True))  # fmt: skip


async def send_movie(ctx: Ctx, version: Version, *, fresh: bool) -> None:
    """Post a version's movie (after it's made, or again on /revert)."""
    assert ctx.project is not None
    if version.render_key is None:
        await ctx.say(f"v{version.number} has no movie ({version.status}).")
        return
    path = await _fetch(ctx, version.render_key)
    poster = await _fetch(ctx, version.poster_key) if version.poster_key else None
    caption = await caption_for(ctx, version, fresh=fresh)
    rows = buttons(texts.QUICK_ACTIONS[:4], texts.QUICK_ACTIONS[4:])
    movie = SendMovie(
        chat=ctx.chat,
        path=path,
        caption=caption,
        duration=version.duration or 0.0,
        width=version.width or 0,
        height=version.height or 0,
        poster=poster,
        size_bytes=version.size_bytes or 0,
        version=version.number,
        buttons=rows,
    )
    try:
        mid = await ctx.deps.outbox.send(movie)
    except UploadTooLarge as e:
        link = await ctx.deps.media.signed_url(version.render_key, 7 * 24 * 3600)
        too_big = f"v{version.number} is {texts.mb(e.size_bytes)}, over this chat's {texts.mb(e.limit_bytes)} limit."
        if link:
            mid = await ctx.say(f"{caption}\n{too_big} Watch or download it here: {link}", rows)
        else:
            await ctx.say(f"{too_big} Say “shorter” for a smaller movie.")
            return
    await _link(ctx, mid, version.number, "movie")


async def caption_for(ctx: Ctx, version: Version, *, fresh: bool) -> str:
    assert ctx.project is not None and version.plan is not None
    title = ctx.project.title
    if not fresh:
        return f"{title} v{version.number} (back to this version): {describe_plan(version.plan)}"
    parent = await ctx.store.get_version(ctx.project.id, version.parent) if version.parent else None
    if parent is None or parent.plan is None:
        return f"{title} v{version.number}: {describe_plan(version.plan)}. Reply in words to change it."
    records = await ctx.store.list_media(ctx.project.id, include_removed=True)
    changed = what_changed(parent.plan, version.plan, {r.media_id: r.item for r in records})
    asked = f" You asked: {version.summary}." if version.summary else ""
    return f"{title} v{version.number} (from v{parent.number}): {changed}.{asked}"
