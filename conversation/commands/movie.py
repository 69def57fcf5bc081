"""Making movies: /make, descriptions before the first movie, refinements after, and the
version bookkeeping (supersede what's running, so concurrent edits stack instead of racing)."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from datetime import timedelta

from conversation import texts
from conversation.actions import ShowProgress
from conversation.commands import choices
from conversation.commands.guard import advance, allowed
from conversation.context import Ctx, buttons
from conversation.library import catalog_for, library_for
from conversation.limits import movie_limit
from conversation.models import MediaRecord, MessageLink, Version
from conversation.ports import JobRequest
from conversation.refinement import Catalog, ParseResult, parse
from conversation.versions import Outline, create_next, in_flight, latest_ready, outline
from pipeline.edits import EditCommand, apply_edits
from pipeline.models import Library, MediaKind, PlanRequest

log = logging.getLogger("conversation.commands.movie")


def job_id(project_id: str, version: Version) -> str:
    return f"{project_id}:v{version.number}:{'refine' if version.parent else 'make'}"


async def stop_running(ctx: Ctx, running: list[Version], why: str) -> None:
    assert ctx.project is not None
    for v in running:
        jid = job_id(ctx.project.id, v)
        stopped = await ctx.deps.queue.cancel(jid)  # a queue that stops a job records it itself
        await ctx.store.update_version(v.model_copy(update={"status": "cancelled", "error": why}))
        job = None if stopped else await ctx.store.get_job(jid)
        if job is not None and job.status in ("queued", "processing"):
            await ctx.store.put_job(
                job.model_copy(update={"status": "cancelled", "updated_at": ctx.deps.clock.now()})
            )


async def start_version(
    ctx: Ctx,
    request: PlanRequest,
    *,
    parent: Version | None,
    summary: str,
    versions: list[Version] | None = None,
    records: list[MediaRecord] | None = None,
    rebase: Callable[[PlanRequest], PlanRequest] | None = None,
    known: Outline | None = None,
) -> Version | None:
    """`versions`/`records` may be passed when the caller just read them (one read per event).
    `rebase` re-applies this edit on top of another request: used when another process made a
    version between our read and our write, so its edit isn't lost under ours."""
    assert ctx.project is not None
    project = ctx.project
    if records is None:
        records = await ctx.store.list_media(project.id)
    if not any(r.item.kind != MediaKind.MUSIC for r in records):
        await ctx.say(texts.NEED_MEDIA)
        return None
    now = ctx.deps.clock.now()
    if versions is None:
        known = known or await outline(ctx.store, project.id, now - timedelta(hours=1))
        highest, running = max(known.highest, project.current_version or 0), known.running
        if known.recent >= _smallest_cap(ctx):  # only then can a cap bite: read the versions it needs
            versions = await ctx.store.list_versions(project.id)
    else:
        highest, running = max((v.number for v in versions), default=0), in_flight(versions)
    over = movie_limit(ctx.deps.settings, versions, ctx.user.key, now) if versions is not None else None
    if over:
        await ctx.say(over)
        return None
    draft = Version(
        project_id=project.id,
        number=0,
        parent=parent.number if parent else None,
        request=request,
        summary=summary,
        asked_in=ctx.source,  # kept with the version: after a restart the movie still answers it
        created_by=ctx.user.key,
        created_at=now,
    )
    version = await create_next(ctx.store, draft, highest=highest)
    expected = highest + 1
    if version.number != expected:  # another process made versions meanwhile: stack on them
        fresh = [v for v in await ctx.store.list_versions(project.id) if v.number != version.number]
        # every version past what we read is someone's concurrent edit, finished or not: one that
        # rendered quickly between our read and our write still carries a change we must keep
        others = [v for v in fresh if v.number >= expected]
        if others and rebase is not None:
            request = rebase(max(others, key=lambda v: v.number).request)
            version = version.model_copy(update={"request": request})
            await ctx.store.update_version(version)
        running = in_flight([v for v in fresh if v.number < version.number])
    await stop_running(ctx, running, f"replaced by v{version.number}")
    await advance(ctx, "refine" if parent else "make", request=request)
    jid = job_id(project.id, version)
    # the queue records the job in the store (runner and arq both do), which /status and recover() read
    await ctx.deps.queue.enqueue(
        JobRequest(
            job_id=jid,
            kind="refine" if parent else "make",
            project_id=project.id,
            version=version.number,
            parent_version=version.parent,
            chat_key=project.chat_key,
            draft=ctx.deps.settings.draft_renders,
        )
    )
    replaced = f" (replaces v{', v'.join(str(v.number) for v in running)})" if running else ""
    # the movie (and this progress message) answer the message that asked for them
    shown = await ctx.deps.outbox.send(
        ShowProgress(chat=ctx.chat, key=f"{project.id}:v{version.number}", stage="queued", percent=0,
                     text=f"v{version.number}: queued{replaced}…", reply_to=ctx.source)
    )  # fmt: skip
    if shown:  # kept, so the same message is edited on after a restart (adapters forget it)
        await ctx.store.link_message(MessageLink(chat_key=project.chat_key, message_id=shown, project_id=project.id,
                                                 version=version.number, kind="progress"))  # fmt: skip
    return version


