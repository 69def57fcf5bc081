"""The real clock: timezone-aware UTC now. Tests pass a fake `conversation.ports.Clock` instead."""

from __future__ import annotations

from datetime import UTC, datetime


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)
