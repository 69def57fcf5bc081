"""`memory-movie make`: the one-shot movie, stage by stage with progress and a plain summary."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from bots.progress import StageBars
from bots.settings import AppSettings
from bots.wiring import make_pipeline
from pipeline.errors import UserFacingError
from pipeline.models import IntakeReport, LeftOut, Library, MediaKind, PlanRequest


def run_make(args: argparse.Namespace, settings: AppSettings) -> int:
    try:
        return asyncio.run(_make(args, settings))
    except UserFacingError as e:
        print(f"memory-movie: {e.message}", file=sys.stderr)
        return 1


async def _make(args: argparse.Namespace, settings: AppSettings) -> int:
    pipeline = make_pipeline(settings)
    bars = StageBars()
    inputs = [*args.inputs, *([args.music] if args.music else [])]
    missing = [str(p) for p in inputs if not p.exists()]
    if missing:
        print(f"memory-movie: not found: {', '.join(missing)}", file=sys.stderr)
        return 2

    report = await pipeline.intake(inputs, bars)
    library = await pipeline.analyse(report.accepted, bars)
    request = PlanRequest(
        prompt=args.prompt,
        duration=args.duration,
        aspect=args.aspect,
        music_id=_music_id(report, args.music),
    )
    planned = await pipeline.plan(request, library, progress=bars)
    plan = planned.plan
    if args.plan_out:
        args.plan_out.parent.mkdir(parents=True, exist_ok=True)
        args.plan_out.write_text(plan.model_dump_json(indent=2))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    spec = pipeline.render_spec(plan, args.output.resolve(), draft=args.draft)
    result = await pipeline.render(plan, library, spec, bars)
    bars.close()

    print(f"{result.path}  ({result.duration:.1f} s, {result.width}x{result.height}, "
          f"{len(plan.segments)} shots, {result.size_bytes / 1e6:.1f} MB)")
    if planned.critiques:
        print(f"quality score {planned.critiques[-1].score:.2f} after {len(planned.critiques)} review(s)")
    for note in planned.notes:
        print(f"note: {note}")
    for line in _left_out_lines(report, library, plan.left_out):
        print(f"  left out: {line}")
    return 0


def _music_id(report: IntakeReport, music: Path | None) -> str | None:
    if music is None:
        return None
    for item in report.accepted:
        if item.kind == MediaKind.MUSIC and item.original_name == music.name:
            return item.id
    raise UserFacingError(f"{music.name} isn't a song I can use (see the skipped files above).")


def _left_out_lines(report: IntakeReport, library: Library, left_out: Sequence[LeftOut]) -> list[str]:
    lines = [f"{r.name}: {r.reason}" for r in report.rejected]
    for item in left_out:
        media = library.items.get(item.media_id)
        lines.append(f"{media.original_name if media else item.media_id}: {item.reason}")
    return lines
