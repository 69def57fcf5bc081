"""`memory-movie telegram` as a user runs it: a real process, settings from the environment,
talking to the fake Bot API through TELEGRAM_API_URL."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.fakes.telegram_server import FakeTelegram
from tests.fakes.telegram_users import TelegramUsers

REPO = Path(__file__).resolve().parents[3]


async def _spawn(tmp_path: Path, **env: str) -> asyncio.subprocess.Process:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "SUPABASE_", "REDIS_", "GEMINI_"))
    }
    clean.update(PYTHONPATH=str(REPO), MEMORY_MOVIE_HOME=str(tmp_path / "home"), PTB_TIMEDELTA="true", **env)
    return await asyncio.create_subprocess_exec(
        sys.executable, "-c", "import sys; from bots.cli import main; sys.exit(main(['telegram']))",
        cwd=tmp_path, env=clean, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def test_memory_movie_telegram_answers_and_stops_on_sigterm(fake: FakeTelegram, users: TelegramUsers,
                                                                  tmp_path: Path) -> None:  # fmt: skip
    proc = await _spawn(tmp_path, TELEGRAM_BOT_TOKEN=fake.token, TELEGRAM_API_URL=f"{fake.base}/bot")
    try:
        await fake.wait_for(lambda: any(m == "getUpdates" for m, _ in fake.calls), timeout=60)
        ann = users.user("Ann")
        users.says(ann, users.private(ann), "/start")
        answer = await fake.wait_for(lambda: fake.posted(ann["id"]), timeout=30)
        assert "/new" in (answer[0].text or "")
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), 30)
        assert proc.returncode == 0, err.decode()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def test_a_rejected_or_missing_token_is_a_clear_error(fake: FakeTelegram, tmp_path: Path) -> None:
    rejected = await _spawn(tmp_path, TELEGRAM_BOT_TOKEN="999:wrong", TELEGRAM_API_URL=f"{fake.base}/bot")
    missing = await _spawn(tmp_path)
    _, err_rejected = await asyncio.wait_for(rejected.communicate(), 60)
    _, err_missing = await asyncio.wait_for(missing.communicate(), 60)
    assert rejected.returncode == 2 and "rejected TELEGRAM_BOT_TOKEN" in err_rejected.decode()
    assert missing.returncode == 2 and "TELEGRAM_BOT_TOKEN is not set" in err_missing.decode()
    assert "Traceback" not in err_rejected.decode() + err_missing.decode()
