"""`memory-movie chat` as a user runs it: a real process, lines on its stdin, answers on its
stdout; then `--as bob` joins the same project. Runs once the entry point's wiring exists."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest


def _wired() -> bool:
    try:
        return hasattr(importlib.import_module("bots.wiring"), "run_console_chat")
    except ImportError:
        return False


pytestmark = pytest.mark.skipif(not _wired(), reason="bots.wiring.run_console_chat (the lead's wiring) not written yet")
REPO = Path(__file__).resolve().parents[3]


def _chat(home: Path, script: str, *extra: str) -> str:
    env = {**os.environ, "MEMORY_MOVIE_HOME": str(home), "MEMORY_MOVIE_LOCAL_ONLY": "true", "PYTHONPATH": str(REPO)}
    env.pop("GEMINI_API_KEY", None)
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from bots.cli import main; sys.exit(main())", "chat", *extra],
        input=script, capture_output=True, text=True, timeout=170, cwd=home.parent, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_scripted_chat_through_real_stdin_stdout(tmp_path: Path, tiny_media) -> None:  # type: ignore[no-untyped-def]
    photos = [tiny_media.photo(f"IMG_0{i}.jpg", seed=i) for i in range(1, 4)]
    out = _chat(tmp_path / "home", "/new Lisbon trip\n" + " ".join(str(p) for p in photos) + "\n/status\n/quit\n")
    assert "New project “Lisbon trip”" in out
    assert "Got 3 photos" in out
    assert "“Lisbon trip”: ready" in out
    bob = _chat(tmp_path / "home", f"{tiny_media.photo('bob.jpg', seed=9)}\n/members\n/quit\n", "--as", "bob")
    assert "Got 1 photo" in bob
    assert "ann: owner, 3 files" in bob and "bob: editor, 1 file" in bob
