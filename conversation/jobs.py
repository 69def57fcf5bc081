"""Running one job: the same code for the in-process runner and the arq workers.

`run_job` takes ids (a JobRequest), reads everything else from the stores, calls the pipeline
through its facade, writes the results back (Version, media keys) and reports JobUpdates. It
never raises for a job that failed: a failure is a Version marked failed plus a "failed" update
whose message is safe to show (UserFacingError's text, else "Something went wrong (ref ab12)"
with the details logged under that ref). Cancellation (CancelledError) marks the Version
cancelled and propagates, so the runner can report it and ffmpeg gets killed by the pipeline.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from conversation.fit import fit_target_of
from conversation.models import Job, MediaRecord, Version
from conversation.ports import JobRequest, JobUpdate, MediaStore, ProjectStore
from pipeline.api import Pipeline
from pipeline.errors import UserFacingError
from pipeline.models import EditPlan, Library, MediaItem, ProgressFn, RenderResult, RenderSpec

log = logging.getLogger(__name__)

Report = Callable[[JobUpdate], Awaitable[None]]
RenderFn = Callable[[EditPlan, Library, RenderSpec, ProgressFn], Awaitable[RenderResult | None]]
Outcome = Literal["done", "failed", "handed_off"]
UpdateKind = Literal["progress", "storyboard", "done", "failed", "cancelled"]  # JobUpdate.kind

# Share of the overall percent each stage covers: one bar that only moves forward.
_STAGE_SPAN: dict[str, tuple[int, int]] = {
    "materialise": (0, 5),
    "analysis": (5, 20),
    "planning": (20, 30),
    "storyboard": (30, 32),
    "rendering": (32, 99),
}


@dataclass(frozen=True)
class JobDeps:
    store: ProjectStore
    media: MediaStore
    pipeline: Pipeline
    scratch_dir: Path  # per-process scratch; media from remote stores is downloaded below it
    # replaces pipeline.render; returning None means "handed off": the render continues elsewhere
    # (workers fan a long movie's chunks out) and whoever finishes it calls `finish_render`
    render: RenderFn | None = None


TRANSIENT_MESSAGE = "A service the movie needs isn't answering right now. Please try again in a few minutes."


class TransientJobError(Exception):
    """A hiccup worth retrying (storage timeout, Gemini 429/5xx): workers retry with backoff."""


def render_key(project_id: str, number: int) -> str:
    return f"{project_id}/v{number}.mp4"


def poster_key(project_id: str, number: int) -> str:
    return f"{project_id}/v{number}-poster.jpg"


def storyboard_key(project_id: str, number: int) -> str:
    return f"{project_id}/v{number}-storyboard.png"


def error_ref() -> str:
    return secrets.token_hex(2)


class _Reporter:
    """Numbers updates and throttles progress (at most every ~1 s or 5 %, always on a stage change)."""

    def __init__(self, request: JobRequest, report: Report, *, min_interval: float = 1.0, min_step: int = 5):
        self.request = request
        self._report = report
        self._seq = 0
        self._last_percent = -100
        self._last_stage = ""
        self._last_time = 0.0
        self.min_interval = min_interval
        self.min_step = min_step

    async def send(self, kind: UpdateKind, *, stage: str = "", percent: int = 0, message: str = "") -> None:
        self._seq += 1
        await self._report(
            JobUpdate(
                job_id=self.request.job_id,
                project_id=self.request.project_id,
                version=self.request.version,
                kind=kind,
                stage=stage,
                percent=max(0, min(100, percent)),
                message=message,
                seq=self._seq,
            )
        )

    async def progress(self, stage: str, fraction: float) -> None:
        low, high = _STAGE_SPAN.get(stage, (self._last_percent if self._last_percent >= 0 else 0, 99))
        percent = round(low + (high - low) * max(0.0, min(1.0, fraction)))
        percent = max(percent, self._last_percent)  # never backwards, even if a stage re-reports
        now = time.monotonic()
        due = (
            stage != self._last_stage
            or percent - self._last_percent >= self.min_step
            or (now - self._last_time >= self.min_interval and percent != self._last_percent)
        )
        if not due:
            return
        self._last_stage, self._last_percent, self._last_time = stage, percent, now
        await self.send("progress", stage=stage, percent=percent)


async def materialise(deps: JobDeps, project_id: str) -> list[MediaItem]:
    """The project's active media as local files the pipeline can read."""
    records: list[MediaRecord] = await deps.store.list_media(project_id)
    dest = deps.scratch_dir / project_id / "media"
    dest.mkdir(parents=True, exist_ok=True)
    items = []
    for record in records:
        try:
            path = await deps.media.get(record.storage_key, dest)
        except FileNotFoundError:
            # one lost file must not sink the movie: plan with the rest
            log.warning(
                "media %s of project %s is missing from the media store", record.storage_key, project_id
            )
            continue
        items.append(record.item.model_copy(update={"path": path}))
    return items


