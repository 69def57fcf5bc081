"""Projects and people: /new, /delete, /lock, /unlock, /handover, /role, /settings, /help, /members."""

from __future__ import annotations

import re
import uuid

from conversation import texts
from conversation.actions import StartThread
from conversation.commands.guard import allowed, need_project
from conversation.commands.movie import stop_running
from conversation.context import Ctx, buttons
from conversation.models import Member, Project, Role
from conversation.versions import in_flight


async def create(ctx: Ctx, title: str) -> Project:
    now = ctx.deps.clock.now()
    project = Project(
        id=uuid.uuid4().hex[:12],
        title=(title.strip() or "Memory movie")[:80],
        chat_key=ctx.chat.key,
        owner_key=ctx.user.key,
        default_role=ctx.deps.settings.default_role,
        created_at=now,
        updated_at=now,
    )
    await ctx.store.create_project(project)
    await ctx.store.bind_chat(ctx.chat.key, project.id)
    member = Member(project_id=project.id, user_key=ctx.user.key, name=ctx.name, role="owner", joined_at=now)
    await ctx.store.put_member(member)
    ctx.project, ctx.member = project, member
    return project


async def new(ctx: Ctx, args: str) -> None:
    if ctx.project is not None:
        if await _empty_and_mine(ctx) and args.strip():
            # the project made when the bot joined the group: /new just names it
            await ctx.update_project(title=args.strip()[:80])
            await ctx.say(texts.STARTED.format(title=ctx.project.title))
            return
        await ctx.say(texts.ALREADY.format(title=ctx.project.title))
        return
    mine = await ctx.store.projects_of_user(ctx.user.key)
    cap = ctx.deps.settings.max_projects_per_user
    if cap and len(mine) >= cap:
        await ctx.say(f"You have {len(mine)} projects, the limit. /delete one first.")
        return
    if ctx.chat.is_group and ctx.chat.thread_id is None:
        # where the platform has threads (Discord) each project gets its own; others return None
        thread = await ctx.deps.outbox.send(StartThread(chat=ctx.chat, title=(args.strip() or "Memory movie")[:80]))
        if thread:
            ctx.chat = ctx.chat.model_copy(update={"thread_id": thread})
            ctx.project = await ctx.store.project_for_chat(ctx.chat.key)
            if ctx.project is not None:
                await ctx.say(texts.ALREADY.format(title=ctx.project.title))
                return
    project = await create(ctx, args)
    await ctx.say(texts.STARTED.format(title=project.title))


async def _empty_and_mine(ctx: Ctx) -> bool:
    assert ctx.project is not None
    return (
        ctx.project.owner_key == ctx.user.key
        and not await ctx.store.list_versions(ctx.project.id)
        and not await ctx.store.list_media(ctx.project.id, include_removed=True)
    )


async def bot_added(ctx: Ctx) -> None:
    """The bot was added to a group: whoever added it (a chat admin) owns the chat's project."""
    if ctx.project is not None:
        return
    await create(ctx, "Memory movie")
    await ctx.say(
        f"Hi! I turn your photos, clips and a song into a memory movie. {ctx.name} owns this project; "
        "everyone else here can add files and edit. Send files, then tell me what you'd like. "
        "(/new <title> names it, /help shows more.)"
    )


async def delete(ctx: Ctx, args: str) -> None:
    if not await allowed(ctx, "manage"):
        return
    assert ctx.project is not None
    await ctx.say(
        texts.CONFIRM_DELETE.format(title=ctx.project.title),
        buttons((("Delete it", f"confirm:delete:{ctx.project.id}"), ("Keep it", "cmd:status"))),
    )


async def confirm_delete(ctx: Ctx, project_id: str) -> None:
    if not await allowed(ctx, "manage"):
        return
    assert ctx.project is not None
    if ctx.project.id != project_id:
        await ctx.say("That project is already gone.")
        return
    await stop_running(ctx, in_flight(await ctx.store.list_versions(project_id)), "project deleted")
    await ctx.deps.media.delete_prefix(f"{project_id}/")
    await ctx.store.delete_project(project_id)
    title = ctx.project.title
    ctx.project = ctx.member = None
    await ctx.say(texts.DELETED.format(title=title))


async def lock(ctx: Ctx, args: str) -> None:
    if not await allowed(ctx, "manage"):
        return
    await ctx.update_project(locked=True)
    await ctx.say("Locked: only you can change the cut now; newcomers join as viewers. /unlock to open it again.")


