"""Intelligence: Gemini analysis, planning, critique and refinement (google-genai, orchestrated
with Google ADK), each step falling back to the offline brain. google.genai and google.adk are
imported lazily inside the functions that use them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipeline.api import Brain
    from pipeline.settings import PipelineSettings


def gemini_brain(settings: PipelineSettings, **kw: Any) -> Brain:
    """Gemini when a key is set and local-only is off; otherwise the offline brain."""
    from pipeline.intelligence.brain import gemini_brain as make

    return make(settings, **kw)


__all__ = ["gemini_brain"]
