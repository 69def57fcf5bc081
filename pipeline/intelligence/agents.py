"""ADK orchestration: root = SequentialAgent(analysis, composition, LoopAgent(evaluate, refine), render).

Deterministic steps are custom BaseAgents over the run's Brain: the GeminiBrain (whose plan and
refine steps call Gemini through pipeline.intelligence.client and fall back offline on failure)
or the OfflineBrain when there is no key or local-only is on. With Gemini, the evaluate step also
runs an ADK LlmAgent (`ai_review`, structured output) and folds its verdict into the metrics;
offline the same tree runs with no model at all. Heavy objects (library, plans) stay in the run's Workspace; the session state carries
only small facts (scores, rounds), which is what ADK persists and what tests read back.

The loop: `evaluate` critiques the newest candidate, keeps it only if it scored better, and
escalates (ends the loop) when the score is good enough or the last refinement didn't help;
`refine` makes the next candidate and escalates once it has used its rounds. max_iterations is
rounds + 1 so the last refinement is still judged.
"""

from __future__ import annotations

import asyncio
import time
import warnings
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.models import Critique, EditPlan, Library, MediaItem, PlanRequest, RenderResult

if TYPE_CHECKING:
    from pipeline.api import Brain, Pipeline, PlanOutcome

APP = "memory-movie"
REVIEW_KEY = "ai_review"
REVIEW_TIMEOUT = 120.0  # seconds for the review agent, retries included


@dataclass
class Workspace:
    pipeline: Pipeline
    brain: Brain
    request: PlanRequest
    items: tuple[MediaItem, ...] = ()
    library: Library | None = None
    parent: EditPlan | None = None
    output: Path | None = None
    draft: bool = True
    plan: EditPlan | None = None
    candidate: EditPlan | None = None
    critiques: list[Critique] = field(default_factory=list)
    refinements: int = 0
    review_prompt: str = ""
    render: RenderResult | None = None
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class AgentRun:
    plan: EditPlan
    library: Library
    critiques: tuple[Critique, ...]
    notes: tuple[str, ...]
    render: RenderResult | None
    events: tuple[tuple[str, str], ...]  # (author, text) as the Runner yielded them
    state: dict[str, Any]


def _adk() -> Any:
    # LoopAgent is marked deprecated in ADK 2.x in favour of Workflow, which can't yet host
    # custom agents the same way; the warning is not ours to fix
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from google.adk import agents, events, runners, sessions

    return agents, events, runners, sessions


