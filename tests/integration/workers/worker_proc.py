"""Run as a script: one worker process (both queues) on the given Redis, SQLite store and media
folder, rendering with ChunkedSlowPipeline. The SIGKILL test starts two of these.

    python worker_proc.py REDIS_URL ROOT [--burst] [--chunks N] [--chunk-seconds S]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO))

from conversation.jobs import JobDeps  # noqa: E402
from conversation.store.local_media import LocalMediaStore  # noqa: E402
from conversation.store.sqlite import SQLiteProjectStore  # noqa: E402
from tests.integration.workers.slow_pipeline import ChunkedSlowPipeline  # noqa: E402
from tests.integration.workers.synthetic_chunks import PatternChunks  # noqa: E402
from workers.main import WorkerConfig, serve  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("redis_url")
    p.add_argument("root", type=Path)
    p.add_argument("--burst", action="store_true")
    p.add_argument("--chunks", type=int, default=5)
    p.add_argument("--chunk-seconds", type=float, default=0.4)
    p.add_argument("--lease", type=float, default=1.0)
    p.add_argument("--fanout", type=float, default=0.0, help="fan out movies this long, chunk per second")
    args = p.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(process)d %(name)s %(message)s")
    root: Path = args.root

    async def open_deps() -> JobDeps:
        return JobDeps(
            store=SQLiteProjectStore(root / "core.sqlite3"),
            media=LocalMediaStore(root / "media-store"),
            pipeline=ChunkedSlowPipeline(root / "chunks", args.chunks, args.chunk_seconds),  # type: ignore[arg-type]
            scratch_dir=root / "worker-scratch",
        )

    config = WorkerConfig(
        redis_url=args.redis_url,
        burst=args.burst,
        poll_delay=0.05,
        lease_seconds=args.lease,
        fanout_min_seconds=args.fanout or 90.0,
    )
    chunks = None
    if args.fanout:
        import imageio_ffmpeg

        chunks = SlowPatternChunks(
            imageio_ffmpeg.get_ffmpeg_exe(), chunk_seconds=1.0, preset="ultrafast", log=root / "chunk-log",
            delay=args.chunk_seconds,
        )  # fmt: skip
    asyncio.run(serve(config, open_deps, chunk_renderer=chunks))


class SlowPatternChunks(PatternChunks):
    """Chunks that take a while, so a test can kill a worker in the middle of the fan-out."""

    def __init__(self, *a, delay: float, **kw) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*a, **kw)
        self.delay = delay

    async def render_chunk(self, plan, library, spec, chunk, output):  # type: ignore[no-untyped-def]
        await asyncio.sleep(self.delay)
        return await super().render_chunk(plan, library, spec, chunk, output)


if __name__ == "__main__":
    main()
