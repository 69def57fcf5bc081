"""The ADK agent tree really runs: events from the Runner, the loop's stopping rules, and the
same agents on the offline brain with zero requests to Gemini."""

from __future__ import annotations

import json

import pytest

from pipeline.api import GOOD_ENOUGH, Pipeline
from pipeline.intelligence import gemini_brain
from pipeline.intelligence.agents import plan_with_agents, run_agents
from pipeline.models import Critique, EditPlan, Library, PlanRequest
from pipeline.offline import OfflineBrain
from tests.unit.pipeline.planning.synth import make_library, mid


@pytest.fixture
def library():
    return make_library(n_photos=10)


def _authors(run) -> list[str]:
    return [a for a, _ in run.events]


class ScriptedBrain(OfflineBrain):
    """The offline brain with scripted critique scores (to drive the loop's exits)."""

    def __init__(self, scores: list[float]) -> None:
        self.scores = iter(scores)
        self.refines = 0

    async def critique(self, plan: EditPlan, library: Library) -> Critique:
        base = await super().critique(plan, library)
        return base.model_copy(update={"score": next(self.scores)})

    async def refine(self, plan, critique, library):
        self.refines += 1
        return await super().refine(plan, critique, library)


async def test_offline_agents_run_through_the_runner_with_zero_requests(gemini, ai_settings, library):
    private = ai_settings.model_copy(update={"local_only": True})
    pipeline = Pipeline(private, brain=gemini_brain(private))
    run = await run_agents(pipeline, PlanRequest(duration=15.0), library=library)
    authors = _authors(run)
    assert authors[:3] == ["analysis", "composition", "evaluate"]
    assert authors[-1] == "render" and "render skipped" in run.events[-1][1]
    assert run.plan.planner == "heuristic" and run.critiques
    assert run.state["shots"] == len(run.plan.segments) and run.state["score"] == run.critiques[-1].score
    assert gemini.requests == []


async def test_loop_exits_on_a_good_score(ai_settings, library):
    brain = ScriptedBrain([0.5, GOOD_ENOUGH + 0.01, 0.99])
    run = await run_agents(Pipeline(ai_settings, brain=brain), PlanRequest(duration=15.0), library=library)
    assert _authors(run) == ["analysis", "composition", "evaluate", "refine", "evaluate", "render"]
    assert brain.refines == 1 and [c.score for c in run.critiques] == [0.5, GOOD_ENOUGH + 0.01]
    assert "good enough" in run.events[-2][1]


