"""`memory-movie`: one command, several front ends. Each subcommand imports only what it needs,
so `memory-movie make` doesn't pay for the chat libraries and `chat` starts instantly."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="memory-movie", description="Turn photos, clips and a song into a memory movie.")
    sub = p.add_subparsers(dest="command", required=True)

    make = sub.add_parser("make", help="make one movie from files (no setup, no keys)")
    make.add_argument("inputs", nargs="+", type=Path, help="photos, clips, songs or folders of them")
    make.add_argument("--music", type=Path, help="the song to cut to (default: the best song among the inputs)")
    make.add_argument("--prompt", default="", help='what you want, e.g. "upbeat 45 second recap, end on the sunset"')
    make.add_argument("--duration", type=float, help="target length in seconds (default: from the prompt or the material)")
    make.add_argument("--aspect", choices=["16:9", "9:16", "1:1"], default="16:9")
    make.add_argument("-o", "--output", type=Path, default=Path("memory-movie.mp4"))
    make.add_argument("--plan-out", type=Path, help="also write the edit plan as JSON")
    make.add_argument("--draft", action="store_true", help="fast low-resolution preview with the final timing")

    chat = sub.add_parser("chat", help="talk to the bot in this terminal")
    chat.add_argument("--as", dest="user", default="ann", help="who you are (another name joins as a member)")
    chat.add_argument("--chat-id", default="console", help="which conversation to join")

    evaluate = sub.add_parser("evaluate", help="score a movie and its plan with the objective metrics")
    evaluate.add_argument("movie", type=Path)
    evaluate.add_argument("--plan", type=Path, required=True)
    evaluate.add_argument("--media", type=Path, help="folder of the movie's media: adds the library-dependent metrics")

    sub.add_parser("telegram", help="run the Telegram bot (TELEGRAM_BOT_TOKEN)")
    sub.add_parser("discord", help="run the Discord bot (DISCORD_BOT_TOKEN)")
    worker = sub.add_parser("worker", help="run a job worker (REDIS_URL)")
    worker.add_argument("--queue", choices=["all", "analysis", "render"], default="all")
    worker.add_argument("--health", action="store_true", help="check the worker's health and exit")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from bots.logs import setup_logging
    from bots.settings import AppSettings, ConfigError

    settings = AppSettings()
    setup_logging(settings.log_format, settings.log_level, quiet=args.command in ("make", "chat", "evaluate"))
    try:
        if args.command == "make":
            from bots.make_command import run_make

            return run_make(args, settings)
        if args.command == "chat":
            from bots.wiring import run_console_chat

            return run_console_chat(settings, user=args.user, chat_id=args.chat_id)
        if args.command == "evaluate":
            from bots.evaluate_command import run_evaluate

            return run_evaluate(args, settings)
        if args.command == "telegram":
            from bots.wiring import run_telegram

            return run_telegram(settings)
        if args.command == "discord":
            from bots.wiring import run_discord

            return run_discord(settings)
        if args.command == "worker":
            from bots.wiring import run_worker

            return run_worker(settings, queue=args.queue, health=args.health)
    except KeyboardInterrupt:
        return 130
    except ConfigError as e:
        print(f"memory-movie: {e}", file=sys.stderr)
        return 2
    return 1


if __name__ == "__main__":
    sys.exit(main())
