"""The smaller copy of an over-limit movie on the production path: the bot's core enqueues the
fit render on arq (target_size_bytes travels through the queue), a worker renders it with the
version's own plan, the event comes back over the Redis Stream and the chat gets one movie under
its limit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conversation.actions import ShowProgress
from conversation.fit import fit_job_id, fit_key, fit_target
from tests.integration.workers.conftest import run_burst_worker
from tests.unit.conversation.fit_standin import FitStandIn

pytestmark = pytest.mark.redis

LIMIT = 200_000  # bytes: the full 4 s stand-in movie (~600 KB) is over it; a smaller copy fits


async def test_a_worker_makes_the_smaller_copy_and_the_chat_gets_it_once(
    tmp_path: Path, redis_url: str, make_bot: Any, tiny_media: Any, ffmpeg: str
) -> None:
    pipeline = FitStandIn(ffmpeg)
    bot = await make_bot(redis_url, pipeline)
    bot.outbox.upload_limit = LIMIT
    await bot.command("/new trip")
    await bot.upload(*(tiny_media.photo(f"IMG_{i}.jpg", seed=i) for i in range(2)))
    await bot.command("/make")
    project = await bot.store.project_for_chat(bot.chat.key)
    assert project is not None
    pid = project.id

    await run_burst_worker(tmp_path, redis_url, pipeline)  # v1, full size
    await bot.wait_for(
        lambda: any("making a smaller copy" in a.text for a in bot.sent(ShowProgress))  # type: ignore[attr-defined]
    )
    assert bot.movies() == []
    fit = await bot.store.get_job(fit_job_id(pid, 1, fit_target(LIMIT)))
    assert fit is not None and fit.status == "queued"

    await run_burst_worker(tmp_path, redis_url, pipeline)  # the smaller copy
    await bot.wait_for(lambda: len(bot.movies()) == 1)
    (movie,) = bot.movies()
    assert (
        movie.version == 1 and movie.path.stat().st_size < LIMIT and "smaller copy" in movie.caption.lower()
    )
    assert pipeline.targets == [None, fit_target(LIMIT)]
    assert await bot.media.exists(fit_key(pid, 1, fit_target(LIMIT)))
    v1 = await bot.store.get_version(pid, 1)
    assert v1 is not None and v1.status == "ready" and v1.render_key == f"{pid}/v1.mp4"
    assert [v.number for v in await bot.store.list_versions(pid)] == [1]
    done = await bot.store.get_job(fit_job_id(pid, 1, fit_target(LIMIT)))
    assert done is not None and done.status == "completed"
    for _ in range(3):
        await bot.consumer.poll_once(block_ms=50)
    assert len(bot.movies()) == 1
