"""Checks shared by handlers: is there a project, may this member do this."""

from __future__ import annotations

import logging
from typing import Any

from conversation import texts
from conversation.context import Ctx
from conversation.roles import Permission, refusal
from conversation.states import Trigger, can, step

log = logging.getLogger("conversation.guard")


async def need_project(ctx: Ctx) -> bool:
    if ctx.project is None:
        await ctx.say(texts.NO_PROJECT)
        return False
    return True


async def allowed(ctx: Ctx, permission: Permission) -> bool:
    if not await need_project(ctx):
        return False
    assert ctx.project is not None and ctx.member is not None
    member = ctx.member if ctx.role == ctx.member.role else ctx.member.model_copy(update={"role": ctx.role})
    why = refusal(member, permission, ctx.project)
    if why is None:
        return True
    owner = await ctx.store.get_member(ctx.project.id, ctx.project.owner_key)
    await ctx.say(texts.ROLE_REFUSED[why].format(name=ctx.name, owner=owner.name if owner else "the owner"))
    return False


async def advance(ctx: Ctx, trigger: Trigger, **changes: Any) -> None:
    """Move the project along the state machine (and write `changes` with it)."""
    assert ctx.project is not None
    state = ctx.project.state
    has_movie = ctx.project.current_version is not None
    if state == "collecting" and trigger in ("make", "refine"):
        state = "ready"  # media arrived through another path (a restore, a withdrawal undone)
    if can(state, trigger):
        state = step(state, trigger, has_movie=has_movie)
    else:
        log.info("project %s: %s ignored in state %s", ctx.project.id, trigger, state)
    await ctx.update_project(state=state, **changes)
