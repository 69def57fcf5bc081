"""Benchmark: a refinement's cost must not grow with the project's history.

A refinement in words reads the parent version and what is running (from the job rows) instead of
`list_versions`, which loads every version's whole plan. This seeds one project with a long
history (default 200 versions of 40-shot plans, each with its job row as the real queues record
it) and times refinements through `ConversationCore.handle` (parse, new version, job enqueued on
a queue that records jobs like the runner and arq do; rendering excluded).

Baseline, measured in the same run: the same refinements on a project with one version. A ratio
near 1 means the history costs nothing on the hot path. For scale it also prints what one
`list_versions` of the long project costs (what every refinement used to read).

    .venv/bin/python benchmarks/refine_history.py [--versions 200] [--events 40] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from conversation.actions import Action  # noqa: E402
from conversation.core import ConversationCore  # noqa: E402
from conversation.events import ChatRef, TextReceived, UserRef  # noqa: E402
from conversation.models import Job, MediaRecord, Member, Project, Version  # noqa: E402
from conversation.ports import JobRequest  # noqa: E402
from conversation.settings import CoreSettings  # noqa: E402
from conversation.store.local_media import LocalMediaStore  # noqa: E402
from conversation.store.sqlite import SQLiteProjectStore  # noqa: E402
from pipeline.models import EditPlan, MediaItem, MediaKind, PlanRequest, Segment  # noqa: E402

SHOTS = 40
WORDS = ["faster", "slower", "shorter", "longer", "vertical", "more nostalgic"]


class Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class RecordingQueue:
    """Records each job in the store (as the in-process runner and the arq queue do); runs nothing."""

    def __init__(self, store: SQLiteProjectStore) -> None:
        self.store = store

    async def enqueue(self, request: JobRequest) -> bool:
        now = datetime.now(UTC)
        await self.store.put_job(Job(id=request.job_id, project_id=request.project_id, version=request.version,
                                     kind=request.kind, created_at=now, updated_at=now))  # fmt: skip
        return True

    async def cancel(self, job_id: str) -> bool:
        job = await self.store.get_job(job_id)
        if job is not None:
            await self.store.put_job(job.model_copy(update={"status": "cancelled"}))
        return True


class Outbox:
    def __init__(self) -> None:
        self.n = 0

    async def send(self, action: Action) -> str | None:
        self.n += 1
        return f"m{self.n}"


async def seed(store: SQLiteProjectStore, root: Path, history: int) -> ChatRef:
    chat = ChatRef(platform="bench", chat_id="c", is_group=False)
    pid, now = "p1", datetime.now(UTC) - timedelta(days=1)  # history made yesterday: no hourly cap bites
    await store.create_project(Project(id=pid, title="trip", chat_key=chat.key, owner_key="bench:ann",
                                       state="delivered", current_version=history, created_at=now, updated_at=now))  # fmt: skip
    await store.bind_chat(chat.key, pid)
    await store.put_member(Member(project_id=pid, user_key="bench:ann", name="ann", role="owner", joined_at=now))
    segs = []
    for k in range(SHOTS):
        mid = f"{k:016d}"
        name = f"IMG_{k:03d}.jpg"
        item = MediaItem(id=mid, sha256=mid, kind=MediaKind.PHOTO, path=root / name, original_name=name,
                         mime="image/jpeg", size_bytes=1000)  # fmt: skip
        await store.add_media(MediaRecord(project_id=pid, media_id=mid, item=item, storage_key=f"{pid}/{mid}.jpg",
                                          contributor_key="bench:ann", contributor_name="ann", added_at=now))  # fmt: skip
        segs.append(Segment(index=k, media_id=mid, kind=MediaKind.PHOTO, timeline_start=1.5 * k, duration=1.5))
    plan = EditPlan(duration=1.5 * SHOTS, aspect="16:9", segments=tuple(segs))
    for n in range(1, history + 1):
        kind: Literal["make", "refine"] = "refine" if n > 1 else "make"
        await store.create_version(Version(project_id=pid, number=n, parent=n - 1 or None, request=PlanRequest(),
                                           plan=plan, status="ready", render_key=f"{pid}/v{n}.mp4",
                                           created_by="bench:ann", created_at=now))  # fmt: skip
        await store.put_job(Job(id=f"{pid}:v{n}:{kind}", project_id=pid, version=n, kind=kind, status="completed",
                                created_at=now, updated_at=now))  # fmt: skip
    return chat


async def one_round(history: int, events: int) -> tuple[float, float]:
    """(median ms per refinement, ms for one list_versions of this project)."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        store = SQLiteProjectStore(root / "bench.sqlite3")
        chat = await seed(store, root, history)
        core = ConversationCore(store, LocalMediaStore(root / "media"), RecordingQueue(store), Outbox(), object(),
                                Clock(), CoreSettings(scratch_dir=root / "scratch"))  # fmt: skip
        ann = UserRef(platform="bench", user_id="ann", name="ann")
        times = []
        for k in range(events):
            start = time.perf_counter()
            await core.handle(TextReceived(chat=chat, user=ann, event_id=f"e{k}", text=WORDS[k % len(WORDS)]))
            times.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        await store.list_versions("p1")
        listing = (time.perf_counter() - start) * 1000
        await store.close()
        return statistics.median(times), listing


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--versions", type=int, default=200)
    ap.add_argument("--events", type=int, default=40)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    long = [asyncio.run(one_round(a.versions, a.events)) for _ in range(a.rounds)]
    short = [asyncio.run(one_round(1, a.events)) for _ in range(a.rounds)]
    lmed = statistics.median(r[0] for r in long)
    smed = statistics.median(r[0] for r in short)
    print(f"{a.events} refinements x {a.rounds} rounds, {SHOTS}-shot plans (SQLite store, recording queue)")
    print(f"history of {a.versions} versions: median {lmed:.2f} ms per refinement")
    print(f"baseline, 1 version:      median {smed:.2f} ms per refinement")
    print(f"ratio long/baseline: {lmed / smed:.2f}")
    print(f"for scale: one list_versions of the long project: {statistics.median(r[1] for r in long):.2f} ms")


if __name__ == "__main__":
    main()
