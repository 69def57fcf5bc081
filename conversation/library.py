"""The project's media as the refinement parser sees it: file names, contributors, and (when the
analysis cache has them) content tags."""

from __future__ import annotations

import logging

from conversation.context import Ctx
from conversation.models import MediaRecord, Version
from conversation.refinement import Catalog, build_catalog
from pipeline.models import EditPlan, Library, MediaKind

log = logging.getLogger("conversation.library")


async def library_for(ctx: Ctx, records: list[MediaRecord]) -> Library | None:
    """Analysis of the project's photos and clips. The pipeline caches it per content hash, so
    after the first movie this is a cache read; before it, it is real work done once."""
    visual = [r.item for r in records if not r.removed and r.item.kind != MediaKind.MUSIC and r.item.path.exists()]
    if not visual:
        return None
    key = ",".join(sorted(i.id for i in visual))
    cache = ctx.deps.library_cache
    if key in cache:
        return cache[key]
    try:
        library = await ctx.deps.pipeline.analyse(visual)
    except Exception:  # tags are a help for references; file names still work without them
        log.warning("analysis for references failed; using file names only", exc_info=True)
        return None
    if len(cache) > 256:
        cache.clear()
    cache[key] = library
    return library


async def catalog_for(
    ctx: Ctx, records: list[MediaRecord], parent: Version | None, *, with_tags: bool
) -> Catalog:
    plan: EditPlan | None = parent.plan if parent else None
    library = await library_for(ctx, records) if with_tags else None
    request = parent.request if parent else (ctx.project.request if ctx.project else None)
    return build_catalog(records, library, plan, request)
