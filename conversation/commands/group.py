"""Group decisions: comments (with movie timestamps) and votes between two versions."""

from __future__ import annotations

import re
import uuid

from conversation.commands.guard import advance, allowed, need_project
from conversation.commands.movie import refine
from conversation.context import Ctx, buttons
from conversation.models import Comment, MessageLink, Vote
from conversation.refinement.timestamps import find_timestamp, segment_at
from conversation.roles import allowed as role_allows

POSITIVE = {"👍", "❤️", "❤", "🔥", "😍", "👏", "🎉", "+1", "⭐", "💯", "🥰", "😊"}


async def comment(ctx: Ctx, text: str, *, version: int | None = None) -> None:
    if not await allowed(ctx, "comment"):
        return
    assert ctx.project is not None and ctx.member is not None
    text = text.strip()
    if not text:
        await ctx.say("What's your comment? For example /comment at 0:23 too fast.")
        return
    number = version or ctx.project.current_version
    at = find_timestamp(text)
    v = await ctx.store.get_version(ctx.project.id, number) if number else None
    await ctx.store.add_comment(
        Comment(id=uuid.uuid4().hex[:12], project_id=ctx.project.id, version=number, user_key=ctx.user.key,
                text=text[:1000], at_seconds=at[0] if at else None, created_at=ctx.deps.clock.now())
    )  # fmt: skip
    where = ""
    focus = None
    if at and v is not None and v.plan is not None:
        seg = segment_at(v.plan.segments, at[0])
        if seg is not None:
            focus = seg.media_id
            records = await ctx.store.list_media(ctx.project.id, include_removed=True)
            name = next((r.item.original_name for r in records if r.media_id == seg.media_id), seg.media_id)
            where = f" (shot {seg.index + 1}, {name})"
    can_edit = role_allows(ctx.role or ctx.member.role, "edit", locked=ctx.project.locked)
    # "at 0:23 too fast" is feedback on that moment: refine with the shot in focus (when the words
    # ask for a change; "love this bit" is just a comment)
    lead = f"At {at[1]}{where}: " if at else ""
    if (
        can_edit
        and v is not None
        and v.status == "ready"
        and await refine(ctx, text, parent_number=number, focus=focus, quiet=True, lead=lead)
    ):
        return
    if not can_edit and not at:
        # a viewer asking for a change: say why it isn't applied, keep it for the editors
        why = "locked" if ctx.project.locked and ctx.member.role == "editor" else "edit"
        from conversation.texts import ROLE_REFUSED

        await ctx.say(ROLE_REFUSED[why].format(name=ctx.name, owner="the owner") + " I saved it as a comment.")
        return
    await ctx.say(f"Noted your comment{' at ' + at[1] if at else ''}{where}.")


async def comments(ctx: Ctx, args: str = "") -> None:
    if not await need_project(ctx):
        return
    assert ctx.project is not None
    cs = await ctx.store.list_comments(ctx.project.id)
    if not cs:
        await ctx.say("No comments yet.")
        return
    names = {m.user_key: m.name or m.user_key for m in await ctx.store.list_members(ctx.project.id)}
    await ctx.say("\n".join(f"{names.get(c.user_key, c.user_key)} on v{c.version}: {c.text}" for c in cs[-20:]))


async def open_vote(ctx: Ctx, args: str) -> None:
    if not await allowed(ctx, "vote"):
        return
    assert ctx.project is not None
    ready = [v.number for v in await ctx.store.list_versions(ctx.project.id) if v.status == "ready"]
    nums = [int(n) for n in re.findall(r"\d+", args)]
    if len(nums) >= 2:
        a, b = nums[0], nums[1]
        if a not in ready or b not in ready or a == b:
            await ctx.say(f"I can only put two different finished versions to a vote ({', '.join(f'v{n}' for n in ready)}).")
            return
    elif len(ready) >= 2:
        a, b = ready[-2], ready[-1]
    else:
        await ctx.say("A vote needs two finished versions. Make another one first.")
        return
    ballot = f"v{a}-vs-v{b}"
    await ctx.update_project(ballot=ballot)
    mid = await ctx.say(
        f"Vote: v{a} or v{b}? Tap one (or react 👍 to that movie). Everyone in the project can vote.",
        buttons(((f"v{a}", f"vote:{ballot}:{a}"), (f"v{b}", f"vote:{ballot}:{b}"))),
    )
    if mid:
        await ctx.store.link_message(MessageLink(chat_key=ctx.project.chat_key, message_id=mid,
                                                 project_id=ctx.project.id, kind="ballot"))  # fmt: skip


async def cast(ctx: Ctx, ballot: str, version: int) -> None:
    if not await allowed(ctx, "vote"):
        return
    assert ctx.project is not None
    if ctx.project.ballot != ballot:
        await ctx.say("That vote is closed.")
        return
    await ctx.store.put_vote(Vote(project_id=ctx.project.id, ballot=ballot, user_key=ctx.user.key, version=version,
                                  created_at=ctx.deps.clock.now()))  # fmt: skip
    await _tally(ctx, ballot)


async def reaction(ctx: Ctx, link: MessageLink, emoji: str) -> None:
    assert ctx.project is not None
    ballot = ctx.project.ballot
    if not ballot or link.version is None or emoji not in POSITIVE:
        return
    if link.version in _options(ballot):
        await cast(ctx, ballot, link.version)


def _options(ballot: str) -> tuple[int, int]:
    a, b = re.findall(r"\d+", ballot)[:2]
    return int(a), int(b)


async def _tally(ctx: Ctx, ballot: str) -> None:
    assert ctx.project is not None
    a, b = _options(ballot)
    votes = await ctx.store.list_votes(ctx.project.id, ballot)
    voters = len(await ctx.store.list_members(ctx.project.id))
    count = {a: sum(1 for v in votes if v.version == a), b: sum(1 for v in votes if v.version == b)}
    winner = next((n for n in (a, b) if count[n] * 2 > voters), None)
    if winner is None and len(votes) < voters:
        await ctx.say(f"{ctx.name} voted. v{a}: {count[a]}, v{b}: {count[b]} ({len(votes)} of {voters} voted).")
        return
    await ctx.update_project(ballot=None)
    if winner is None:
        await ctx.say(f"It's a tie, {count[a]}–{count[b]}. The owner decides: /revert {a} or /revert {b}.")
        return
    loser = b if winner == a else a
    version = await ctx.store.get_version(ctx.project.id, winner)
    if version is not None:
        await advance(ctx, "revert", current_version=winner, request=version.request)
    await ctx.say(f"v{winner} wins, {count[winner]}–{count[loser]}. We carry on from v{winner}.")