def _smallest_cap(ctx: Ctx) -> int:
    s = ctx.deps.settings
    caps = [c for c in (s.movies_per_hour_per_user, s.movies_per_hour_per_project) if c > 0]
    return min(caps) if caps else 1 << 62


async def running_versions(ctx: Ctx) -> list[Version]:
    """The versions being made now (without reading every version's plan)."""
    assert ctx.project is not None
    return (await outline(ctx.store, ctx.project.id, ctx.deps.clock.now())).running


async def make(ctx: Ctx, args: str) -> None:
    if not await allowed(ctx, "edit"):
        return
    if args.strip():
        await describe(ctx, args)
        return
    assert ctx.project is not None
    running = await running_versions(ctx)
    if running:
        await ctx.say(texts.BUSY.format(n=running[-1].number, stage=running[-1].status))
        return
    parent = None
    if ctx.project.current_version is not None:
        parent = await ctx.store.get_version(ctx.project.id, ctx.project.current_version)
    pressed = choices.changes(parent.request, ctx.project.request) if parent else []
    summary = ", ".join(pressed) if pressed else "re-cut with your latest files" if parent else "first cut"
    await start_version(ctx, ctx.project.request, parent=parent, summary=summary)


async def _parse(
    ctx: Ctx, text: str, parent: Version | None, focus: str | None = None, records: list[MediaRecord] | None = None
) -> tuple[ParseResult, Catalog]:
    """Parse with file names first; if something wasn't found, again with analysis tags."""
    assert ctx.project is not None
    if records is None:
        records = await ctx.store.list_media(ctx.project.id)
    cat = dataclasses.replace(await catalog_for(ctx, records, parent, with_tags=False), focus=focus)
    result = parse(text, cat)
    if result.unclear or result.question:
        tagged = dataclasses.replace(await catalog_for(ctx, records, parent, with_tags=True), focus=focus)
        again = parse(text, tagged)
        if len(again.unclear) < len(result.unclear) or (result.question and not again.question):
            return again, tagged
    return result, cat


async def describe(ctx: Ctx, text: str) -> None:
    """Before the first movie: the words become the request (prompt, length, aspect, mood...)."""
    if not await allowed(ctx, "edit"):
        return
    assert ctx.project is not None
    result, _ = await _parse(ctx, text, None)
    if result.question and not result.commands:
        await _ask(ctx, result)
        return
    request = apply_edits(ctx.project.request, result.commands)
    prompt = f"{ctx.project.request.prompt} {text}".strip()[-1000:]
    request = request.model_copy(update={"prompt": prompt})
    summary = ", ".join(result.understood)
    # words the parser didn't take stay in the prompt for the planner; a named file it couldn't
    # find is worth saying ("end on the sunset" with no sunset among the photos)
    explained = [u for u in result.unclear if u.endswith(")")]
    missed = f" (Not done: {'; '.join(explained)}.)" if explained else ""
    records = await ctx.store.list_media(ctx.project.id)
    # the length, shape and style as buttons (Discord shows the long style row as a menu)
    offer = choices.rows(request)
    if not any(r.item.kind != MediaKind.MUSIC for r in records):
        await ctx.update_project(request=request)
        got = f": {summary}" if summary else ""
        await ctx.say(f"Noted{got}.{missed} Now send photos, clips and a song, then /make. "
                      "Pick a length, shape and style below if you like.", offer)  # fmt: skip
        return
    await ctx.say(f"Got it{': ' + summary if summary else ''}.{missed} Making your movie… "
                  "Tap a length, shape or style below to change it.", offer)  # fmt: skip
    await start_version(ctx, request, parent=None, summary=summary or "first cut", records=records)


