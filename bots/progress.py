"""A per-stage text progress bar for terminals (one line per stage when output isn't a TTY)."""

from __future__ import annotations

import sys
from typing import TextIO

STAGES = ("intake", "analysis", "planning", "rendering")


class StageBars:
    def __init__(self, stream: TextIO | None = None, width: int = 28) -> None:
        self.stream = stream or sys.stderr
        self.width = width
        self.tty = self.stream.isatty()
        self._stage: str | None = None
        self._last = -1

    async def __call__(self, stage: str, fraction: float) -> None:
        fraction = min(1.0, max(0.0, fraction))
        percent = int(fraction * 100)
        if stage != self._stage:
            if self._stage is not None and self.tty:
                self.stream.write("\n")
            self._stage, self._last = stage, -1
        if percent == self._last or (not self.tty and percent not in (0, 100)):
            return
        self._last = percent
        filled = int(self.width * fraction)
        line = f"{stage:<10} [{'#' * filled}{'.' * (self.width - filled)}] {percent:3d}%"
        self.stream.write(("\r" + line) if self.tty else (line + "\n"))
        self.stream.flush()

    def close(self) -> None:
        if self.tty and self._stage is not None:
            self.stream.write("\n")
            self.stream.flush()
