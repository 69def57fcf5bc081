"""Running ffmpeg: async children with `-progress` parsing, cancellation that kills, stderr tails.

Two shapes: `run_ffmpeg` for self-contained commands (audio, joins, measuring), and
`encode_frames` for the video encoder fed raw frames from our compositor in a worker thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import tempfile
import threading
from collections.abc import Awaitable, Callable, Iterator, Sequence

import numpy as np

from pipeline.errors import RenderFailed

Fraction = Callable[[float], Awaitable[None]]  # progress of one ffmpeg run, 0..1
TAIL = 1500


def _tail(text: str) -> str:
    return text[-TAIL:].strip()


async def run_ffmpeg(
    ffmpeg: str, args: Sequence[str], *, seconds: float | None = None, on_progress: Fraction | None = None
) -> str:
    """Run ffmpeg to completion; returns its stderr. Raises RenderFailed with the tail on failure.

    Cancelling the awaiting task kills the child (no orphan ffmpeg keeps the CPU busy)."""
    cmd = [ffmpeg, "-nostdin", "-hide_banner", "-y", "-progress", "pipe:1", "-nostats", *args]
    proc = await asyncio.create_subprocess_exec(
        *cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout is not None and proc.stderr is not None

    async def read_progress() -> None:
        assert proc.stdout is not None
        async for raw in proc.stdout:
            key, _, value = raw.decode(errors="replace").strip().partition("=")
            if key == "out_time_us" and seconds and on_progress and value.lstrip("-").isdigit():
                await on_progress(min(1.0, max(0.0, int(value) / 1e6 / seconds)))

    try:
        _, err, _ = await asyncio.gather(read_progress(), proc.stderr.read(), proc.wait())
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        with contextlib.suppress(BaseException):
            await asyncio.shield(proc.wait())
        raise
    text = err.decode(errors="replace")
    if proc.returncode != 0:
        raise RenderFailed(f"ffmpeg exited with {proc.returncode}: {_tail(text)}")
    return text


F_SETPIPE_SZ = 1031  # Linux fcntl: a frame is megabytes; 64 KiB pipes mean dozens of wake-ups each


def widen_pipe(fd: int, size: int = 1 << 20) -> None:
    with contextlib.suppress(OSError):
        import fcntl

        fcntl.fcntl(fd, F_SETPIPE_SZ, size)


class Children:
    """Child processes of a render, so a cancelled task can kill every one of them."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen[bytes]] = []
        self.cancelled = threading.Event()

    def kill_all(self) -> None:
        self.cancelled.set()
        for p in list(self.procs):
            with contextlib.suppress(ProcessLookupError, OSError):
                if p.poll() is None:
                    p.kill()


def _encode_sync(
    cmd: list[str], frames: Iterator[np.ndarray], children: Children, counter: list[int]
) -> None:
    with tempfile.TemporaryFile() as errf:
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errf)
        children.procs.append(proc)
        assert proc.stdin is not None and proc.stdout is not None
        widen_pipe(proc.stdin.fileno())
        stdout = proc.stdout

        def read_progress() -> None:
            for raw in stdout:
                key, _, value = raw.decode(errors="replace").strip().partition("=")
                if key == "frame" and value.isdigit():
                    counter[0] = int(value)

        reader = threading.Thread(target=read_progress, daemon=True)
        reader.start()
        broken = False
        try:
            for frame in frames:
                if children.cancelled.is_set():
                    break
                proc.stdin.write(frame.data)
        except (BrokenPipeError, OSError):
            broken = True
        finally:
            with contextlib.suppress(BrokenPipeError, OSError):
                proc.stdin.close()
            rc = proc.wait()
            reader.join(timeout=5)
            stdout.close()
            if proc in children.procs:
                children.procs.remove(proc)
        if children.cancelled.is_set():
            return
        if rc != 0 or broken:
            errf.seek(0)
            raise RenderFailed(
                f"ffmpeg encoder exited with {rc}: {_tail(errf.read().decode(errors='replace'))}"
            )


async def encode_frames(
    cmd: list[str],
    frames: Callable[[Children], Iterator[np.ndarray]],
    total_frames: int,
    on_progress: Fraction | None = None,
) -> None:
    """Feed frames (built in a worker thread) to an encoder reading rawvideo on stdin.

    `frames(children)` returns the iterator; it may register its own children (clip decoders)."""
    children = Children()
    counter = [0]
    frame_iter = frames(children)
    task = asyncio.ensure_future(asyncio.to_thread(_encode_sync, cmd, frame_iter, children, counter))
    try:
        while not task.done():
            await asyncio.wait({task}, timeout=0.25)
            if on_progress is not None and total_frames:
                await on_progress(min(1.0, counter[0] / total_frames))
        task.result()
    except BaseException:
        children.kill_all()
        with contextlib.suppress(BaseException):
            await asyncio.shield(task)
        raise
    finally:
        close = getattr(frame_iter, "close", None)
        if close is not None and task.done():
            with contextlib.suppress(Exception):
                close()
