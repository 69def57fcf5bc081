"""SQLite specifics beyond the ProjectStore contract: migrations, WAL, two handles on one file."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from conversation.models import Project
from conversation.store import sqlite as sqlite_module
from conversation.store.sqlite import SQLiteProjectStore

NOW = datetime(2026, 5, 1, tzinfo=UTC)


def project(pid: str) -> Project:
    return Project(
        id=pid, title="t", chat_key=f"tg:{pid}", owner_key="tg:ann", created_at=NOW, updated_at=NOW
    )


async def test_migrations_recorded_once_and_reopening_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    store = SQLiteProjectStore(path)
    assert store.schema_version >= 1
    await store.close()
    store = SQLiteProjectStore(path)
    await store.close()
    rows = (
        sqlite3.connect(path).execute("SELECT version, name FROM schema_version ORDER BY version").fetchall()
    )
    assert rows[0] == (1, "0001_create_core_tables.sql")
    assert len(rows) == len({r[0] for r in rows})


async def test_a_new_migration_applies_on_open_and_a_bad_one_leaves_nothing(
    tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "db.sqlite3"
    (await _open_close(path))
    extra = tmp_path / "migrations"
    extra.mkdir()
    for f in sqlite_module.MIGRATIONS_DIR.glob("*.sql"):
        (extra / f.name).write_text(f.read_text())
    (extra / "0900_add_notes.sql").write_text("CREATE TABLE notes (id TEXT PRIMARY KEY);")
    (extra / "0901_broken.sql").write_text("CREATE TABLE half (id TEXT);\nTHIS IS NOT SQL;")
    monkeypatch.setattr(sqlite_module, "MIGRATIONS_DIR", extra)
    with pytest.raises(sqlite3.OperationalError):
        SQLiteProjectStore(path)
    conn = sqlite3.connect(path)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "notes" in tables and "half" not in tables
    assert conn.execute("SELECT MAX(version) FROM schema_version").fetchone() == (900,)


async def _open_close(path: Path) -> None:
    store = SQLiteProjectStore(path)
    await store.create_project(project("p1"))
    await store.close()


async def test_wal_and_two_handles_see_each_others_writes(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    bot, worker = SQLiteProjectStore(path), SQLiteProjectStore(path)
    try:
        mode = sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0]
        assert mode == "wal"
        await bot.create_project(project("p1"))
        seen = await worker.get_project("p1")
        assert seen is not None
        await worker.update_project(seen.model_copy(update={"state": "rendering"}))
        assert (await bot.get_project("p1")).state == "rendering"  # type: ignore[union-attr]
    finally:
        await bot.close()
        await worker.close()


async def test_in_memory_store_for_tests() -> None:
    store = SQLiteProjectStore(":memory:")
    await store.create_project(project("p1"))
    assert (await store.get_project("p1")) == project("p1")
    await store.close()


async def test_update_of_a_missing_project_is_an_error_not_a_silent_insert(tmp_path: Path) -> None:
    store = SQLiteProjectStore(tmp_path / "db.sqlite3")
    with pytest.raises(KeyError):
        await store.update_project(project("ghost"))
    assert await store.get_project("ghost") is None
    await store.close()
