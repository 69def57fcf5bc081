"""Flood control: Telegram answers 429 with `retry_after` when a bot sends too fast. The request
was not performed, so waiting and sending again loses nothing and duplicates nothing."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from telegram.error import RetryAfter

log = logging.getLogger(__name__)

T = TypeVar("T")


def retry_seconds(exc: RetryAfter) -> float:
    # PTB 22 gives an int, or a timedelta with PTB_TIMEDELTA=1 (the future default)
    value = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


async def with_flood_retry(
    call: Callable[[], Awaitable[T]], *, attempts: int = 8, max_wait: float = 120.0
) -> T:
    """Run `call`, waiting out 429 answers (up to `attempts` tries, each wait capped at `max_wait`)."""
    for attempt in range(1, attempts + 1):
        try:
            return await call()
        except RetryAfter as exc:
            if attempt == attempts:
                raise
            wait = min(max_wait, retry_seconds(exc))
            log.warning("telegram flood control: retrying in %.1fs (attempt %d/%d)", wait, attempt, attempts)
            await asyncio.sleep(wait + 0.05)
    raise AssertionError("unreachable")
