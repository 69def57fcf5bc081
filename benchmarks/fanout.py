"""Scale-out rendering: one 3-minute movie fanned out over 1, 2 and 4 worker processes.

    .venv/bin/python benchmarks/fanout.py [--seconds 180] [--size 960x540] [--chunk 15] [--workers 1,2,4]
    .venv/bin/python benchmarks/fanout.py --renderer pipeline [--draft] [--media examples]

Each run starts a fresh redis-server, N worker processes (`workers.main.serve`, both queues,
one render at a time each), enqueues the movie through ArqJobQueue and times enqueue -> "done"
event (plan, chunk jobs on whichever worker is free, join by the last finisher, store). Chunks are
CPU-bound test-pattern encodes (tests/integration/workers/synthetic_chunks.py: one encoder thread
each, so parallelism comes from the workers, as with the renderer's single-threaded compositor).
The baseline, measured in the same run, is one encoder with all threads on the whole movie.
With `--renderer pipeline` the movie is the real thing: the sample media planned to --seconds by
the offline planner and rendered by pipeline/render's chunks (workers.chunk_renderer); its
baseline is the pipeline's own one-process `render_movie` of the same plan.
Speed-up is bounded by the cores: on 2 cores, 4 workers can't beat 2.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from conversation.jobs import JobDeps  # noqa: E402
from conversation.models import Project, Version  # noqa: E402
from conversation.ports import JobRequest, JobUpdate  # noqa: E402
from conversation.store.local_media import LocalMediaStore  # noqa: E402
from conversation.store.sqlite import SQLiteProjectStore  # noqa: E402
from pipeline.api import PlanOutcome  # noqa: E402
from pipeline.models import EditPlan, Library, MediaKind, PlanRequest, RenderSpec, Segment, no_progress  # noqa: E402
from tests.integration.workers.synthetic_chunks import PatternChunks  # noqa: E402


class BenchPipeline:
    """Plans a fixed-length movie; rendering happens in chunks (PatternChunks)."""

    def __init__(self, seconds: float, size: tuple[int, int]) -> None:
        self.seconds = seconds
        self.size = size

    async def analyse(self, items, progress=no_progress) -> Library:  # type: ignore[no-untyped-def]
        return Library()

    async def plan(self, request, library, parent=None, progress=no_progress) -> PlanOutcome:  # type: ignore[no-untyped-def]
        seg = Segment(
            index=0, media_id="pattern", kind=MediaKind.PHOTO, timeline_start=0.0, duration=self.seconds
        )
        return PlanOutcome(
            plan=EditPlan(duration=self.seconds, aspect="16:9", segments=(seg,), request=request)
        )

    async def storyboard(self, plan, library, output: Path) -> Path:  # type: ignore[no-untyped-def]
        output.write_bytes(b"\x89PNG\r\n\x1a\n")
        return output

    def render_spec(self, plan, output: Path, *, draft: bool = False, target_size_bytes=None) -> RenderSpec:  # type: ignore[no-untyped-def]
        return RenderSpec(output=output, width=self.size[0], height=self.size[1], fps=30)

    async def render(self, *a, **kw):  # type: ignore[no-untyped-def]
        raise RuntimeError("the benchmark movie must fan out")


def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


# ---------------------------------------------------------------------------------- worker mode


def pipeline_settings(root: Path):  # type: ignore[no-untyped-def]
    from pipeline.settings import PipelineSettings

    # one work dir for every process of a run: the analysis cache is shared, like a shared volume
    return PipelineSettings(work_dir=root / "pipeline", local_only=True, threads=1)


def run_worker_process(redis_url: str, root: Path, args: argparse.Namespace, size: tuple[int, int]) -> None:
    from workers.main import WorkerConfig, serve

    chunks: object
    if args.renderer == "pipeline":
        from pipeline.api import Pipeline
        from workers.chunk_renderer import PipelineChunkRenderer

        pipeline: object = Pipeline(pipeline_settings(root))
        chunks = PipelineChunkRenderer(pipeline_settings(root))
    else:
        pipeline = BenchPipeline(args.seconds, size)
        chunks = PatternChunks(ffmpeg_exe(), chunk_seconds=args.chunk)

    async def open_deps() -> JobDeps:
        return JobDeps(store=SQLiteProjectStore(root / "db.sqlite3"), media=LocalMediaStore(root / "media"),
                       pipeline=pipeline, scratch_dir=root / f"scratch-{os.getpid()}")  # type: ignore[arg-type]  # fmt: skip

    config = WorkerConfig(redis_url=redis_url, poll_delay=0.05, fanout_min_seconds=1, render_timeout=3600,
                          health_check_interval=1)  # fmt: skip
    asyncio.run(serve(config, open_deps, chunk_renderer=chunks))  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------- driver


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_redis(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [shutil.which("redis-server") or "redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(workdir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return proc, f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.02)
    raise RuntimeError("redis-server did not start")


async def one_run(n_workers: int, args: argparse.Namespace, base: Path) -> float:
    from redis.asyncio import Redis

    from workers.events import EventConsumer
    from workers.queue import ArqJobQueue

    root = base / f"w{n_workers}"
    root.mkdir()
    redis_proc, url = start_redis(root)
    store = SQLiteProjectStore(root / "db.sqlite3")
    now = datetime.now(UTC)
    await store.create_project(Project(id="bench", title="bench", chat_key="bench:1", owner_key="bench:u",
                                       created_at=now, updated_at=now))  # fmt: skip
    request = PlanRequest()
    if args.renderer == "pipeline":
        request = PlanRequest(duration=args.seconds, prompt="a calm recap")
        await add_sample_media(store, root, Path(args.media))
    await store.create_version(Version(project_id="bench", number=1, request=request, created_by="bench:u",
                                       created_at=now))  # fmt: skip
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--worker",
                url,
                str(root),
                "--seconds",
                str(args.seconds),
                "--size",
                args.size,
                "--chunk",
                str(args.chunk),
                "--renderer",
                args.renderer,
                *(["--draft"] if args.draft else []),
            ],
            stdout=subprocess.DEVNULL,
            stderr=(root / f"worker-{i}.log").open("wb"),
        )
        for i in range(n_workers)
    ]
    events = Redis.from_url(url)
    queue = await ArqJobQueue.connect(url, store)
    done = asyncio.Event()
    outcome: list[JobUpdate] = []

    async def sink(update: JobUpdate) -> None:
        if update.kind in ("done", "failed"):
            outcome.append(update)
            done.set()

    consumer = EventConsumer(events, store, sink)
    consumer_task = asyncio.create_task(consumer.run(block_ms=100))
    try:
        # workers up (each writes a heartbeat once started) before the clock starts
        for _ in range(600):
            if await events.keys("mm:render:health-check:*"):
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(1.0)  # let every process finish importing
        t0 = time.perf_counter()
        await queue.enqueue(
            JobRequest(job_id="bench:v1:make", kind="make", project_id="bench", version=1, draft=args.draft)
        )
        await asyncio.wait_for(done.wait(), 3600)
        wall = time.perf_counter() - t0
        if outcome[0].kind != "done":
            logs = "".join((root / f"worker-{i}.log").read_text()[-3000:] for i in range(n_workers))
            raise RuntimeError(f"the movie failed: {outcome[0].message}\n{logs}")
        version = await store.get_version("bench", 1)
        if version is not None and version.duration:
            print(f"   ({version.duration:.1f} s movie, {version.width}x{version.height}, "
                  f"{(version.size_bytes or 0) / 1e6:.1f} MB)")  # fmt: skip
        return wall
    finally:
        consumer.stop()
        consumer_task.cancel()
        await asyncio.gather(consumer_task, return_exceptions=True)
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(30)
        await queue.close()
        await events.aclose()
        await store.close()
        redis_proc.terminate()
        redis_proc.wait(10)


async def add_sample_media(store: SQLiteProjectStore, root: Path, folder: Path) -> None:
    """Intake + analyse the sample media once (the cache is shared with the workers' pipeline)."""
    from conversation.models import MediaRecord
    from pipeline.api import Pipeline

    pipeline = Pipeline(pipeline_settings(root))
    media = LocalMediaStore(root / "media")
    report = await pipeline.intake(sorted(p for p in folder.iterdir() if p.is_file() and p.suffix != ".md"))
    await pipeline.analyse(report.accepted)
    now = datetime.now(UTC)
    for item in report.accepted:
        key = await media.put(f"bench/{item.id}{item.path.suffix}", item.path, item.mime)
        await store.add_media(MediaRecord(project_id="bench", media_id=item.id, item=item, storage_key=key,
                                          contributor_key="bench:u", added_at=now))  # fmt: skip


async def pipeline_baseline(args: argparse.Namespace, base: Path) -> float:
    """The pipeline's own one-process render_movie of the same request."""
    from pipeline.api import Pipeline

    root = base / "baseline"
    root.mkdir()
    pipeline = Pipeline(pipeline_settings(root))
    folder = Path(args.media)
    report = await pipeline.intake(sorted(p for p in folder.iterdir() if p.is_file() and p.suffix != ".md"))
    library = await pipeline.analyse(report.accepted)
    planned = await pipeline.plan(PlanRequest(duration=args.seconds, prompt="a calm recap"), library)
    spec = pipeline.render_spec(planned.plan, root / "movie.mp4", draft=args.draft)
    t0 = time.perf_counter()
    await pipeline.render(planned.plan, library, spec)
    return time.perf_counter() - t0


def whole_encode(args: argparse.Namespace, out: Path) -> float:
    """The baseline: one ffmpeg, all threads, the whole movie in one piece."""
    t0 = time.perf_counter()
    subprocess.run(
        [ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi",
         "-i", f"testsrc2=size={args.size}:rate=30:duration={args.seconds}",
         "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", str(out)],
        check=True,
    )  # fmt: skip
    return time.perf_counter() - t0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=180.0)
    p.add_argument("--size", default="960x540")
    p.add_argument("--chunk", type=float, default=15.0, help="chunk length in seconds")
    p.add_argument("--workers", default="1,2,4")
    p.add_argument("--renderer", choices=["synthetic", "pipeline"], default="synthetic")
    p.add_argument("--draft", action="store_true", help="pipeline renderer: 480p drafts")
    p.add_argument("--media", default=str(ROOT / "examples"), help="pipeline renderer: the media folder")
    p.add_argument("--worker", nargs=2, metavar=("REDIS_URL", "ROOT"), help=argparse.SUPPRESS)
    args = p.parse_args()
    w, h = (int(x) for x in args.size.split("x"))
    if args.worker:
        run_worker_process(args.worker[0], Path(args.worker[1]), args, (w, h))
        return
    counts = [int(x) for x in args.workers.split(",")]
    with tempfile.TemporaryDirectory(prefix="mm-fanout-") as tmp:
        base = Path(tmp)
        if args.renderer == "pipeline":
            print(f"a {args.seconds:.0f} s movie of {args.media} ({'draft' if args.draft else 'final'}), "
                  f"the renderer's chunks, on {os.cpu_count()} cores")  # fmt: skip
            baseline = asyncio.run(pipeline_baseline(args, base))
            print(f"baseline: render_movie in one process: {baseline:6.1f} s")
        else:
            print(
                f"one {args.seconds:.0f} s movie at {args.size}, {args.chunk:.0f} s chunks, on {os.cpu_count()} cores"
            )
            baseline = whole_encode(args, base / "whole.mp4")
            print(f"baseline: one encoder, all threads, one piece: {baseline:6.1f} s")
        walls: dict[int, float] = {}
        for n in counts:
            walls[n] = asyncio.run(one_run(n, args, base))
            print(f"{n} worker(s): {walls[n]:6.1f} s   speed-up vs 1 worker: "
                  f"{walls[counts[0]] / walls[n]:4.2f}x   vs baseline: {baseline / walls[n]:4.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()
