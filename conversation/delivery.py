"""Job updates -> chat: one progress message edited in place, the storyboard picture, the movie
with quick-action buttons, failures in words. Links what it posts so replies refine that version."""

from __future__ import annotations

import logging
from functools import partial
from pathlib import Path
from typing import Any, Literal

from conversation import texts
from conversation.actions import SendMovie, SendPicture, ShowProgress
from conversation.commands.guard import advance
from conversation.context import Ctx, buttons
from conversation.fit import (
    can_fit,
    fit_job_id,
    fit_key,
    fit_limit,
    fit_target,
    fit_target_of,
    longest_fitting,
    shareable,
)
from conversation.models import MessageLink, Project, Version
from conversation.ports import JobRequest, JobUpdate, UploadTooLarge
from conversation.versions import describe_plan, what_changed

log = logging.getLogger("conversation.delivery")

CAPTION_ROOM = 1000  # Telegram cuts captions at 1024 characters (Discord at 2000)

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


async def _link(ctx: Ctx, message_id: str | None, version: int, kind: Literal["movie", "storyboard"]) -> None:
    if message_id and ctx.project:
        await ctx.store.link_message(
            MessageLink(chat_key=ctx.project.chat_key, message_id=message_id, project_id=ctx.project.id,
                        version=version, kind=kind)
        )  # fmt: skip


async def on_update(ctx: Ctx, update: JobUpdate, version: Version) -> None:
    assert ctx.project is not None
    target = fit_target_of(update.job_id)
    if target is not None:  # the smaller copy of a finished movie: the version itself is unchanged
        await _on_fit_update(ctx, update, version, target)
        return
    n = version.number
    key = f"{ctx.project.id}:v{n}"
    out = ctx.deps.outbox
    # the progress message this version already has (a storyboard update doesn't touch it)
    shown = await ctx.store.find_progress(ctx.project.id, n) if update.kind != "storyboard" else None
    progress = partial(ShowProgress, chat=ctx.chat, key=key, message_id=shown.message_id if shown else None)
    if update.kind == "progress":
        if update.stage == "rendering" and ctx.project.state in ("planning", "refining"):
            await advance(ctx, "rendering")
        words = STAGE_WORDS.get(update.stage, update.stage)
        pct = max(0, min(100, update.percent))
        await out.send(progress(stage=update.stage or "working", percent=pct, text=f"v{n}: {words}… {pct}%"))
    elif update.kind == "storyboard":
        if version.storyboard_key is None or version.plan is None:
            return
        path = await _fetch(ctx, version.storyboard_key)
        caption = f"Plan v{n}: {describe_plan(version.plan)}. Rendering…"
        mid = await out.send(SendPicture(chat=ctx.chat, path=path, caption=caption))
        await _link(ctx, mid, n, "storyboard")
    elif update.kind == "done":
        def adopt(project: Project) -> dict[str, Any]:
            # decided on the project as written, not as first read: a later version may have become
            # current meanwhile (in another process too), and this one must not step back over it
            current = project.current_version
            if current is not None and current > n and version.parent is not None and version.parent < current:
                return {}
            return {"current_version": n, "request": version.request}

        await advance(ctx, "done", changes_for=adopt)
        await out.send(progress(stage="done", percent=100, text=f"v{n}: done", done=True))
        await send_movie(ctx, version, fresh=True)
    elif update.kind == "failed":
        if version.status != "failed":
            await ctx.store.update_version(version.model_copy(update={"status": "failed", "error": update.message}))
        await advance(ctx, "failed")
        await out.send(progress(stage="failed", percent=0, text=f"v{n}: failed", done=True))
        reason = update.message or "the render failed"
        hint = " Say /make to try again." if ctx.project.current_version is None else f" v{ctx.project.current_version} is still here."
        await ctx.say(f"Sorry, I couldn't make v{n}: {reason}.{hint}".replace("..", "."))
    elif update.kind == "cancelled":
        await out.send(progress(stage="cancelled", percent=0, text=f"v{n}: stopped", done=True))


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
        reply_to=ctx.reply_for(version),  # answers the message that asked for it
    )
    try:
        mid = await ctx.deps.outbox.send(movie)
    except UploadTooLarge as e:
        await _too_large(ctx, version, e.size_bytes, e.limit_bytes, caption)
        return
    await _link(ctx, mid, version.number, "movie")


# ---------------------------------------------------------------------- over the upload limit


async def _too_large(ctx: Ctx, version: Version, size: int, limit: int, caption: str) -> None:
    """The movie is over this chat's upload limit: send the smaller copy made for this limit,
    or have one made (same plan, same version), or say plainly why none can fit."""
    assert ctx.project is not None
    n, target = version.number, fit_target(limit)
    if await ctx.deps.media.exists(fit_key(ctx.project.id, n, target)):
        await _send_fit(ctx, version, target, caption)
        return
    if not can_fit(version.duration or 0.0, target):
        await _cannot_fit(ctx, version, target, size)
        return
    await ctx.deps.outbox.send(ShowProgress(
        chat=ctx.chat, key=_fit_progress_key(ctx, n), stage="queued", percent=0,
        text=f"v{n} is {texts.mb(size)}, over this chat's {texts.mb(limit)} limit: making a smaller copy… 0%",
    ))  # fmt: skip
    # refused when that copy is already queued or being made: its progress message is above
    await ctx.deps.queue.enqueue(
        JobRequest(job_id=fit_job_id(ctx.project.id, n, target), kind="make", project_id=ctx.project.id,
                   version=n, parent_version=version.parent, chat_key=ctx.project.chat_key,
                   draft=ctx.deps.settings.draft_renders, target_size_bytes=target)
    )  # fmt: skip


