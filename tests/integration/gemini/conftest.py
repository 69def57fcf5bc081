"""The real google-genai client (and ADK runner) against the local Gemini stub."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from pipeline.settings import PipelineSettings
from tests.fakes.gemini_server import GeminiStub


@pytest.fixture
async def gemini() -> AsyncIterator[GeminiStub]:
    async with GeminiStub() as stub:
        yield stub


@pytest.fixture
def ai_settings(tmp_path: Path, gemini: GeminiStub) -> PipelineSettings:
    return PipelineSettings(
        work_dir=tmp_path / "work", gemini_api_key="test-key", gemini_base_url=gemini.url, refine_rounds=3
    )


@pytest.fixture
async def brain(ai_settings: PipelineSettings) -> AsyncIterator:
    from pipeline.intelligence.brain import GeminiBrain
    from pipeline.intelligence.client import GeminiClient

    b = GeminiBrain(ai_settings, GeminiClient(ai_settings, base_delay=0.01))
    yield b
    await b.aclose()
