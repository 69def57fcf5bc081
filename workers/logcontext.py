"""Job ids on every log line written while a job runs, from any module (pipeline included).

`install()` adds a filter to the root handlers; `job_context(...)` sets the ids for the current
task. A JSON formatter (bots.logs.JsonFormatter) prints them as fields, so one grep for a
job id finds the worker's, the pipeline's and the bot's lines together."""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Iterator
from contextlib import contextmanager

_CONTEXT: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar(
    "mm_log_context", default=None
)


class ContextFilter(logging.Filter):
    """Adds the current job's ids to each record (after `extra=`, which wins)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in (_CONTEXT.get() or {}).items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


_FILTER = ContextFilter()


def install() -> None:
    """Attach the filter to the root handlers (call after the entry point set logging up).

    A handler filter sees records from every logger, which a logger filter would not."""
    for handler in logging.getLogger().handlers:
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)


@contextmanager
def job_context(**ids: str) -> Iterator[None]:
    token = _CONTEXT.set({**(_CONTEXT.get() or {}), **{k: v for k, v in ids.items() if v}})
    try:
        yield
    finally:
        _CONTEXT.reset(token)