def _fit_progress_key(ctx: Ctx, n: int) -> str:
    assert ctx.project is not None
    return f"{ctx.project.id}:v{n}:fit"


async def _on_fit_update(ctx: Ctx, update: JobUpdate, version: Version, target: int) -> None:
    n, out = version.number, ctx.deps.outbox
    key = _fit_progress_key(ctx, n)
    if update.kind == "progress":
        pct = max(0, min(100, update.percent))
        await out.send(ShowProgress(chat=ctx.chat, key=key, stage=update.stage or "rendering", percent=pct,
                                    text=f"v{n}: making a smaller copy… {pct}%"))  # fmt: skip
    elif update.kind == "done":
        await out.send(ShowProgress(chat=ctx.chat, key=key, stage="done", percent=100,
                                    text=f"v{n}: smaller copy ready", done=True))  # fmt: skip
        await _send_fit(ctx, version, target)
    elif update.kind == "failed":
        await out.send(ShowProgress(chat=ctx.chat, key=key, stage="failed", percent=0,
                                    text=f"v{n}: smaller copy failed", done=True))  # fmt: skip
        reason = (update.message or "the render failed").rstrip(".")
        await ctx.say(f"Sorry, I couldn't make a smaller copy of v{n}: {reason}.{await _full_link(ctx, version)}"
                      " Say “shorter” for a movie that fits.")  # fmt: skip
    elif update.kind == "cancelled":
        await out.send(ShowProgress(chat=ctx.chat, key=key, stage="cancelled", percent=0,
                                    text=f"v{n}: smaller copy stopped", done=True))  # fmt: skip


async def _send_fit(ctx: Ctx, version: Version, target: int, caption: str | None = None) -> None:
    """Post the smaller copy with the movie's caption, buttons and message link."""
    assert ctx.project is not None
    key, limit = fit_key(ctx.project.id, version.number, target), fit_limit(target)
    try:
        path = await _fetch(ctx, key)
    except FileNotFoundError:  # deleted meanwhile (or a resumed job that made none)
        await _cannot_fit(ctx, version, target, version.size_bytes or 0)
        return
    size = path.stat().st_size
    if size > limit:  # the renderer's floor was still too big
        await _cannot_fit(ctx, version, target, size, copy=True)
        return
    poster = await _fetch(ctx, version.poster_key) if version.poster_key else None
    note = f"A smaller copy ({texts.mb(size)}) to fit this chat's {texts.mb(limit)} upload limit."
    caption = caption or await caption_for(ctx, version, fresh=True)
    tail = f"\n{note}{await _full_link(ctx, version)}"
    if len(caption) + len(tail) > CAPTION_ROOM:  # platforms cut long captions at the end: keep the link
        caption = caption[: max(0, CAPTION_ROOM - len(tail) - 1)].rstrip() + "…"
    caption += tail
    movie = SendMovie(chat=ctx.chat, path=path, caption=caption, duration=version.duration or 0.0,
                      width=version.width or 0, height=version.height or 0, poster=poster, size_bytes=size,
                      version=version.number, buttons=buttons(texts.QUICK_ACTIONS[:4], texts.QUICK_ACTIONS[4:]),
                      reply_to=ctx.reply_for(version))  # fmt: skip
    try:
        mid = await ctx.deps.outbox.send(movie)
    except UploadTooLarge:
        await _cannot_fit(ctx, version, target, size, copy=True)
        return
    await _link(ctx, mid, version.number, "movie")


async def _cannot_fit(ctx: Ctx, version: Version, target: int, size: int, *, copy: bool = False) -> None:
    """`copy`: `size` is that of a smaller copy that came out too big (not the full movie)."""
    n, limit, duration = version.number, fit_limit(target), version.duration or 0.0
    seconds = longest_fitting(target)
    if copy and size > 0:  # the renderer's real floor for this movie beats the estimate
        seconds = min(seconds, int(duration * target / size))
    shorter = f" or /settings duration {seconds}" if 5 <= seconds < duration else ""
    await ctx.say(
        f"v{n} is {texts.mb(size)}, over this chat's {texts.mb(limit)} upload limit, and even a smaller "
        f"copy of a {texts.seconds(duration)} movie can't fit."
        f"{await _full_link(ctx, version)} Say “shorter”{shorter} for one I can send here."
    )


async def _full_link(ctx: Ctx, version: Version) -> str:
    """' Full quality: <link>' when the media store gives a link others can open (never file://)."""
    if version.render_key is None:
        return ""
    link = shareable(await ctx.deps.media.signed_url(version.render_key, 7 * 24 * 3600))
    return f" Full quality: {link}" if link else ""


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
