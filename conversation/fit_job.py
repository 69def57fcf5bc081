"""The job that makes a smaller copy of a finished version: its own plan re-rendered under a
target size (the renderer's target-size mode), stored beside the full movie as
'<project>/v<n>-fit<target>.mp4'. The Version itself is never touched: the full-size movie stays
the version's movie, and a failed or cancelled copy leaves it "ready".

run_job hands a JobRequest with `target_size_bytes` here; it reports like any job (progress,
then "done" or "failed" with a safe message) so the core shows it with the same progress message.
"""

from __future__ import annotations

import asyncio
import logging

from conversation.fit import fit_key
from conversation.jobs import (
    JobDeps,
    Outcome,
    Report,
    TransientJobError,
    _Reporter,
    error_ref,
)
from conversation.ports import JobRequest
from pipeline.errors import UserFacingError
from pipeline.models import Library, MediaItem

log = logging.getLogger(__name__)


async def run_fit(request: JobRequest, deps: JobDeps, report: Report) -> Outcome:
    rep = _Reporter(request, report)
    try:
        return await _fit(deps, request, rep)
    except (asyncio.CancelledError, TransientJobError):
        raise
    except ConnectionError as exc:  # the store or media store blinked: worth another try
        raise TransientJobError(str(exc) or type(exc).__name__) from exc
    except UserFacingError as exc:
        await rep.send("failed", stage="failed", message=exc.message)
        return "failed"
    except Exception:
        ref = error_ref()
        log.exception("smaller copy %s failed (ref %s)", request.job_id, ref,
                      extra={"job_id": request.job_id, "project_id": request.project_id})  # fmt: skip
        await rep.send("failed", stage="failed", message=f"Something went wrong (ref {ref}).")
        return "failed"


async def _fit(deps: JobDeps, request: JobRequest, rep: _Reporter) -> Outcome:
    target = request.target_size_bytes
    assert target is not None and request.version is not None
    pid, number = request.project_id, request.version
    version = await deps.store.get_version(pid, number)
    if version is None:
        raise UserFacingError(f"Version {number} no longer exists.")
    if version.plan is None or version.status != "ready":
        raise UserFacingError(f"v{number} isn't finished, so there is no movie to make smaller yet.")
    key = fit_key(pid, number, target)
    if await deps.media.exists(key):  # a retried job, or another chat with the same limit
        await rep.send("done", stage="done", percent=100)
        return "done"
    used = {s.media_id for s in version.plan.segments}
    if version.plan.music is not None:
        used.add(version.plan.music.media_id)
    library = await _library(deps, request, used, rep)
    work = deps.scratch_dir / pid / f"v{number}-fit{target}"
    work.mkdir(parents=True, exist_ok=True)
    spec = deps.pipeline.render_spec(
        version.plan, work / f"v{number}-fit.mp4", draft=request.draft, target_size_bytes=target
    )
    # the pipeline's own render, never deps.render: a handed-off (fanned-out) render would be
    # finished as the version's main movie
    result = await deps.pipeline.render(version.plan, library, spec, rep.progress)
    await deps.media.put(key, result.path, "video/mp4")
    await rep.send("done", stage="done", percent=100, message=str(result.size_bytes))
    return "done"


async def _library(deps: JobDeps, request: JobRequest, used: set[str], rep: _Reporter) -> Library:
    """The media the plan uses, removed or not (the version was made with them)."""
    await rep.progress("materialise", 0.0)
    records = await deps.store.list_media(request.project_id, include_removed=True)
    dest = deps.scratch_dir / request.project_id / "media"
    dest.mkdir(parents=True, exist_ok=True)
    items: list[MediaItem] = []
    for record in records:
        if record.media_id not in used:
            continue
        try:
            path = await deps.media.get(record.storage_key, dest)
        except FileNotFoundError:
            raise UserFacingError(
                "A file this movie uses is gone, so I can't re-render it smaller."
            ) from None
        items.append(record.item.model_copy(update={"path": path}))
    await rep.progress("materialise", 1.0)
    return await deps.pipeline.analyse(items, rep.progress)  # cached: the version was analysed
