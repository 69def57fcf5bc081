"""The facade's small decisions: which brain reads feedback, and when the critique loop stops."""

from __future__ import annotations

from pipeline.api import Pipeline
from pipeline.edits import SetDuration
from pipeline.models import EditPlan, Library
from pipeline.settings import PipelineSettings

PLAN = EditPlan(duration=10.0, aspect="16:9", segments=())


async def test_offline_there_is_no_ai_reading_of_feedback(pipeline_settings: PipelineSettings) -> None:
    pipeline = Pipeline(pipeline_settings)
    assert not pipeline.reads_feedback
    assert await pipeline.interpret_feedback("make it 20 s", PLAN, Library()) is None


async def test_an_ai_brain_reads_feedback_into_typed_edits(pipeline_settings: PipelineSettings) -> None:
    class Reader:
        name = "reader"
        seen: list[str] = []

        async def interpret_feedback(self, text: str, plan: EditPlan, library: Library) -> tuple[SetDuration, ...]:
            self.seen.append(text)
            return (SetDuration(seconds=20),) if "20" in text else ()

    brain = Reader()
    pipeline = Pipeline(pipeline_settings, brain=brain)  # type: ignore[arg-type]
    assert pipeline.reads_feedback
    assert await pipeline.interpret_feedback("make it 20 s", PLAN, Library()) == (SetDuration(seconds=20),)
    assert await pipeline.interpret_feedback("hmm", PLAN, Library()) is None  # nothing understood
    assert brain.seen == ["make it 20 s", "hmm"]
