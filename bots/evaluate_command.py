"""`memory-movie evaluate movie.mp4 --plan plan.json [--media DIR]`: the objective metrics as a table.

Without --media only the plan-only and rendered-movie parts are scored; with it the media are
taken in and analysed (through the analysis cache, so a second run is quick) and every metric
that needs the library joins in."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from pydantic import ValidationError

from bots.settings import AppSettings
from pipeline.models import Critique, EditPlan, Library
from pipeline.settings import PipelineSettings


def run_evaluate(args: argparse.Namespace, settings: AppSettings) -> int:
    media = getattr(args, "media", None)
    missing = [str(p) for p in (args.movie, args.plan, *([media] if media else [])) if not p.exists()]
    if missing:
        print(f"memory-movie: not found: {', '.join(missing)}", file=sys.stderr)
        return 2
    try:
        plan = EditPlan.model_validate_json(args.plan.read_text())
    except (ValidationError, ValueError, UnicodeDecodeError):
        print(
            f"memory-movie: {args.plan.name} is not an edit plan (write one with `make --plan-out`)",
            file=sys.stderr,
        )
        return 2
    try:
        critique = asyncio.run(_evaluate(args, settings, plan))
    except RuntimeError as e:  # ffmpeg could not read the movie
        print(f"memory-movie: {e}", file=sys.stderr)
        return 1
    print(format_table(critique))
    return 0


async def _evaluate(args: argparse.Namespace, settings: AppSettings, plan: EditPlan) -> Critique:
    from pipeline.evaluation.movie_metrics import evaluate_movie

    pipeline_settings = settings.pipeline()
    library: Library | None = None
    if getattr(args, "media", None):
        library = await _library(args.media, pipeline_settings)
    return await evaluate_movie(args.movie, plan, library, ffmpeg=pipeline_settings.ffmpeg_exe())


async def _library(folder: Path, settings: PipelineSettings) -> Library:
    from pipeline.api import Pipeline

    pipeline = Pipeline(settings)
    files = sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else [folder]
    report = await pipeline.intake(files)
    return await pipeline.analyse(report.accepted)


def format_table(critique: Critique) -> str:
    from pipeline.evaluation.movie_metrics import MOVIE_WEIGHTS
    from pipeline.evaluation.plan_metrics import WEIGHTS

    weights = {**WEIGHTS, **MOVIE_WEIGHTS}
    width = max(len(n) for n in [*critique.parts, "overall"])
    lines = [f"{'metric':<{width}}  score  weight", f"{'-' * width}  -----  ------"]
    for name, score in critique.parts.items():
        lines.append(f"{name:<{width}}  {score:5.2f}  {weights.get(name, 0.1):6.2f}")
    lines.append(f"{'-' * width}  -----")
    lines.append(f"{'overall':<{width}}  {critique.score:5.2f}  ({critique.critic})")
    skipped = sorted(set(WEIGHTS) - set(critique.parts))
    if skipped:
        lines.append(f"not scored without --media: {', '.join(skipped)}")
    for issue in critique.issues:
        lines.append(f"- {issue}")
    return "\n".join(lines)
