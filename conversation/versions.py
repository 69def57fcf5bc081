"""Versions: numbering, lineage, and saying what a version is and what changed."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from conversation.models import Version
from conversation.ports import DuplicateVersion, ProjectStore
from conversation.texts import plural, seconds
from pipeline.models import EditPlan, Library, MediaItem, MediaKind

log = logging.getLogger("conversation.versions")

IN_FLIGHT = ("queued", "planning", "rendering")


def in_flight(versions: list[Version]) -> list[Version]:
    return [v for v in versions if v.status in IN_FLIGHT]


def latest_ready(versions: list[Version]) -> Version | None:
    ready = [v for v in versions if v.status == "ready"]
    return max(ready, key=lambda v: v.number) if ready else None


async def create_next(
    store: ProjectStore, draft: Version, versions: list[Version] | None = None, *, highest: int | None = None
) -> Version:
    """Store `draft` under the next free number; another process may take a number first.
    `highest`: the highest number known to exist (saves reading every version)."""
    if highest is None:
        if versions is None:
            versions = await store.list_versions(draft.project_id)
        highest = max((v.number for v in versions), default=0)
    number = highest + 1
    for _ in range(20):
        version = draft.model_copy(update={"number": number})
        try:
            await store.create_version(version)
            return version
        except DuplicateVersion:
            if versions is None:  # `highest` was short (a queue that records no jobs): look once
                versions = await store.list_versions(draft.project_id)
                number = max([number, *(v.number for v in versions)]) + 1
            else:
                number += 1
    raise DuplicateVersion(f"{draft.project_id}: no free version number")


@dataclass(frozen=True)
class Outline:
    """What the hot path needs to know about a project's versions, read from its job rows (a few
    fields each) instead of `list_versions`, which loads every version's whole plan."""

    highest: int  # the highest version number made so far (0: none)
    running: list[Version]  # the versions being made now, oldest first (read in full: few)
    recent: int  # make/refine jobs started in the last hour (an upper bound for movie caps)


async def outline(store: ProjectStore, project_id: str, since: datetime) -> Outline:
    """Every version has a make/refine job with a deterministic id (<project>:v<n>:make|refine)
    that the queue records in the store, so the job rows give the numbers and which versions may
    be running; only those few are read, and kept only if the version itself says it is in flight."""
    jobs = [j for j in await store.list_jobs(project_id=project_id)
            if j.version is not None and j.id.endswith((":make", ":refine"))]  # fmt: skip
    highest = max((j.version or 0 for j in jobs), default=0)  # create_next copes if it falls short
    maybe = sorted({j.version for j in jobs if j.status in ("queued", "processing") and j.version is not None})
    running = []
    for n in maybe:
        v = await store.get_version(project_id, n)
        if v is not None and v.status in IN_FLIGHT:
            running.append(v)
    recent = len({j.version for j in jobs if j.created_at >= since and j.status != "cancelled"})
    return Outline(highest=highest, running=running, recent=recent)


def describe_plan(plan: EditPlan) -> str:
    """'14 shots on a 124 BPM song, 40 s'."""
    shots = plural(len(plan.segments), "shot")
    song = f" on a {plan.tempo:.0f} BPM song" if plan.music and plan.tempo else " on a song" if plan.music else ""
    return f"{shots}{song}, {seconds(plan.duration)}"


def what_changed(parent: EditPlan | None, plan: EditPlan, items: dict[str, MediaItem]) -> str:
    """What changed from the parent, in words (the planner's own summary is preferred when it exists)."""
    if parent is None:
        return describe_plan(plan)
    try:
        from pipeline.planning import summarize_changes

        text = str(summarize_changes(parent, plan, Library(items=items))).strip().rstrip(".")
        if text:
            return text
    except Exception:  # the planner's summary is a nicety: our own diff below is enough
        log.debug("summarize_changes unavailable", exc_info=True)
    names = {k: v.original_name for k, v in items.items()}
    parts = []
    if abs(parent.duration - plan.duration) >= 0.5:
        parts.append(f"{seconds(parent.duration)} → {seconds(plan.duration)}")
    if parent.aspect != plan.aspect:
        parts.append(f"{parent.aspect} → {plan.aspect}")
    if len(parent.segments) != len(plan.segments):
        parts.append(f"{len(parent.segments)} → {len(plan.segments)} shots")
    before = {s.media_id for s in parent.segments}
    after = {s.media_id for s in plan.segments}
    gone = sorted(names.get(m, m) for m in before - after)
    new = sorted(names.get(m, m) for m in after - before)
    if gone:
        parts.append("removed " + ", ".join(gone[:4]) + ("…" if len(gone) > 4 else ""))
    if new:
        parts.append("added " + ", ".join(new[:4]) + ("…" if len(new) > 4 else ""))
    pm = parent.music.media_id if parent.music else None
    nm = plan.music.media_id if plan.music else None
    if pm != nm:
        parts.append(f"music: {names.get(nm or '', 'none')}")
    if parent.title != plan.title:
        parts.append(f"title “{plan.title}”" if plan.title else "no title")
    if not parts:
        return "same shots, new timing"
    return ", ".join(parts)


def version_line(v: Version, current: int | None) -> str:
    mark = " ← current" if v.number == current else ""
    parent = f" (from v{v.parent})" if v.parent else ""
    what = v.summary or (describe_plan(v.plan) if v.plan else "")
    status = "" if v.status == "ready" else f" [{v.status}]"
    return f"v{v.number}{parent}: {what}{status}{mark}".replace(":  ", ": ")


def count_kinds(kinds: list[MediaKind]) -> str:
    """'3 photos, 1 clip, 1 song'."""
    parts = []
    for kind, word in ((MediaKind.PHOTO, "photo"), (MediaKind.VIDEO, "clip"), (MediaKind.MUSIC, "song")):
        n = sum(1 for k in kinds if k == kind)
        if n:
            parts.append(plural(n, word))
    return ", ".join(parts) or "nothing"
