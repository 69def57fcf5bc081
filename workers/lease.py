"""A renewed lease on arq's in-progress key.

arq marks a running job with an in-progress key that lives for the whole timeout (+10 s): a
SIGKILLed worker would hold its job that long. Shortening the key to a lease renewed every third
of it lets another worker take the job over within `lease_seconds` of a crash."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from arq.constants import in_progress_key_prefix


async def renew_lease(redis: Any, key: str, lease_seconds: float) -> None:
    while True:
        with contextlib.suppress(Exception):  # a Redis blip must not kill the job; arq's TTL still holds
            await redis.pexpire(key, int(lease_seconds * 1000))
        await asyncio.sleep(lease_seconds / 3)


@asynccontextmanager
async def held_lease(redis: Any, arq_job_id: str, lease_seconds: float) -> AsyncIterator[None]:
    task = asyncio.create_task(renew_lease(redis, in_progress_key_prefix + arq_job_id, lease_seconds))
    try:
        yield
    finally:
        task.cancel()