async def test_loop_refines_three_times_at_most(ai_settings, library):
    brain = ScriptedBrain([0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
    run = await run_agents(Pipeline(ai_settings, brain=brain), PlanRequest(duration=15.0), library=library)
    assert brain.refines == 3
    assert [c.score for c in run.critiques] == [0.1, 0.2, 0.3, 0.4]
    assert _authors(run).count("refine") == 4  # the fourth only says it is out of rounds
    assert run.events[-2] == ("refine", "out of refinement rounds")


async def test_a_refinement_that_does_not_help_is_dropped(ai_settings, library):
    brain = ScriptedBrain([0.5, 0.4])
    run = await run_agents(Pipeline(ai_settings, brain=brain), PlanRequest(duration=15.0), library=library)
    assert brain.refines == 1 and [c.score for c in run.critiques] == [0.5]
    assert "no better" in run.events[-2][1]


async def test_gemini_steps_run_inside_the_agents(gemini, ai_settings, library):
    def handler(model: str, body: dict) -> dict:
        system = body["systemInstruction"]["parts"][0]["text"]
        if "reviewing a cut" in system:
            return {"score": 1.0, "issues": []}
        if "photo editor" in system or "video editor" in system or "music supervisor" in system:
            return {}
        ids = [mid(f"p0{i}_photo.jpg") for i in range(5)]
        return {"shots": [{"media_id": i, "seconds": 3.0} for i in ids]}

    gemini.handler = handler
    from pipeline.intelligence.brain import GeminiBrain
    from pipeline.intelligence.client import GeminiClient

    brain = GeminiBrain(ai_settings, GeminiClient(ai_settings, base_delay=0.01))
    try:
        outcome = await plan_with_agents(
            Pipeline(ai_settings, brain=brain), PlanRequest(duration=15.0), library
        )
    finally:
        await brain.aclose()
    assert outcome.plan.planner == "gemini"
    assert outcome.critiques[-1].parts["ai_review"] == 1.0
    # the synthetic library has no files on disk: nothing to analyse, and that is not an outage
    assert outcome.notes == ()
    assert len(gemini.generate_calls) == 2  # the plan and one review


async def test_the_facade_runs_geminis_loop_as_adk_agents(gemini, ai_settings, library, monkeypatch):
    import pipeline.intelligence.agents as agents_module

    runs = []
    real = agents_module.run_agents

    async def spy(*args, **kw):
        run = await real(*args, **kw)
        runs.append(run)
        return run

    monkeypatch.setattr(agents_module, "run_agents", spy)
    gemini.reply_json({"shots": [{"media_id": mid(f"p0{i}_photo.jpg"), "seconds": 3.0} for i in range(5)]})
    gemini.reply_json({"score": 1.0})
    from pipeline.intelligence.brain import GeminiBrain
    from pipeline.intelligence.client import GeminiClient

    brain = GeminiBrain(ai_settings, GeminiClient(ai_settings, base_delay=0.01))
    try:
        outcome = await Pipeline(ai_settings, brain=brain).plan(PlanRequest(duration=15.0), library)
    finally:
        await brain.aclose()
    assert len(runs) == 1 and outcome.plan == runs[0].plan
    # the review is a real ADK LlmAgent talking to the stub; its verdict is folded into the score
    assert _authors(runs[0]) == ["analysis", "composition", "ai_review", "evaluate", "render"]
    assert json.loads(runs[0].events[2][1]) == {"score": 1.0}
    assert runs[0].state["ai_review"] == {"score": 1.0, "issues": []}  # validated by ADK against the schema
    assert outcome.critiques[0].parts["ai_review"] == 1.0 and outcome.critiques[0].critic == "gemini+metrics"
    review_call = gemini.generate_calls[1].body
    assert "reviewing a cut" in review_call["systemInstruction"]["parts"][0]["text"]
    assert review_call["generationConfig"]["responseMimeType"] == "application/json"
    assert [u.purpose for u in brain.client.usage] == ["plan", "review (ADK)"]
    assert brain.client.usage[1].prompt_tokens == 100


@pytest.mark.parametrize("trouble", ["429", "garbage"])
async def test_the_review_agent_retries_or_falls_back_to_the_metrics(gemini, ai_settings, library, trouble):
    gemini.reply_json({"shots": [{"media_id": mid(f"p0{i}_photo.jpg"), "seconds": 3.0} for i in range(5)]})
    if trouble == "429":
        gemini.fail(429)
        gemini.reply_json({"score": 0.9, "issues": ["fine"]})
    else:
        gemini.handler = lambda model, body: "this is not JSON"
    from pipeline.intelligence.brain import GeminiBrain
    from pipeline.intelligence.client import GeminiClient

    brain = GeminiBrain(ai_settings, GeminiClient(ai_settings, base_delay=0.01))
    outcome = await Pipeline(ai_settings, brain=brain).plan(PlanRequest(duration=15.0), library)
    first = outcome.critiques[0]
    if trouble == "429":
        assert first.parts["ai_review"] == 0.9 and outcome.notes == ()
    else:
        assert "ai_review" not in first.parts and first.critic == "metrics"
        assert any("review" in n and "offline" in n for n in outcome.notes)
    assert outcome.plan.planner == "gemini"


async def test_a_user_facing_error_in_a_step_reaches_the_caller_unchanged(gemini, ai_settings):
    from pipeline.errors import NotEnoughMedia
    from pipeline.intelligence.brain import GeminiBrain

    with pytest.raises(NotEnoughMedia):
        await Pipeline(ai_settings, brain=GeminiBrain(ai_settings)).plan(
            PlanRequest(duration=10.0), Library()
        )
    assert gemini.generate_calls == []