async def _load_version(deps: JobDeps, request: JobRequest) -> Version:
    if request.version is None:
        raise UserFacingError("That job names no version to make.")
    version = await deps.store.get_version(request.project_id, request.version)
    if version is None:
        raise UserFacingError(f"Version {request.version} no longer exists.")
    return version


async def _set_version(deps: JobDeps, request: JobRequest, **changes: Any) -> Version | None:
    """Re-read then write, so fields the core changed meanwhile (summary, …) survive."""
    if request.version is None:
        return None
    current = await deps.store.get_version(request.project_id, request.version)
    if current is None:
        return None
    updated = current.model_copy(update=changes)
    await deps.store.update_version(updated)
    return updated


async def _analyse(deps: JobDeps, request: JobRequest, rep: _Reporter) -> Library:
    await rep.progress("materialise", 0.0)
    items = await materialise(deps, request.project_id)
    await rep.progress("materialise", 1.0)
    return await deps.pipeline.analyse(items, rep.progress)


async def _make(deps: JobDeps, request: JobRequest, rep: _Reporter) -> Outcome:
    version = await _load_version(deps, request)
    number = version.number
    pid = request.project_id
    if version.status == "ready" and version.render_key and await deps.media.exists(version.render_key):
        # a retried or duplicated job whose movie already exists: report it again, render nothing
        await rep.send("done", stage="done", percent=100)
        return "done"
    await _set_version(deps, request, status="planning", error=None)
    library = await _analyse(deps, request, rep)

    parent_plan: EditPlan | None = None
    parent_number = version.parent if version.parent is not None else request.parent_version
    if parent_number is not None:
        parent = await deps.store.get_version(pid, parent_number)
        parent_plan = parent.plan if parent else None
    outcome = await deps.pipeline.plan(version.request, library, parent_plan, rep.progress)
    plan = outcome.plan

    work = deps.scratch_dir / pid / f"v{number}"
    work.mkdir(parents=True, exist_ok=True)
    board_key: str | None = None
    try:
        board = await deps.pipeline.storyboard(plan, library, work / "storyboard.png")
        board_key = await deps.media.put(storyboard_key(pid, number), board, "image/png")
    except (asyncio.CancelledError, UserFacingError):
        raise
    except Exception as exc:  # the storyboard is a preview: the movie still matters more
        log.warning("storyboard for %s v%s failed: %s", pid, number, exc)
    await _set_version(deps, request, plan=plan, storyboard_key=board_key, status="rendering")
    await rep.send("storyboard", stage="storyboard", percent=32, message=board_key or "")

    spec = deps.pipeline.render_spec(plan, work / f"v{number}.mp4", draft=request.draft)
    render = deps.render or deps.pipeline.render
    result = await render(plan, library, spec, rep.progress)
    if result is None:
        return "handed_off"
    await _store_render(deps, request, result)
    await rep.send("done", stage="done", percent=100, message="\n".join(outcome.notes))
    return "done"


async def _store_render(deps: JobDeps, request: JobRequest, result: RenderResult) -> None:
    pid, number = request.project_id, request.version
    assert number is not None
    movie_key = await deps.media.put(render_key(pid, number), result.path, "video/mp4")
    still_key = None
    if result.poster is not None and result.poster.is_file():
        still_key = await deps.media.put(poster_key(pid, number), result.poster, "image/jpeg")
    await _set_version(
        deps,
        request,
        status="ready",
        render_key=movie_key,
        poster_key=still_key,
        duration=result.duration,
        width=result.width,
        height=result.height,
        size_bytes=result.size_bytes,
        error=None,
    )


async def finish_render(deps: JobDeps, request: JobRequest, result: RenderResult, report: Report) -> Outcome:
    """The end of a handed-off render (the worker that joined the chunks): store the movie,
    mark the version ready and report "done" — or "failed" as run_job would."""

    async def step(rep: _Reporter) -> Outcome:
        await _store_render(deps, request, result)
        await rep.send("done", stage="done", percent=100)
        return "done"

    return await _guard(deps, request, _Reporter(request, report), step)


