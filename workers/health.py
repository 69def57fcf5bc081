"""Health checks for compose (and `memory-movie worker --health`): exit 0 when this container's
process is alive and talking to Redis.

- worker: each queue it serves has a fresh heartbeat under its own hostname (arq writes it every
  `health_check_interval`);
- bot: its EventConsumer (named "<hostname>-<pid>") read the event stream recently.

    python -m workers.health worker [--queue all|analysis|render]
    python -m workers.health bot
(REDIS_URL from the environment: this is an entry point.)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sys
from collections.abc import Sequence

from redis.asyncio import Redis

from workers.events import ALIVE_PREFIX
from workers.queue import ANALYSIS_QUEUE, RENDER_QUEUE

HEALTH_SUFFIX = ":health-check"


def health_key(queue: str, host: str | None = None) -> str:
    """Per process (container hostnames differ): compose checks each worker, not just any worker."""
    return f"{queue}{HEALTH_SUFFIX}:{host or socket.gethostname()}"


def queue_names(choice: str) -> tuple[str, ...]:
    """`--queue all|analysis|render` from the CLI."""
    return {"analysis": (ANALYSIS_QUEUE,), "render": (RENDER_QUEUE,)}.get(
        choice, (RENDER_QUEUE, ANALYSIS_QUEUE)
    )


async def worker_health(
    redis_url: str, queues: Sequence[str], host: str | None = None
) -> dict[str, str | None]:
    """Each queue's latest heartbeat from this host (None: none recently)."""
    client = Redis.from_url(redis_url, socket_connect_timeout=3)
    try:
        out: dict[str, str | None] = {}
        for queue in queues:
            raw = await client.get(health_key(queue, host))
            out[queue] = raw.decode() if raw else None
        return out
    finally:
        await client.aclose()


async def bot_health(redis_url: str, *, host: str | None = None) -> bool:
    """True when an event consumer on this host ("<hostname>-<pid>") polled within the last minute."""
    client = Redis.from_url(redis_url, socket_connect_timeout=3)
    try:
        async for _key in client.scan_iter(
            match=f"{ALIVE_PREFIX}{host or socket.gethostname()}-*", count=1000
        ):
            return True
        return False
    finally:
        await client.aclose()


def check_worker(redis_url: str, queues: Sequence[str]) -> int:
    try:
        beats = asyncio.run(worker_health(redis_url, queues))
    except Exception as exc:  # Redis down: unhealthy, said plainly
        print(f"unhealthy: redis unreachable ({exc})")
        return 1
    for queue, beat in beats.items():
        print(f"{queue}: {beat or 'no heartbeat from this host'}")
    return 0 if all(beats.values()) else 1


def check_bot(redis_url: str) -> int:
    try:
        ok = asyncio.run(bot_health(redis_url))
    except Exception as exc:
        print(f"unhealthy: redis unreachable ({exc})")
        return 1
    print("events consumer alive" if ok else "no live events consumer on this host")
    return 0 if ok else 1


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m workers.health")
    p.add_argument("process", choices=["worker", "bot"])
    p.add_argument("--queue", choices=["all", "analysis", "render"], default="all")
    args = p.parse_args(argv)
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    if args.process == "worker":
        return check_worker(redis_url, queue_names(args.queue))
    return check_bot(redis_url)


if __name__ == "__main__":
    sys.exit(main())
