"""Objective evaluation: the offline critic (plan-level metrics for now)."""

from __future__ import annotations

from pipeline.evaluation.plan_metrics import ALL, WEIGHTS, Metric
from pipeline.models import Critique, EditPlan, Library


def plan_metrics(plan: EditPlan, library: Library) -> list[Metric]:
    return [m(plan, library) for m in ALL]


def evaluate_plan(plan: EditPlan, library: Library) -> Critique:
    """Score 0..1 (weighted mean of the parts) with the problems, most important first."""
    metrics = plan_metrics(plan, library)
    total = sum(WEIGHTS[m.name] for m in metrics)
    score = sum(WEIGHTS[m.name] * m.score for m in metrics) / total
    ranked = sorted(
        (m for m in metrics if m.issue), key=lambda m: (-(WEIGHTS[m.name] * (1 - m.score)), m.name)
    )
    return Critique(
        score=round(score, 4),
        parts={m.name: round(m.score, 4) for m in metrics},
        issues=tuple(m.issue for m in ranked if m.issue),
        critic="metrics",
    )


__all__ = ["evaluate_plan", "plan_metrics"]
