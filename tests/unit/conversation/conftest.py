from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.unit.conversation.chatkit import Chat
from tests.unit.conversation.standin import StandInPipeline


@pytest.fixture
def standin() -> StandInPipeline:
    return StandInPipeline(tags={"IMG_07.jpg": ("car", "street"), "sunset.jpg": ("sunset", "sea")})


@pytest.fixture
async def chat(tmp_path: Path, standin: StandInPipeline) -> AsyncIterator[Chat]:
    c = Chat(tmp_path, standin)
    yield c
    await c.close()


@pytest.fixture
async def group(tmp_path: Path, standin: StandInPipeline) -> AsyncIterator[Chat]:
    c = Chat(tmp_path, standin, group=True)
    yield c
    await c.close()
