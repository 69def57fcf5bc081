"""The pipeline's one entry point: what the conversation core, the CLI and the workers call.

Stages stay independent (`intake -> analyse -> plan -> (critique -> refine)* -> render`); this
facade only wires them with the settings and an optional intelligence backend, so callers never
reach into a stage's insides.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from pipeline.edits import EditCommand
from pipeline.models import (
    ASPECT_SIZES,
    Critique,
    EditPlan,
    Frozen,
    IntakeReport,
    Library,
    MediaItem,
    PlanRequest,
    ProgressFn,
    RenderResult,
    RenderSpec,
    no_progress,
)
from pipeline.settings import PipelineSettings


class Brain(Protocol):
    """Planning intelligence: the offline heuristics or Gemini via ADK (pipeline.intelligence)."""

    name: str

    async def plan(self, request: PlanRequest, library: Library, parent: EditPlan | None) -> EditPlan: ...

    async def critique(self, plan: EditPlan, library: Library) -> Critique: ...

    async def refine(self, plan: EditPlan, critique: Critique, library: Library) -> EditPlan: ...


class PlanOutcome(Frozen):
    plan: EditPlan
    critiques: tuple[Critique, ...] = ()  # one per round; the last is the delivered plan's
    notes: tuple[str, ...] = ()  # e.g. "Gemini was unavailable, planned offline"


class MovieOutcome(Frozen):
    intake: IntakeReport
    plan: EditPlan
    render: RenderResult
    critiques: tuple[Critique, ...] = ()
    notes: tuple[str, ...] = ()


GOOD_ENOUGH = 0.85


class Pipeline:
    def __init__(self, settings: PipelineSettings, brain: Brain | None = None) -> None:
        self.settings = settings
        self._brain = brain

    @property
    def brain(self) -> Brain:
        if self._brain is None:
            from pipeline.offline import OfflineBrain

            self._brain = OfflineBrain()
        return self._brain

    async def intake(self, paths: Sequence[Path], progress: ProgressFn = no_progress) -> IntakeReport:
        from pipeline.intake import intake_files

        return await intake_files(paths, self.settings, progress)

    async def analyse(self, items: Sequence[MediaItem], progress: ProgressFn = no_progress) -> Library:
        from pipeline.analysis import analyse_media

        return await analyse_media(items, self.settings, progress)

    async def plan(
        self,
        request: PlanRequest,
        library: Library,
        parent: EditPlan | None = None,
        progress: ProgressFn = no_progress,
    ) -> PlanOutcome:
        """Plan, then critique and refine until good enough or out of rounds."""
        brain = self.brain
        if getattr(brain, "uses_adk", False):  # GeminiBrain: this same loop, run as ADK agents
            from pipeline.intelligence.agents import plan_with_agents

            await progress("planning", 0.0)
            outcome = await plan_with_agents(self, request, library, parent)
            await progress("planning", 1.0)
            return outcome
        await progress("planning", 0.0)
        plan = await brain.plan(request, library, parent)
        critiques = [await brain.critique(plan, library)]
        # a brain whose rounds are cheap (offline: milliseconds) may set a higher bar
        good_enough = getattr(brain, "good_enough", GOOD_ENOUGH)
        for round_no in range(self.settings.refine_rounds):
            if critiques[-1].score >= good_enough:
                break
            await progress("planning", (round_no + 1) / (self.settings.refine_rounds + 1))
            candidate = await brain.refine(plan, critiques[-1], library)
            verdict = await brain.critique(candidate, library)
            if verdict.score <= critiques[-1].score:
                break  # refinement stopped helping: keep the better cut
            plan = candidate
            critiques.append(verdict)
        await progress("planning", 1.0)
        drain = getattr(brain, "drain_notes", None)  # a brain that fell back says so (GeminiBrain)
        return PlanOutcome(plan=plan, critiques=tuple(critiques), notes=tuple(drain()) if drain else ())

    @property
    def reads_feedback(self) -> bool:
        """Whether an AI brain can read free-text feedback (never offline or in privacy mode)."""
        return hasattr(self.brain, "interpret_feedback")

    async def interpret_feedback(
        self, text: str, plan: EditPlan, library: Library
    ) -> tuple[EditCommand, ...] | None:
        """Typed edits the AI brain reads in free-text feedback the offline parser couldn't place;
        None when there is no AI brain (offline, privacy mode) or it understood nothing."""
        interpret = getattr(self.brain, "interpret_feedback", None)
        if interpret is None:
            return None
        commands: tuple[EditCommand, ...] | None = await interpret(text, plan, library)
        return commands or None

    def render_spec(
        self,
        plan: EditPlan,
        output: Path,
        *,
        draft: bool = False,
        target_size_bytes: int | None = None,
    ) -> RenderSpec:
        width, height = ASPECT_SIZES[plan.aspect]
        if draft:  # 480-line preview with the final's timing
            scale = 480 / min(width, height)
            width, height = (round(width * scale / 2) * 2, round(height * scale / 2) * 2)
        return RenderSpec(
            output=output,
            width=width,
            height=height,
            draft=draft,
            preset="ultrafast" if draft else "veryfast",
            crf=28 if draft else 21,
            target_size_bytes=target_size_bytes,
            work_dir=self.settings.work_dir / "chunks",
        )

    async def render(
        self, plan: EditPlan, library: Library, spec: RenderSpec, progress: ProgressFn = no_progress
    ) -> RenderResult:
        from pipeline.render import render_movie

        return await render_movie(plan, library, spec, self.settings, progress)

    async def storyboard(self, plan: EditPlan, library: Library, output: Path) -> Path:
        from pipeline.render import render_storyboard

        return await render_storyboard(plan, library, output, self.settings)

    async def make(
        self,
        paths: Sequence[Path],
        request: PlanRequest,
        output: Path,
        *,
        draft: bool = False,
        progress: ProgressFn = no_progress,
    ) -> MovieOutcome:
        """The one-shot movie: files in, MP4 out."""
        report = await self.intake(paths, progress)
        library = await self.analyse(report.accepted, progress)
        planned = await self.plan(request, library, progress=progress)
        spec = self.render_spec(planned.plan, output, draft=draft)
        result = await self.render(planned.plan, library, spec, progress)
        return MovieOutcome(
            intake=report, plan=planned.plan, render=result, critiques=planned.critiques, notes=planned.notes
        )
