"""The offline brain: heuristic planner, metric critic, rule-based refiner. No key, no network."""

from __future__ import annotations

from pipeline.models import Critique, EditPlan, Library, PlanRequest


class OfflineBrain:
    name = "offline"
    # a round costs milliseconds here, so polish until the metrics have nothing left to say
    good_enough = 0.999

    async def plan(self, request: PlanRequest, library: Library, parent: EditPlan | None) -> EditPlan:
        from pipeline.planning import plan_edit

        return await plan_edit(request, library, parent)

    async def critique(self, plan: EditPlan, library: Library) -> Critique:
        from pipeline.evaluation import evaluate_plan

        return evaluate_plan(plan, library)

    async def refine(self, plan: EditPlan, critique: Critique, library: Library) -> EditPlan:
        from pipeline.planning import refine_plan

        return await refine_plan(plan, critique, library)