async def run_job(request: JobRequest, deps: JobDeps, report: Report) -> Outcome:
    """Run one job to the end, reporting as it goes. Raises only CancelledError and
    TransientJobError (the caller decides whether to retry); everything else becomes "failed".
    Returns "handed_off" when `deps.render` passed the render on (no final update sent yet)."""
    if request.target_size_bytes is not None:  # a smaller copy of a finished version
        from conversation.fit_job import run_fit  # it builds on this module: imported late

        return await run_fit(request, deps, report)
    rep = _Reporter(request, report)

    async def step(rep: _Reporter) -> Outcome:
        if request.kind == "analyse":
            await _analyse(deps, request, rep)
            await rep.send("done", stage="analysis", percent=100)
            return "done"
        return await _make(deps, request, rep)

    return await _guard(deps, request, rep, step)


async def _guard(
    deps: JobDeps, request: JobRequest, rep: _Reporter, step: Callable[[_Reporter], Awaitable[Outcome]]
) -> Outcome:
    try:
        return await step(rep)
    except asyncio.CancelledError:
        await asyncio.shield(_mark_cancelled(deps, request))
        raise
    except TransientJobError:
        raise
    except ConnectionError as exc:  # the store or media store blinked: worth another try
        raise TransientJobError(str(exc) or type(exc).__name__) from exc
    except UserFacingError as exc:
        await _fail(deps, request, rep, exc.message)
        return "failed"
    except Exception:
        ref = error_ref()
        log.exception(
            "job %s failed (ref %s)",
            request.job_id,
            ref,
            extra={"job_id": request.job_id, "project_id": request.project_id, "chat_key": request.chat_key},
        )
        await _fail(deps, request, rep, f"Something went wrong (ref {ref}).")
        return "failed"


async def _fail(deps: JobDeps, request: JobRequest, rep: _Reporter, message: str) -> None:
    try:
        await _set_version(deps, request, status="failed", error=message)
    except Exception:  # the store itself is down: the chat must still hear about it
        log.warning("could not mark %s v%s failed", request.project_id, request.version, exc_info=True)
    await rep.send("failed", stage="failed", message=message)


async def _mark_cancelled(deps: JobDeps, request: JobRequest) -> None:
    try:
        await _set_version(deps, request, status="cancelled")
    except Exception:
        log.warning("could not mark %s v%s cancelled", request.project_id, request.version, exc_info=True)


def job_function(deps: JobDeps) -> Callable[[JobRequest, Report], Awaitable[Outcome]]:
    """`run_job` bound to its deps: what InProcessJobQueue runs."""

    async def run(request: JobRequest, report: Report) -> Outcome:
        return await run_job(request, deps, report)

    return run


def queued_job(request: JobRequest, existing: Job | None, now: datetime) -> Job:
    """The jobs-table record of a request just queued; a re-queue keeps its attempts and birth."""
    return Job(
        id=request.job_id,
        project_id=request.project_id,
        version=request.version,
        kind=request.kind,
        status="queued",
        attempts=existing.attempts if existing else 0,
        created_at=existing.created_at if existing else now,
        updated_at=now,
    )


async def requests_to_resume(store: ProjectStore, chat_prefix: str = "") -> list[JobRequest]:
    """Jobs a crash (or a Redis restart) left 'queued'/'processing', rebuilt as requests.

    The jobs table keeps ids, not the whole request: the chat comes from the project and the
    parent from the version. Jobs whose project or version is gone are skipped, and so are
    chats whose key doesn't start with `chat_prefix` (a Telegram bot resumes "telegram:" chats
    only: a Discord movie must come back to the Discord bot)."""
    requests = []
    for status in ("processing", "queued"):
        for job in await store.list_jobs(status=status):
            if job.kind not in ("analyse", "make", "refine"):
                continue
            project = await store.get_project(job.project_id)
            if project is None or not project.chat_key.startswith(chat_prefix):
                continue
            parent = None
            if job.version is not None:
                version = await store.get_version(job.project_id, job.version)
                # a "ready" version is kept: its movie may never have reached the chat, and a
                # re-run of a finished version renders nothing and reports "done" again
                if version is None or version.status == "cancelled":
                    continue
                parent = version.parent
            requests.append(
                JobRequest(
                    job_id=job.id,
                    kind=job.kind,
                    project_id=job.project_id,
                    version=job.version,
                    parent_version=parent,
                    chat_key=project.chat_key,
                    target_size_bytes=fit_target_of(job.id),
                )
            )
    return requests
