"""Benchmark: conversation-core events per second for 100 concurrent projects, rendering excluded.

Each project (its own group chat) has a delivered v1 and then receives a mix of events at the
same time as the 99 others: refinements in words (parsed, a new version stored, a job enqueued on
a no-op queue: a third of the mix), /status, /versions, /comments, /settings, /members, small
talk and reactions. A second run sends refinements only, the most expensive kind. Store: the embedded SQLite store on disk
(WAL), media: the local folder. Target: 1,000 events/s.

Baseline, measured in the same run: the least any event costs in the core: the redelivery check
plus the project/member look-ups (three store calls). The ratio says how much the real handling
adds on top of that floor.

    .venv/bin/python benchmarks/core_events.py [--projects 100] [--events 20] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from conversation.actions import Action  # noqa: E402
from conversation.core import ConversationCore  # noqa: E402
from conversation.events import ChatRef, CommandReceived, ReactionAdded, TextReceived, UserRef  # noqa: E402
from conversation.jobs import queued_job  # noqa: E402
from conversation.models import MediaRecord, Member, Project, Version  # noqa: E402
from conversation.ports import JobRequest  # noqa: E402
from conversation.settings import CoreSettings  # noqa: E402
from conversation.store.local_media import LocalMediaStore  # noqa: E402
from conversation.store.sqlite import SQLiteProjectStore  # noqa: E402
from pipeline.models import EditPlan, MediaItem, MediaKind, PlanRequest, Segment  # noqa: E402

# A group chat's traffic: a third are refinements that make a new version (the expensive kind,
# capped per hour in production anyway), the rest is everything else people do in the chat.
MIXED = [
    "slower at the start and drop the one with the car",
    "/status",
    "nice one!",
    "/versions",
    "make it 30 seconds, vertical",
    ":reaction",
    "/comments",
    "/settings",
    "at 0:04 too fast",
    "/members",
]
REFINEMENTS = [
    "slower at the start and drop the one with the car",
    "make it 30 seconds, vertical",
    "at 0:04 too fast",
    "end on the sunset",
    "more nostalgic, no fades",
    "caption the 2nd shot 'us!'",
    "faster ending",
]


class NoopQueue:
    """Records the job row as the real queues do (the core reads in-flight work from it), runs nothing."""

    def __init__(self, store: SQLiteProjectStore) -> None:
        self.store = store
        self.enqueued = 0

    async def enqueue(self, request: JobRequest) -> bool:
        self.enqueued += 1
        existing = await self.store.get_job(request.job_id)
        await self.store.put_job(queued_job(request, existing, datetime.now(UTC)))
        return True

    async def cancel(self, job_id: str) -> bool:
        return True


class CountingOutbox:
    def __init__(self) -> None:
        self.sent = 0

    async def send(self, action: Action) -> str | None:
        self.sent += 1
        return f"m{self.sent}"


class Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)


async def seed(store: SQLiteProjectStore, n: int, root: Path) -> list[ChatRef]:
    """n projects, each with 4 photos and a delivered v1 (as if rendered earlier)."""
    chats, now = [], datetime.now(UTC)
    for i in range(n):
        chat = ChatRef(platform="bench", chat_id=f"chat{i}", is_group=True)
        pid = f"p{i:04d}"
        await store.create_project(Project(id=pid, title=f"trip {i}", chat_key=chat.key, owner_key="bench:ann",
                                           state="delivered", current_version=1, created_at=now, updated_at=now))
        await store.bind_chat(chat.key, pid)
        await store.put_member(Member(project_id=pid, user_key="bench:ann", name="ann", role="owner", joined_at=now))
        segs = []
        for k, name in enumerate(["IMG_07_car.jpg", "sunset.jpg", "cat.jpg", "beach.jpg"]):
            mid = f"{i:04d}{k:012d}"
            item = MediaItem(id=mid, sha256=mid, kind=MediaKind.PHOTO, path=root / name, original_name=name,
                             mime="image/jpeg", size_bytes=1000)
            await store.add_media(MediaRecord(project_id=pid, media_id=mid, item=item, storage_key=f"{pid}/{mid}.jpg",
                                              contributor_key="bench:ann", contributor_name="ann", added_at=now))
            segs.append(Segment(index=k, media_id=mid, kind=MediaKind.PHOTO, timeline_start=3.0 * k, duration=3.0))
        plan = EditPlan(duration=12.0, aspect="16:9", segments=tuple(segs))
        await store.create_version(Version(project_id=pid, number=1, request=PlanRequest(), plan=plan, status="ready",
                                           render_key=f"{pid}/v1.mp4", created_by="bench:ann", created_at=now))
        chats.append(chat)
    return chats


async def one_round(projects: int, events: int, baseline: bool, texts: list[str] = MIXED) -> tuple[float, float]:
    """(events per wall second, events per CPU second of this process: the capacity of one
    dedicated core, which a box shared with other work doesn't show in wall time)."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        store = SQLiteProjectStore(root / "bench.sqlite3")
        chats = await seed(store, projects, root)
        settings = CoreSettings(scratch_dir=root / "scratch", movies_per_hour_per_user=0, movies_per_hour_per_project=0)
        core = ConversationCore(store, LocalMediaStore(root / "media"), NoopQueue(store), CountingOutbox(), object(),
                                Clock(), settings)
        ann = UserRef(platform="bench", user_id="ann", name="ann")
        counter = iter(range(10**9))

        async def project_events(chat: ChatRef) -> None:
            for k in range(events):
                text = texts[k % len(texts)]
                eid = f"e{next(counter)}"
                if baseline:
                    await store.mark_event_seen(f"{chat.key}#{eid}")
                    p = await store.project_for_chat(chat.key)
                    await store.get_member(p.id, ann.key)  # type: ignore[union-attr]
                elif text == ":reaction":
                    await core.handle(ReactionAdded(chat=chat, user=ann, event_id=eid, message_id="m1", emoji="👍"))
                elif text.startswith("/"):
                    await core.handle(CommandReceived(chat=chat, user=ann, event_id=eid, name=text[1:]))
                else:
                    await core.handle(TextReceived(chat=chat, user=ann, event_id=eid, text=text))

        start, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(project_events(c) for c in chats))
        elapsed, cpu_used = time.perf_counter() - start, time.process_time() - cpu
        await store.close()
        return projects * events / elapsed, projects * events / cpu_used


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--projects", type=int, default=100)
    ap.add_argument("--events", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    runs = [asyncio.run(one_round(a.projects, a.events, baseline=False)) for _ in range(a.rounds)]
    bases = [asyncio.run(one_round(a.projects, a.events, baseline=True)) for _ in range(a.rounds)]
    refine = [asyncio.run(one_round(a.projects, a.events, False, REFINEMENTS)) for _ in range(a.rounds)]
    core, core_cpu = [r[0] for r in runs], [r[1] for r in runs]
    base = [r[0] for r in bases]
    med, bmed, cmed = statistics.median(core), statistics.median(base), statistics.median(core_cpu)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"projects={a.projects} events/project={a.events} rounds={a.rounds} (SQLite store, no-op job queue)")
    print(f"machine: {os.cpu_count()} cores, load average {load:.1f}")
    print(f"core:     median {med:,.0f} events/s wall  (runs: {', '.join(f'{x:,.0f}' for x in core)})")
    print(f"          median {cmed:,.0f} events per CPU-second (one dedicated core's capacity)")
    print(f"refinements only: median {statistics.median(r[0] for r in refine):,.0f} events/s wall, "
          f"{statistics.median(r[1] for r in refine):,.0f} per CPU-second (every event makes a new version)")
    print(f"baseline: median {bmed:,.0f} events/s  (dedupe + project/member look-up only)")
    print(f"ratio core/baseline: {med / bmed:.2f}")
    print(f"target 1,000 events/s: wall {med / 1000:.2f}x, per CPU-second {cmed / 1000:.2f}x")


if __name__ == "__main__":
    main()
