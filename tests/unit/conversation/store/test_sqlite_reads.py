"""Reads run inline on their own connection: they must see every committed write at once and
never wait for a writer, even one in another process holding the write lock."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from conversation.models import Project
from conversation.store.sqlite import SQLiteProjectStore


def _project(pid: str) -> Project:
    now = datetime.now(UTC)
    return Project(id=pid, title=pid, chat_key=f"test:{pid}:", owner_key="test:ann", created_at=now, updated_at=now)


async def test_reads_see_writes_at_once_and_never_wait_for_a_writer(tmp_path: Path) -> None:
    store = SQLiteProjectStore(tmp_path / "s.sqlite3")
    try:
        await store.create_project(_project("p1"))
        assert (await store.get_project("p1")) is not None  # read-your-writes across the two connections
        other = sqlite3.connect(tmp_path / "s.sqlite3", isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        try:
            found = await asyncio.wait_for(store.get_project("p1"), timeout=1.0)
            assert found is not None and found.title == "p1"
        finally:
            other.execute("ROLLBACK")
            other.close()
        await store.update_project(found)
        assert (await store.get_project("p1")).revision == 1  # type: ignore[union-attr]
    finally:
        await store.close()
