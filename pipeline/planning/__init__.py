"""Planning: the heuristic planner, the rule-based refiner and change summaries (the offline brain)."""

from __future__ import annotations

from pipeline.models import Critique, EditPlan, Library
from pipeline.planning.planner import plan_edit
from pipeline.planning.summary import summarize_changes


async def refine_plan(plan: EditPlan, critique: Critique, library: Library) -> EditPlan:
    from pipeline.planning.refine import refine_plan_sync

    return refine_plan_sync(plan, critique, library)


__all__ = ["plan_edit", "refine_plan", "summarize_changes"]