async def refine(
    ctx: Ctx,
    text: str,
    *,
    parent_number: int | None = None,
    focus: str | None = None,
    quiet: bool = False,
    lead: str = "",
) -> bool:
    """A new version from words. `quiet`: say nothing when nothing was understood (a comment that
    isn't a request). Returns whether the words were taken as a request."""
    if not await allowed(ctx, "edit"):
        return False
    assert ctx.project is not None
    pid = ctx.project.id
    # the hot path: read the parent and what's running, not every version with its whole plan
    parent = await ctx.store.get_version(pid, parent_number) if parent_number is not None else None
    if (parent is None or parent.status != "ready") and ctx.project.current_version is not None:
        parent = await ctx.store.get_version(pid, ctx.project.current_version)
    if parent is not None and parent.status != "ready":
        parent = latest_ready(await ctx.store.list_versions(pid))  # rare: the current one was lost
    if parent is None:
        await describe(ctx, text)
        return True
    records = await ctx.store.list_media(pid)
    result, cat = await _parse(ctx, text, parent, focus, records)
    if (result.empty or result.unclear) and not result.question and not quiet:
        # the AI brain reads the whole message: its edits replace the rules' partial reading
        result = await _ask_the_brain(ctx, text, parent, records) or result
    if result.empty:
        if result.question:
            await _ask(ctx, result)
            return True
        if not quiet:
            await ctx.say(texts.NOT_UNDERSTOOD.format(text=text.strip()[:200]), buttons(texts.SUGGESTIONS))
        return False
    now = ctx.deps.clock.now()
    known = await outline(ctx.store, pid, now - timedelta(hours=1))
    running = known.running
    base = running[-1].request if running else parent.request
    if not running and parent.number == ctx.project.current_version:
        base = choices.with_pending(ctx, base)  # length/shape/style pressed since this movie
    versions = await ctx.store.list_versions(pid) if known.recent >= _smallest_cap(ctx) else None
    request = apply_edits(
        base,
        list(result.commands),
        current_duration=parent.plan.duration if parent.plan else None,
        music_ids=cat.music_ids,
        current_music=cat.current_music,
    )
    summary = ", ".join(result.understood)
    missed = f" (I didn't get: {'; '.join(result.unclear)})" if result.unclear else ""
    if request == base and not running:
        await ctx.say(f"v{parent.number} already looks like that ({summary}).{missed}")
        return True
    got = f"{lead}got it: " if lead else "Got it: "
    await ctx.say(f"{got}{summary}.{missed} Making it from v{parent.number}…")

    def rebase(other: PlanRequest) -> PlanRequest:
        return apply_edits(other, list(result.commands), current_duration=duration,
                           music_ids=cat.music_ids, current_music=cat.current_music)  # fmt: skip

    duration = parent.plan.duration if parent.plan else None
    if versions is None:
        await start_version(ctx, request, parent=parent, summary=summary, records=records, rebase=rebase,
                            known=known)  # fmt: skip
    else:
        await start_version(ctx, request, parent=parent, summary=summary, versions=versions, records=records,
                            rebase=rebase)  # fmt: skip
    if result.question:
        await _ask(ctx, result)
    return True


async def _ask_the_brain(ctx: Ctx, text: str, parent: Version, records: list[MediaRecord]) -> ParseResult | None:
    """Words the rules couldn't place go to the AI brain, when there is one (never offline or in
    privacy mode); what it reads comes back as the same typed edits the parser makes."""
    # asked first: offline there is nothing to ask, so no analysis is loaded for it
    if parent.plan is None or not getattr(ctx.deps.pipeline, "reads_feedback", False):
        return None
    library = await library_for(ctx, records) or Library()
    try:
        commands = await ctx.deps.pipeline.interpret_feedback(text, parent.plan, library)
    except Exception:  # the brain is a help, not a dependency: the rules' answer stands
        log.warning("AI feedback reading failed", exc_info=True)
        return None
    if not commands:
        return None
    names = {r.media_id: r.item.original_name for r in records}
    return ParseResult(commands=commands, understood=tuple(_describe(c, names) for c in commands))


def _describe(command: EditCommand, names: dict[str, str]) -> str:
    """'set duration 20.0', 'exclude IMG_07.jpg': plain enough to confirm what was understood."""
    parts = []
    for value in command.model_dump(exclude={"op"}).values():
        for v in value if isinstance(value, tuple | list) else (value,):
            if v not in (None, ""):
                parts.append(names.get(v, str(v)) if isinstance(v, str) else str(v))
    return " ".join([command.op.replace("_", " "), *parts])


async def _ask(ctx: Ctx, result: ParseResult) -> None:
    assert result.question is not None
    rows = tuple(((label, f"say:{again}"),) for label, again in result.question.options)
    await ctx.say(result.question.text, buttons(*rows))


async def adjust_or_refine(ctx: Ctx, phrase: str) -> None:
    """/settings, /remove, /keep: before the first movie they only shape the next request (nothing
    renders); after it they are refinements that make a new version."""
    assert ctx.project is not None
    if ctx.project.current_version is not None:
        await refine(ctx, phrase)
        return
    if not await allowed(ctx, "edit"):
        return
    result, _ = await _parse(ctx, phrase, None)
    if result.empty:
        if result.question:
            await _ask(ctx, result)
        else:
            await ctx.say(f"I didn't understand “{phrase}”." + (f" ({'; '.join(result.unclear)})" if result.unclear else ""))
        return
    await ctx.update_project(request=apply_edits(ctx.project.request, list(result.commands)))
    await ctx.say(f"Set: {', '.join(result.understood)}. It applies to the next movie (/make).")