async def unlock(ctx: Ctx, args: str) -> None:
    if not await allowed(ctx, "manage"):
        return
    await ctx.update_project(locked=False)
    await ctx.say("Unlocked: editors can change the cut again.")


async def _find_member(ctx: Ctx, who: str) -> Member | None:
    assert ctx.project is not None
    who = who.strip().lstrip("@").lower()
    for m in await ctx.store.list_members(ctx.project.id):
        if who and (m.name.lower() == who or m.user_key.lower() == who or m.user_key.split(":")[-1].lower() == who):
            return m
    return None


async def handover(ctx: Ctx, args: str) -> None:
    if not await allowed(ctx, "manage"):
        return
    assert ctx.project is not None and ctx.member is not None
    target = await _find_member(ctx, args)
    if target is None:
        await ctx.say("Hand over to whom? /handover <name> (they must have written here; see /members).")
        return
    if target.user_key == ctx.member.user_key:
        await ctx.say("You're already the owner.")
        return
    await ctx.store.put_member(target.model_copy(update={"role": "owner"}))
    await ctx.store.put_member(ctx.member.model_copy(update={"role": "editor"}))
    await ctx.update_project(owner_key=target.user_key)
    await ctx.say(f"{target.name or target.user_key} is now the owner of “{ctx.project.title}”; you're an editor.")


async def role(ctx: Ctx, args: str) -> None:
    """/role bob viewer"""
    if not await allowed(ctx, "manage"):
        return
    m = re.match(r"\s*@?(\S+)\s+(editor|viewer)\s*$", args, re.IGNORECASE)
    target = await _find_member(ctx, m.group(1)) if m else None
    if m is None or target is None or target.role == "owner":
        await ctx.say("Usage: /role <name> editor|viewer (see /members).")
        return
    new_role: Role = m.group(2).lower()  # type: ignore[assignment]
    await ctx.store.put_member(target.model_copy(update={"role": new_role}))
    await ctx.say(f"{target.name or target.user_key} is now a {new_role}.")


async def members(ctx: Ctx, args: str = "") -> None:
    if not await need_project(ctx):
        return
    assert ctx.project is not None
    ms = await ctx.store.list_members(ctx.project.id)
    records = await ctx.store.list_media(ctx.project.id)
    lines = []
    for m in ms:
        n = sum(1 for r in records if r.contributor_key == m.user_key)
        lines.append(f"{m.name or m.user_key}: {m.role}, {texts.plural(n, 'file')}")
    await ctx.say("\n".join(lines))


async def settings(ctx: Ctx, args: str) -> None:
    """/settings duration 40 | aspect vertical | style nostalgic | music <song> | newcomers viewer"""
    if not await need_project(ctx):
        return
    assert ctx.project is not None
    a = args.strip()
    if not a:
        r = ctx.project.request
        music = r.music_id or "the best song"
        await ctx.say(
            f"duration: {f'{r.duration:g} s' if r.duration else 'auto'}\naspect: {r.aspect}\nstyle: {r.mood}\n"
            f"music: {music}\ntransitions: {r.transition_style}\nnewcomers join as: {ctx.project.default_role}\n"
            "Change one with /settings duration 40, /settings aspect vertical, /settings style calm…"
        )
        return
    m = re.match(r"(newcomers|new members|default role)\s+(editor|viewer)s?$", a, re.IGNORECASE)
    if m:
        if not await allowed(ctx, "manage"):
            return
        await ctx.update_project(default_role=m.group(2).lower())
        await ctx.say(f"People who join from now on will be {m.group(2).lower()}s.")
        return
    key, _, value = a.partition(" ")
    phrase = {"duration": f"make it {value} seconds" if value.replace(".", "").isdigit() else value,
              "length": f"{value} seconds" if value.isdigit() else value,
              "aspect": value, "format": value, "style": f"more {value}", "mood": f"more {value}",
              "music": f"use {value}", "song": f"use {value}", "transitions": f"{value} transitions",
              "title": f"title “{value}”"}.get(key.lower())  # fmt: skip
    if phrase is None:
        await ctx.say("I can set duration, aspect, style, music, transitions or newcomers. /settings shows them.")
        return
    from conversation.commands.movie import adjust_or_refine

    await adjust_or_refine(ctx, phrase)


async def help_(ctx: Ctx, args: str = "") -> None:
    await ctx.say(texts.HELP)


