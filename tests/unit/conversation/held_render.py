"""Run as a script: start a project whose render never finishes, print READY, then wait to be
killed (test_cancel_restart kills it with SIGKILL: a crash, not a clean shutdown)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from conversation.events import CommandReceived
from tests.unit.conversation.chatkit import Chat, ann
from tests.unit.conversation.standin import StandInPipeline

ASKED = "u-make-1"


async def main(root: Path, photos: list[Path]) -> None:
    pipeline = StandInPipeline()
    pipeline.render_gate = asyncio.Event()
    chat = Chat(root, pipeline)
    await chat.send(ann, "/new trip")
    await chat.upload(ann, *photos)
    # the message that asked: after the crash and restart the movie must still answer it
    await chat.core.handle(
        CommandReceived(chat=chat.ref, user=ann, event_id="make", name="make", message_id=ASKED)
    )
    await asyncio.wait_for(pipeline.render_started.wait(), 30)
    print("READY", flush=True)
    await asyncio.sleep(3600)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), [Path(p) for p in sys.argv[2:]]))
