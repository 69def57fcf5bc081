"""The embedded ProjectStore: one SQLite file (stdlib sqlite3), no setup.

Calls run in a worker thread (asyncio.to_thread) over one connection guarded by a lock, so the
event loop never blocks on disk and statements never interleave. WAL lets a second process (a
worker, `memory-movie status`) read while the bot writes. Records are stored as their pydantic
JSON; the columns that queries filter or order on are copied out beside it.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from conversation.models import Comment, Job, MediaRecord, Member, MessageLink, Project, Version, Vote
from conversation.ports import DuplicateVersion, StaleWrite

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def _ts(moment: datetime) -> float:
    return moment.timestamp()


def _load(model: type[M], rows: Iterable[sqlite3.Row | tuple[Any, ...]]) -> list[M]:
    return [model.model_validate_json(row[0]) for row in rows]


def _migrations() -> list[tuple[int, str, str]]:
    """(number, name, sql) for every migrations/NNNN_name.sql, in order."""
    found = []
    for entry in MIGRATIONS_DIR.glob("*.sql"):
        if entry.name[:4].isdigit():
            found.append((int(entry.name[:4]), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def apply_migrations(conn: sqlite3.Connection) -> int:
    """Bring the schema up to date; returns the schema version. Each migration is one transaction."""
    conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, name TEXT NOT NULL)")
    row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    current = row[0] or 0
    for number, name, sql in _migrations():
        if number <= current:
            continue
        # one transaction per file: a half-applied migration is impossible
        try:
            conn.executescript(
                f"BEGIN;\n{sql}\nINSERT INTO schema_version (version, name) VALUES ({number}, '{name}');\nCOMMIT;"
            )
        except sqlite3.Error:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        current = number
    return current


class SQLiteProjectStore:
    """`SQLiteProjectStore(path)`: a file path, or ":memory:" for tests."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        # autocommit mode (isolation_level=None): each write below is its own statement or an
        # explicit BEGIN IMMEDIATE block, so nothing sits in an implicit open transaction.
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=10.0)
        self._lock = threading.Lock()
        self._conn.execute("PRAGMA foreign_keys = ON")
        self._conn.execute("PRAGMA busy_timeout = 10000")
        if self.path != ":memory:":
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = NORMAL")
        self.schema_version = apply_migrations(self._conn)
        # reads run inline on their own connection: in WAL mode a reader never waits for a writer
        # (here or in another process), so a query can't stall the event loop, and it skips the
        # thread hop that costs more than the query itself. ":memory:" is one connection's alone.
        self._reader: sqlite3.Connection | None = None
        if self.path != ":memory:":
            self._reader = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._reader.execute("PRAGMA query_only = ON")

    # ------------------------------------------------------------------ plumbing

    async def _run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        def locked() -> T:
            with self._lock:
                return fn(self._conn)

        return await asyncio.to_thread(locked)

    async def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn` inside one IMMEDIATE transaction (takes the write lock up front)."""

        def tx(conn: sqlite3.Connection) -> T:
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = fn(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return result

        return await self._run(tx)

    async def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        if self._reader is not None:
            return self._reader.execute(sql, params).fetchall()
        return await self._run(lambda conn: conn.execute(sql, params).fetchall())

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
        await self._run(lambda conn: conn.close())

    # ------------------------------------------------------------------ projects

    async def create_project(self, project: Project) -> None:
        def tx(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO projects (id, chat_key, owner_key, revision, created_at, data) VALUES (?,?,?,?,?,?)",
                (
                    project.id,
                    project.chat_key,
                    project.owner_key,
                    project.revision,
                    _ts(project.created_at),
                    project.model_dump_json(),
                ),
            )
            # the newest project in a chat is the one the chat talks about
            conn.execute(
                "INSERT INTO chat_projects (chat_key, project_id) VALUES (?, ?) "
                "ON CONFLICT(chat_key) DO UPDATE SET project_id = excluded.project_id",
                (project.chat_key, project.id),
            )

        await self._write(tx)

    async def get_project(self, project_id: str) -> Project | None:
        rows = await self._query("SELECT data FROM projects WHERE id = ?", (project_id,))
        return _load(Project, rows)[0] if rows else None

    async def update_project(self, project: Project) -> Project:
        saved = project.model_copy(update={"revision": project.revision + 1})

        def tx(conn: sqlite3.Connection) -> None:
            cur = conn.execute(
                "UPDATE projects SET chat_key = ?, owner_key = ?, revision = ?, data = ? WHERE id = ? AND revision = ?",
                (
                    saved.chat_key,
                    saved.owner_key,
                    saved.revision,
                    saved.model_dump_json(),
                    project.id,
                    project.revision,
                ),
            )
            if cur.rowcount == 0:
                exists = conn.execute("SELECT revision FROM projects WHERE id = ?", (project.id,)).fetchone()
                if exists is None:
                    raise KeyError(f"no project {project.id!r}")
                raise StaleWrite(f"project {project.id} is at revision {exists[0]}, not {project.revision}")

        await self._write(tx)
        return saved

    async def delete_project(self, project_id: str) -> None:
        # every table references projects(id) ON DELETE CASCADE
        await self._write(lambda conn: conn.execute("DELETE FROM projects WHERE id = ?", (project_id,)))

    async def bind_chat(self, chat_key: str, project_id: str) -> None:
        await self._write(
            lambda conn: conn.execute(
                "INSERT INTO chat_projects (chat_key, project_id) VALUES (?, ?) "
                "ON CONFLICT(chat_key) DO UPDATE SET project_id = excluded.project_id",
                (chat_key, project_id),
            )
        )

    async def project_for_chat(self, chat_key: str) -> Project | None:
        rows = await self._query(
            "SELECT p.data FROM chat_projects c JOIN projects p ON p.id = c.project_id WHERE c.chat_key = ?",
            (chat_key,),
        )
        return _load(Project, rows)[0] if rows else None

    async def projects_of_user(self, user_key: str) -> list[Project]:
        rows = await self._query(
            "SELECT data FROM projects WHERE owner_key = ? OR id IN (SELECT project_id FROM members WHERE user_key = ?) "
            "ORDER BY created_at, id",
            (user_key, user_key),
        )
        return _load(Project, rows)

    # ------------------------------------------------------------------ members

    async def put_member(self, member: Member) -> None:
        await self._write(
            lambda conn: conn.execute(
                "INSERT INTO members (project_id, user_key, joined_at, data) VALUES (?,?,?,?) "
                "ON CONFLICT(project_id, user_key) DO UPDATE SET data = excluded.data, joined_at = excluded.joined_at",
                (member.project_id, member.user_key, _ts(member.joined_at), member.model_dump_json()),
            )
        )

    async def get_member(self, project_id: str, user_key: str) -> Member | None:
        rows = await self._query(
            "SELECT data FROM members WHERE project_id = ? AND user_key = ?", (project_id, user_key)
        )
        return _load(Member, rows)[0] if rows else None

    async def list_members(self, project_id: str) -> list[Member]:
        rows = await self._query(
            "SELECT data FROM members WHERE project_id = ? ORDER BY joined_at, user_key", (project_id,)
        )
        return _load(Member, rows)

    async def remove_member(self, project_id: str, user_key: str) -> None:
        await self._write(
            lambda conn: conn.execute(
                "DELETE FROM members WHERE project_id = ? AND user_key = ?", (project_id, user_key)
            )
        )

    # ------------------------------------------------------------------ media

    async def add_media(self, record: MediaRecord) -> bool:
        def tx(conn: sqlite3.Connection) -> bool:
            cur = conn.execute(
                "INSERT OR IGNORE INTO media (project_id, media_id, removed, data) VALUES (?,?,?,?)",
                (record.project_id, record.media_id, int(record.removed), record.model_dump_json()),
            )
            return cur.rowcount == 1

        return await self._write(tx)

    async def list_media(self, project_id: str, *, include_removed: bool = False) -> list[MediaRecord]:
        sql = "SELECT data FROM media WHERE project_id = ?"
        if not include_removed:
            sql += " AND removed = 0"
        return _load(MediaRecord, await self._query(sql + " ORDER BY seq", (project_id,)))

    async def set_media_removed(self, project_id: str, media_ids: list[str], removed: bool) -> int:
        def tx(conn: sqlite3.Connection) -> int:
            count = 0
            for media_id in dict.fromkeys(media_ids):
                row = conn.execute(
                    "SELECT data FROM media WHERE project_id = ? AND media_id = ?", (project_id, media_id)
                ).fetchone()
                if row is None:
                    continue
                record = MediaRecord.model_validate_json(row[0]).model_copy(update={"removed": removed})
                conn.execute(
                    "UPDATE media SET removed = ?, data = ? WHERE project_id = ? AND media_id = ?",
                    (int(removed), record.model_dump_json(), project_id, media_id),
                )
                count += 1
            return count

        return await self._write(tx)

    async def delete_media(self, project_id: str, media_ids: list[str]) -> int:
        def tx(conn: sqlite3.Connection) -> int:
            return sum(
                conn.execute(
                    "DELETE FROM media WHERE project_id = ? AND media_id = ?", (project_id, media_id)
                ).rowcount
                for media_id in dict.fromkeys(media_ids)
            )

        return await self._write(tx)

    # ------------------------------------------------------------------ versions

    async def create_version(self, version: Version) -> None:
        def tx(conn: sqlite3.Connection) -> None:
            try:
                conn.execute(
                    "INSERT INTO versions (project_id, number, data) VALUES (?,?,?)",
                    (version.project_id, version.number, version.model_dump_json()),
                )
            except sqlite3.IntegrityError as exc:
                if "UNIQUE" in str(exc) or "PRIMARY KEY" in str(exc):
                    raise DuplicateVersion(f"{version.project_id} v{version.number} exists") from exc
                raise

        await self._write(tx)

    async def get_version(self, project_id: str, number: int) -> Version | None:
        rows = await self._query(
            "SELECT data FROM versions WHERE project_id = ? AND number = ?", (project_id, number)
        )
        return _load(Version, rows)[0] if rows else None

    async def list_versions(self, project_id: str) -> list[Version]:
        rows = await self._query(
            "SELECT data FROM versions WHERE project_id = ? ORDER BY number", (project_id,)
        )
        return _load(Version, rows)

    async def update_version(self, version: Version) -> None:
        def tx(conn: sqlite3.Connection) -> None:
            cur = conn.execute(
                "UPDATE versions SET data = ? WHERE project_id = ? AND number = ?",
                (version.model_dump_json(), version.project_id, version.number),
            )
            if cur.rowcount == 0:
                raise KeyError(f"no version {version.project_id} v{version.number}")

        await self._write(tx)

    # ------------------------------------------------------------------ comments and votes

    async def add_comment(self, comment: Comment) -> None:
        await self._write(
            lambda conn: conn.execute(
                "INSERT INTO comments (id, project_id, created_at, data) VALUES (?,?,?,?) "
                "ON CONFLICT(id) DO NOTHING",
                (comment.id, comment.project_id, _ts(comment.created_at), comment.model_dump_json()),
            )
        )

    async def list_comments(self, project_id: str) -> list[Comment]:
        rows = await self._query(
            "SELECT data FROM comments WHERE project_id = ? ORDER BY created_at, seq", (project_id,)
        )
        return _load(Comment, rows)

    async def put_vote(self, vote: Vote) -> None:
        await self._write(
            lambda conn: conn.execute(
                "INSERT INTO votes (project_id, ballot, user_key, created_at, data) VALUES (?,?,?,?,?) "
                "ON CONFLICT(project_id, ballot, user_key) DO UPDATE SET "
                "created_at = excluded.created_at, data = excluded.data",
                (vote.project_id, vote.ballot, vote.user_key, _ts(vote.created_at), vote.model_dump_json()),
            )
        )

    async def list_votes(self, project_id: str, ballot: str) -> list[Vote]:
        rows = await self._query(
            "SELECT data FROM votes WHERE project_id = ? AND ballot = ? ORDER BY created_at, user_key",
            (project_id, ballot),
        )
        return _load(Vote, rows)

    # ------------------------------------------------------------------ jobs

    async def put_job(self, job: Job) -> None:
        await self._write(
            lambda conn: conn.execute(
                "INSERT INTO jobs (id, project_id, status, created_at, data) VALUES (?,?,?,?,?) "
                "ON CONFLICT(id) DO UPDATE SET project_id = excluded.project_id, status = excluded.status, "
                "created_at = excluded.created_at, data = excluded.data",
                (job.id, job.project_id, job.status, _ts(job.created_at), job.model_dump_json()),
            )
        )

    async def get_job(self, job_id: str) -> Job | None:
        rows = await self._query("SELECT data FROM jobs WHERE id = ?", (job_id,))
        return _load(Job, rows)[0] if rows else None

    async def list_jobs(self, *, status: str | None = None, project_id: str | None = None) -> list[Job]:
        clauses, params = [], []
        if status is not None:
            clauses.append("status = ?")
            params.append(status)
        if project_id is not None:
            clauses.append("project_id = ?")
            params.append(project_id)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = await self._query(f"SELECT data FROM jobs{where} ORDER BY created_at, id", tuple(params))
        return _load(Job, rows)

    # ------------------------------------------------------------------ messages and redeliveries

    async def link_message(self, link: MessageLink) -> None:
        await self._write(
            lambda conn: conn.execute(
                "INSERT INTO message_links (chat_key, message_id, project_id, data) VALUES (?,?,?,?) "
                "ON CONFLICT(chat_key, message_id) DO UPDATE SET project_id = excluded.project_id, data = excluded.data",
                (link.chat_key, link.message_id, link.project_id, link.model_dump_json()),
            )
        )

    async def find_message(self, chat_key: str, message_id: str) -> MessageLink | None:
        rows = await self._query(
            "SELECT data FROM message_links WHERE chat_key = ? AND message_id = ?", (chat_key, message_id)
        )
        return _load(MessageLink, rows)[0] if rows else None

    async def find_progress(self, project_id: str, version: int) -> MessageLink | None:
        rows = await self._query(
            "SELECT data FROM message_links WHERE project_id = ? AND json_extract(data, '$.kind') = 'progress' "
            "AND json_extract(data, '$.version') = ? ORDER BY rowid DESC LIMIT 1",
            (project_id, version),
        )
        return _load(MessageLink, rows)[0] if rows else None

    async def mark_event_seen(self, event_key: str) -> bool:
        def tx(conn: sqlite3.Connection) -> bool:
            return (
                conn.execute(
                    "INSERT OR IGNORE INTO seen_events (event_key) VALUES (?)", (event_key,)
                ).rowcount
                == 1
            )

        return await self._write(tx)