def build_root_agent(ws: Workspace, rounds: int) -> Any:
    """The agent tree for one run (agents hold the workspace, so they are built per run)."""
    agents, adk_events, _, _ = _adk()
    from google.genai import types

    base: Any = agents.BaseAgent

    from pipeline.api import GOOD_ENOUGH
    from pipeline.intelligence import prompts
    from pipeline.intelligence.brain import combine_review, review_request
    from pipeline.intelligence.schemas import CritiqueDraft

    def event(ctx: Any, author: str, text: str, *, escalate: bool = False, **state: Any) -> Any:
        return adk_events.Event(
            author=author,
            invocation_id=ctx.invocation_id,
            content=types.Content(role="model", parts=[types.Part(text=text)]),
            actions=adk_events.EventActions(state_delta=state, escalate=escalate or None),
        )

    def collect_notes() -> None:
        drain = getattr(ws.brain, "drain_notes", None)
        if drain is not None:
            ws.notes += [n for n in drain() if n not in ws.notes]

    class Analysis(base):
        async def _run_async_impl(self, ctx: Any) -> AsyncGenerator[Any, None]:
            if ws.library is None:
                ws.library = await ws.pipeline.analyse(ws.items)
            enrich = getattr(ws.brain, "analyse", None)
            if enrich is not None:  # Gemini's tags and scores on top of the local analysis
                ws.library = await enrich(ws.library)
            collect_notes()
            n = len(ws.library.items)
            yield event(ctx, self.name, f"analysed {n} item(s)", media=n)

    class Composition(base):
        async def _run_async_impl(self, ctx: Any) -> AsyncGenerator[Any, None]:
            assert ws.library is not None
            ws.plan = await ws.brain.plan(ws.request, ws.library, ws.parent)
            ws.candidate = ws.plan
            collect_notes()
            yield event(ctx, self.name, f"planned {len(ws.plan.segments)} shots by {ws.plan.planner}",
                        shots=len(ws.plan.segments), planner=ws.plan.planner)  # fmt: skip

    class Evaluate(base):
        """Objective metrics, plus (with Gemini) the model's review from the `ai_review` LlmAgent."""

        async def _run_async_impl(self, ctx: Any) -> AsyncGenerator[Any, None]:
            assert ws.library is not None and ws.candidate is not None
            if not self.sub_agents:
                verdict = await ws.brain.critique(ws.candidate, ws.library)
            else:
                metrics = await ws.brain.metrics(ws.candidate, ws.library)  # type: ignore[attr-defined]
                ws.review_prompt = review_request(ws.candidate, metrics)
                review = None
                started = time.monotonic()
                try:
                    async with asyncio.timeout(REVIEW_TIMEOUT):
                        async for ev in self.sub_agents[0].run_async(ctx):
                            yield ev
                            if ev.usage_metadata is not None:  # same per-call usage log as the client's
                                ws.brain.client.record(  # type: ignore[attr-defined]
                                    "review (ADK)", ev.usage_metadata.prompt_token_count or 0,
                                    ev.usage_metadata.candidates_token_count or 0, started, 1,
                                    getattr(ws.brain, "project_id", None),
                                )  # fmt: skip
                            if ev.actions.state_delta.get(REVIEW_KEY) is not None:
                                review = CritiqueDraft.model_validate(ev.actions.state_delta[REVIEW_KEY])
                    if review is None:
                        raise ValueError("the review agent gave no verdict")
                except Exception as e:  # noqa: BLE001 - any failure of the model step falls back to the metrics
                    ws.brain.note_fallback("the review", e)  # type: ignore[attr-defined]
                    verdict = metrics
                else:
                    verdict = combine_review(metrics, review)
            collect_notes()
            if ws.critiques and verdict.score <= ws.critiques[-1].score:
                ws.candidate = ws.plan  # refinement stopped helping: keep the better cut
                yield event(ctx, self.name, f"score {verdict.score:.3f} is no better: keeping the previous cut",
                            escalate=True, rejected_score=verdict.score)  # fmt: skip
                return
            ws.plan = ws.candidate
            ws.critiques.append(verdict)
            good = verdict.score >= GOOD_ENOUGH
            yield event(ctx, self.name, f"score {verdict.score:.3f}" + (" is good enough" if good else ""),
                        escalate=good, score=verdict.score, reviews=len(ws.critiques))  # fmt: skip

    class Refine(base):
        async def _run_async_impl(self, ctx: Any) -> AsyncGenerator[Any, None]:
            assert ws.library is not None and ws.plan is not None
            if ws.refinements >= rounds:
                yield event(ctx, self.name, "out of refinement rounds", escalate=True)
                return
            ws.candidate = await ws.brain.refine(ws.plan, ws.critiques[-1], ws.library)
            ws.refinements += 1
            collect_notes()
            yield event(ctx, self.name, f"refinement {ws.refinements}", refinements=ws.refinements)

    class Render(base):
        async def _run_async_impl(self, ctx: Any) -> AsyncGenerator[Any, None]:
            assert ws.library is not None and ws.plan is not None
            if ws.output is None:
                yield event(ctx, self.name, "no output requested: render skipped", rendered=False)
                return
            spec = ws.pipeline.render_spec(ws.plan, ws.output, draft=ws.draft)
            ws.render = await ws.pipeline.render(ws.plan, ws.library, spec)
            yield event(
                ctx, self.name, f"rendered {ws.render.path.name} ({ws.render.duration:.1f} s)", rendered=True
            )

    reviewer: list[Any] = []
    review_model = getattr(ws.brain, "review_model", None)
    if review_model is not None:  # the Gemini step of the loop is a real LlmAgent
        reviewer.append(
            agents.LlmAgent(
                name="ai_review",
                model=review_model(),
                # a provider, not a template: the plan's JSON has braces ADK would try to fill in
                instruction=lambda _ctx: f"{prompts.CRITIC}\n\n{ws.review_prompt}",
                include_contents="none",
                output_schema=CritiqueDraft,
                output_key=REVIEW_KEY,
            )
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        loop = agents.LoopAgent(
            name="critique_loop",
            max_iterations=rounds + 1,
            sub_agents=[Evaluate(name="evaluate", sub_agents=reviewer), Refine(name="refine")],
        )
        return agents.SequentialAgent(
            name="memory_movie",
            description="analyse, compose, critique and refine, render",
            sub_agents=[
                Analysis(name="analysis"),
                Composition(name="composition"),
                loop,
                Render(name="render"),
            ],
        )


async def run_agents(
    pipeline: Pipeline,
    request: PlanRequest,
    *,
    library: Library | None = None,
    items: tuple[MediaItem, ...] = (),
    parent: EditPlan | None = None,
    output: Path | None = None,
    draft: bool = True,
    user_id: str = "local",
) -> AgentRun:
    """Analyse (unless `library` is given), plan, critique/refine and render (when `output` is
    given) through an ADK Runner, with the pipeline's brain in every step."""
    _, _, runners, sessions = _adk()
    from google.genai import types

    ws = Workspace(pipeline, pipeline.brain, request, items, library, parent, output, draft)
    root = build_root_agent(ws, pipeline.settings.refine_rounds)
    service = sessions.InMemorySessionService()
    runner = runners.Runner(app_name=APP, agent=root, session_service=service)
    session = await service.create_session(app_name=APP, user_id=user_id)
    seen: list[tuple[str, str]] = []
    message = types.Content(role="user", parts=[types.Part(text="make the movie")])
    async for ev in runner.run_async(user_id=user_id, session_id=session.id, new_message=message):
        text = ev.content.parts[0].text if ev.content and ev.content.parts else ""
        seen.append((ev.author, text or ""))
    final = await service.get_session(app_name=APP, user_id=user_id, session_id=session.id)
    assert ws.plan is not None and ws.library is not None
    return AgentRun(
        plan=ws.plan,
        library=ws.library,
        critiques=tuple(ws.critiques),
        notes=tuple(ws.notes),
        render=ws.render,
        events=tuple(seen),
        state=dict(final.state) if final else {},
    )


async def plan_with_agents(
    pipeline: Pipeline, request: PlanRequest, library: Library, parent: EditPlan | None = None
) -> PlanOutcome:
    """Drop-in for `Pipeline.plan` that runs the plan/critique/refine loop as ADK agents."""
    from pipeline.api import PlanOutcome

    run = await run_agents(pipeline, request, library=library, parent=parent)
    return PlanOutcome(plan=run.plan, critiques=run.critiques, notes=run.notes)
