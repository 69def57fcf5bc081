"""Projects and people: /new, /delete, /lock, /unlock, /handover, /role, /settings, /help, /members."""

from __future__ import annotations

import re
import uuid

from conversation import texts
from conversation.actions import StartThread
from conversation.commands import choices
from conversation.commands.guard import allowed, need_project
from conversation.commands.movie import running_versions, stop_running
from conversation.context import Ctx, buttons
from conversation.models import Member, Project, Role
from conversation.versions import in_flight
from pipeline.models import MediaKind

DEFAULT_TITLE = "Memory movie"


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
        if args.strip() and await _untouched(ctx):
            # the project made when the bot joined the group: /new just names it. Anyone who may
            # edit can: the owner (the admin who added the bot) keeps it, the namer makes the movie
            if not await allowed(ctx, "edit"):
                return
            await ctx.update_project(title=args.strip()[:80])
            text = texts.STARTED.format(title=ctx.project.title)
            if ctx.project.owner_key != ctx.user.key:
                owner = await ctx.store.get_member(ctx.project.id, ctx.project.owner_key)
                who = owner.name if owner and owner.name else "the admin who added me"
                text += f" {who} owns it; you can add files and make the movie."
            await ctx.say(text)
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


async def _untouched(ctx: Ctx) -> bool:
    """Still as the bot made it when it joined: default title, no files, no versions."""
    assert ctx.project is not None
    return (
        ctx.project.title == DEFAULT_TITLE
        and ctx.project.current_version is None
        and not await ctx.store.list_media(ctx.project.id, include_removed=True)
        and not await ctx.store.list_versions(ctx.project.id)
    )


async def bot_added(ctx: Ctx) -> None:
    """The bot was added to a group: the project is made now, so whoever added it owns it (on
    platforms where only admins may add bots, that is a chat admin; where any member may, the one
    who brought the bot is the natural owner, and chat admins keep owner powers anyway, Ctx.role)."""
    if ctx.project is None:
        await create(ctx, DEFAULT_TITLE)
    assert ctx.project is not None
    owner = await ctx.store.get_member(ctx.project.id, ctx.project.owner_key)
    await ctx.say(texts.GROUP_WELCOME.format(owner=owner.name if owner and owner.name else ctx.name))


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
    if who == "me" and ctx.member is not None:
        return ctx.member
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
    if target.user_key == ctx.project.owner_key:
        await ctx.say("You're already the owner." if target.user_key == ctx.user.key else
                      f"{target.name or target.user_key} is already the owner.")  # fmt: skip
        return
    # the previous owner becomes an editor (a chat admin may hand over a project someone else owns,
    # or take it themselves: /handover me)
    previous = await ctx.store.get_member(ctx.project.id, ctx.project.owner_key)
    await ctx.store.put_member(target.model_copy(update={"role": "owner"}))
    if previous is not None:
        await ctx.store.put_member(previous.model_copy(update={"role": "editor"}))
    await ctx.update_project(owner_key=target.user_key)
    if target.user_key == ctx.user.key:
        ctx.member = target.model_copy(update={"role": "owner"})
        await ctx.say(f"You're now the owner of “{ctx.project.title}”.")
        return
    you = "; you're an editor" if previous is not None and previous.user_key == ctx.user.key else ""
    await ctx.say(f"{target.name or target.user_key} is now the owner of “{ctx.project.title}”{you}.")


async def role(ctx: Ctx, args: str) -> None:
    """/role bob viewer"""
    if not await allowed(ctx, "manage"):
        return
    m = re.match(r"\s*@?(\S+)\s+(editor|viewer)\s*$", args, re.IGNORECASE)
    target = await _find_member(ctx, m.group(1)) if m else None
    if m is None or target is None or target.role == "owner":
        await ctx.say("Usage: /role <name> editor|viewer (see /members).")
        return
    new_role: Role = "editor" if m.group(2).lower() == "editor" else "viewer"  # the pattern allows no other
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
            "Tap a length, shape or style below, or type /settings duration 40, /settings music <song>…",
            choices.rows(r, make=await _can_make(ctx)),
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


async def _can_make(ctx: Ctx) -> bool:
    """Offer Make it with the settings when there is something to make and nothing being made."""
    assert ctx.project is not None
    records = await ctx.store.list_media(ctx.project.id)
    return any(r.item.kind != MediaKind.MUSIC for r in records) and not await running_versions(ctx)


async def help_(ctx: Ctx, args: str = "") -> None:
    await ctx.say(texts.HELP)


