"""Does the offline self-correction loop help? Score of the first plan vs the plan after the
critique -> refine loop, on the dev corpus analysed for real, for a spread of requests.

Two starting points: (A) the heuristic planner's first plan, which is built to satisfy the same
critic (the loop must not make it worse), and (B) a careless first draft of the kind a language
model returns (every file in the order sent, 3 s each, then repaired by
pipeline.intelligence.repair like any AI draft), which the loop has to fix.

    .venv/bin/python benchmarks/self_correction.py [--corpus ../shared/corpus/dev] [--work DIR]

The baseline is the first plan of each request, measured in the same run by the same critic
(pipeline.evaluation.evaluate_plan); the loop runs twice, through the Pipeline facade and as
ADK agents (pipeline.intelligence.agents), which must agree. Local-only: no network.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.analysis import analyse_media  # noqa: E402
from pipeline.api import Pipeline  # noqa: E402
from pipeline.intake import intake_files  # noqa: E402
from pipeline.intelligence.repair import repair_plan  # noqa: E402
from pipeline.intelligence.schemas import PlanDraft, ShotDraft  # noqa: E402
from pipeline.models import EditPlan, Library, MediaKind, PlanRequest  # noqa: E402
from pipeline.offline import OfflineBrain  # noqa: E402
from pipeline.settings import PipelineSettings  # noqa: E402

REQUESTS = [
    PlanRequest(prompt="a short recap of our trip"),
    PlanRequest(prompt="a 20 second upbeat teaser", duration=20.0),
    PlanRequest(prompt="calm and nostalgic, one minute", duration=60.0),
    PlanRequest(prompt="45 seconds, energetic", duration=45.0, mood="energetic"),
    PlanRequest(prompt="vertical story for my phone", aspect="9:16", duration=30.0),
    PlanRequest(prompt="in the order I sent them", order="as_sent", duration=40.0),
    PlanRequest(prompt="slow start please", pace={"start": 1.6}, duration=35.0),
    PlanRequest(prompt="quick cuts everywhere", pace={"all": 0.6}, duration=30.0),
]


def _song(library: Library, name_part: str) -> str | None:
    return next(
        (
            m
            for m, it in library.items.items()
            if it.kind == MediaKind.MUSIC and name_part in it.original_name
        ),
        None,
    )


class CarelessDraftBrain(OfflineBrain):
    """Starts from a careless draft; critiques and refines like the offline brain."""

    name = "careless-draft"

    async def plan(self, request: PlanRequest, library: Library, parent: EditPlan | None) -> EditPlan:
        baseline = await super().plan(request, library, parent)
        shots = [
            ShotDraft(media_id=m, seconds=3.0)
            for m, it in library.items.items()
            if it.kind != MediaKind.MUSIC
        ]
        plan, _ = repair_plan(PlanDraft(shots=shots), baseline, library)
        return plan


async def run_set(
    title: str, pipeline: Pipeline, library: Library, requests: list[PlanRequest]
) -> tuple[list[float], list[float]]:
    from pipeline.intelligence.agents import run_agents

    firsts, finals, agent_finals, rounds = [], [], [], []
    part_first: dict[str, list[float]] = {}
    part_final: dict[str, list[float]] = {}
    print(f"== {title}")
    print(f"{'request':<42} {'first':>6} {'after':>6} {'agents':>6} {'rounds':>6}  improved parts")
    for req in requests:
        outcome = await pipeline.plan(req, library)
        first, final = outcome.critiques[0], outcome.critiques[-1]
        agents = await run_agents(pipeline, req, library=library)
        firsts.append(first.score)
        finals.append(final.score)
        agent_finals.append(agents.critiques[-1].score)
        rounds.append(len(outcome.critiques) - 1)
        for name, v in first.parts.items():
            part_first.setdefault(name, []).append(v)
            part_final.setdefault(name, []).append(final.parts[name])
        fixed = [n for n, v in final.parts.items() if v > first.parts[n] + 1e-3]
        label = (req.prompt or "")[:40]
        print(f"{label:<42} {first.score:6.3f} {final.score:6.3f} {agents.critiques[-1].score:6.3f} "
              f"{rounds[-1]:6d}  {', '.join(fixed) or '-'}")  # fmt: skip
    print("metric parts, mean over requests (first -> after the loop):")
    for name in part_first:
        a, b = statistics.mean(part_first[name]), statistics.mean(part_final[name])
        mark = "  +" if b > a + 1e-3 else ("  -" if b < a - 1e-3 else "")
        print(f"  {name:<14} {a:6.3f} -> {b:6.3f}{mark}")
    med_first, med_final = statistics.median(firsts), statistics.median(finals)
    print(f"median score: first plan {med_first:.3f}, after the loop {med_final:.3f} "
          f"(ratio {med_final / med_first:.3f}); mean {statistics.mean(firsts):.3f} -> {statistics.mean(finals):.3f}")  # fmt: skip
    print(f"improved {sum(b > a + 1e-4 for a, b in zip(firsts, finals, strict=True))}/{len(firsts)} requests, "
          f"worse on none: {all(b >= a for a, b in zip(firsts, finals, strict=True))}; "
          f"ADK agents agree with the facade: {all(abs(a - b) < 1e-6 for a, b in zip(finals, agent_finals, strict=True))}\n")  # fmt: skip
    return firsts, finals


async def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus" / "dev")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "mm-bench-self-correction")
    args = ap.parse_args()
    if not args.corpus.is_dir():
        print(f"corpus not found: {args.corpus}")
        return 2
    settings = PipelineSettings(work_dir=args.work, local_only=True, refine_rounds=3)
    t0 = time.perf_counter()
    report = await intake_files(sorted(p for p in args.corpus.iterdir() if p.name[0] == "d"), settings)
    library = await analyse_media(report.accepted, settings)
    print(f"dev corpus: {len(library.photos)} photos, {len(library.videos)} clips, {len(library.music)} songs "
          f"(intake + analysis {time.perf_counter() - t0:.1f} s, cached in {args.work})\n")  # fmt: skip

    requests = [*REQUESTS]
    slow = _song(library, "ragtime")
    if slow:  # the same request on the other song: beats and energy differ a lot
        requests.append(PlanRequest(prompt="a short recap on the ragtime", music_id=slow, duration=40.0))

    await run_set("A: heuristic first plan", Pipeline(settings), library, requests)
    await run_set(
        "B: careless first draft (AI-style), repaired",
        Pipeline(settings, brain=CarelessDraftBrain()),
        library,
        requests,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
