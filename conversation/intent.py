"""Route a plain message: a command in words, a comment at a movie time, a description before
the first movie, a refinement after it (of the version replied to, or the current one)."""

from __future__ import annotations

import re

from conversation import texts
from conversation.commands import group, history, media, movie, project
from conversation.context import Ctx
from conversation.refinement.timestamps import find_timestamp
from conversation.roles import allowed

I = re.IGNORECASE  # noqa: E741
WITHDRAW = re.compile(
    r"\b(remove|delete|take back|withdraw|take out|drop)\s+(all\s+(of\s+)?)?my\s+(photos|pictures|pics|files|stuff|clips|videos|uploads|media|things)\b|^/?withdraw$",
    I,
)
REVERT = re.compile(r"^(?:please\s+)?(?:go back to|revert to|back to|return to|restore|use|switch to)\s+(?:version\s*|v)(\d+)\b[\s,]*(?:but|and|with|then)?\s*(.*)$", I)
UNDO = re.compile(r"^(undo( that| it)?|go back|take (that|it) back|revert)[.!]*$", I)
MAKE = re.compile(r"^(make( it| the movie| a movie| my movie)?|go|render( it)?|create( it)?|do it|let'?s go|start)[.!]*$", I)
CANCEL = re.compile(r"^(cancel|stop|abort)( it| that| the render)?[.!]*$", I)
STATUS = re.compile(r"^(status|progress|how'?s it going|where are we)\??$", I)
HELP = re.compile(r"^(help|what can you do|commands)\??$", I)
SMALLTALK = re.compile(r"^(hi|hello|hey|thanks|thank you|thx|cool|great|nice|ok|okay|wow|lol|love it)\b[\s!.]*\w{0,12}[\s!.]*$", I)


async def route(ctx: Ctx, text: str, reply_to: str | None) -> None:
    t = text.strip()
    if not t:
        return
    link = await ctx.store.find_message(ctx.chat.key, reply_to) if reply_to and ctx.project else None
    if HELP.match(t):
        await project.help_(ctx)
        return
    if ctx.project is None:
        if ctx.chat.is_group or SMALLTALK.match(t):
            await ctx.say(texts.NO_PROJECT)
            return
        await project.create(ctx, "Memory movie")  # a private chat: just start, no ceremony
        await ctx.say("Started a project for you (/new <title> names it).")
    assert ctx.project is not None and ctx.member is not None
    if WITHDRAW.search(t):
        await media.withdraw(ctx)
    elif m := REVERT.match(t):
        await history.revert(ctx, f"{m.group(1)} {m.group(2)}".strip())
    elif UNDO.match(t):
        await history.undo(ctx)
    elif CANCEL.match(t):
        await history.cancel(ctx)
    elif STATUS.match(t):
        await history.status(ctx)
    elif MAKE.match(t):
        await movie.make(ctx, "")
    elif SMALLTALK.match(t):
        await ctx.say("😊 Reply to the movie in words to change it, or /help." if ctx.project.current_version else
                      "Send photos, clips and a song, then tell me what you'd like.")  # fmt: skip
    elif not allowed(ctx.role or ctx.member.role, "edit", locked=ctx.project.locked):
        await group.comment(ctx, t, version=link.version if link else None)  # viewers' words are comments
    elif find_timestamp(t) and ctx.project.current_version is not None:
        await group.comment(ctx, t, version=link.version if link else None)
    elif ctx.project.current_version is None and not (link and link.version):
        await movie.describe(ctx, t)
    else:
        await movie.refine(ctx, t, parent_number=link.version if link else None)
