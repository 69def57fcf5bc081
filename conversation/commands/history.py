"""/status, /versions, /revert, /undo, /cancel."""

from __future__ import annotations

import re

from conversation.commands.guard import advance, allowed, need_project
from conversation.commands.movie import refine, stop_running
from conversation.context import Ctx
from conversation.delivery import send_movie
from conversation.versions import count_kinds, in_flight, version_line


async def status(ctx: Ctx, args: str = "") -> None:
    if not await need_project(ctx):
        return
    assert ctx.project is not None and ctx.member is not None
    p = ctx.project
    records = await ctx.store.list_media(p.id)
    members = await ctx.store.list_members(p.id)
    versions = await ctx.store.list_versions(p.id)
    lines = [f"“{p.title}”: {p.state}{' (locked)' if p.locked else ''}."]
    lines.append(f"Files: {count_kinds([r.item.kind for r in records])}.")
    if len(members) > 1:
        people = ", ".join(f"{m.name or m.user_key} ({m.role})" for m in members)
        lines.append(f"Members: {people}.")
    else:
        lines.append(f"You are the {ctx.member.role}.")
    for v in in_flight(versions):
        job = await ctx.store.get_job(f"{p.id}:v{v.number}:{'refine' if v.parent else 'make'}")
        pct = f" {job.progress}%" if job and job.progress else ""
        lines.append(f"Making v{v.number}: {v.status}{pct}.")
    if p.current_version is not None:
        lines.append(f"Current movie: v{p.current_version} of {len(versions)}.")
    r = p.request
    lines.append(
        f"Next movie: {f'{r.duration:g} s' if r.duration else 'length from the song'}, {r.aspect}, mood {r.mood}."
    )
    await ctx.say("\n".join(lines))


async def versions(ctx: Ctx, args: str = "") -> None:
    if not await need_project(ctx):
        return
    assert ctx.project is not None
    vs = await ctx.store.list_versions(ctx.project.id)
    if not vs:
        await ctx.say("No versions yet. Send files and /make.")
        return
    await ctx.say("\n".join(version_line(v, ctx.project.current_version) for v in vs))


def _number(args: str) -> int | None:
    m = re.search(r"\d+", args)
    return int(m.group()) if m else None


async def revert(ctx: Ctx, args: str) -> None:
    if not await allowed(ctx, "edit"):
        return
    assert ctx.project is not None
    n = _number(args)
    if n is None:
        await ctx.say("Which version? For example /revert 2 (see /versions).")
        return
    rest = re.sub(r"^\D*\d+\s*(?:,|but|and|then|with)?\s*", "", args.strip(), flags=re.IGNORECASE)
    v = await ctx.store.get_version(ctx.project.id, n)
    if v is None or v.status != "ready":
        what = "doesn't exist" if v is None else f"is {v.status}"
        await ctx.say(f"v{n} {what}. /versions lists the ones you can go back to.")
        return
    if rest:
        await refine(ctx, rest, parent_number=n)
        return
    await advance(ctx, "revert", current_version=n, request=v.request)
    await send_movie(ctx, v, fresh=False)


async def undo(ctx: Ctx, args: str = "") -> None:
    if not await allowed(ctx, "edit"):
        return
    assert ctx.project is not None
    running = in_flight(await ctx.store.list_versions(ctx.project.id))
    if running:
        await cancel(ctx, "")
        return
    if ctx.project.current_version is None:
        await ctx.say("Nothing to undo yet.")
        return
    current = await ctx.store.get_version(ctx.project.id, ctx.project.current_version)
    if current is None or current.parent is None:
        await ctx.say(f"Nothing to undo: v{ctx.project.current_version} is the first version.")
        return
    await revert(ctx, str(current.parent))


async def cancel(ctx: Ctx, args: str = "") -> None:
    if not await allowed(ctx, "edit"):
        return
    assert ctx.project is not None
    running = in_flight(await ctx.store.list_versions(ctx.project.id))
    if not running:
        await ctx.say("Nothing is being made right now.")
        return
    await stop_running(ctx, running, f"cancelled by {ctx.name}")
    await advance(ctx, "cancelled")
    keep = f" v{ctx.project.current_version} is still the current movie." if ctx.project.current_version else ""
    await ctx.say(f"Stopped v{', v'.join(str(v.number) for v in running)}.{keep}")


