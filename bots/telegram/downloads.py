"""Fetching the files users send. A cloud Bot API server lets bots download at most 20 MB, so a
bigger file is reported as too large (with the limit) instead of being fetched; anything else
that fails is reported per file, and the other files of the message still arrive."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from telegram import Bot
from telegram.constants import FileSizeLimit
from telegram.error import BadRequest, TelegramError

from bots.telegram.flood import with_flood_retry
from bots.telegram.translate import FileSpec
from conversation.events import IncomingFile

log = logging.getLogger(__name__)

CLOUD_DOWNLOAD_LIMIT = int(FileSizeLimit.FILESIZE_DOWNLOAD)  # 20 MB
LOCAL_SERVER_LIMIT = int(FileSizeLimit.FILESIZE_UPLOAD_LOCAL_MODE)  # 2000 MB


def _safe_name(name: str) -> str:
    # a user-chosen file name must not escape the download folder
    cleaned = re.sub(r"[^\w.\- ]", "_", Path(name).name).strip(" .")
    return cleaned or "file"


async def fetch_file(bot: Bot, spec: FileSpec, dest_dir: Path, *, limit: int, index: int = 0) -> IncomingFile:
    base = IncomingFile(name=spec.name, size_bytes=spec.size, mime=spec.mime, as_document=spec.as_document)
    too_large = base.model_copy(update={"problem": "too_large", "limit_bytes": limit})
    if spec.size is not None and spec.size > limit:
        return too_large
    try:
        tg_file = await with_flood_retry(lambda: bot.get_file(spec.file_id))
        dest = dest_dir / f"{index:03d}_{_safe_name(spec.name)}"
        await with_flood_retry(lambda: tg_file.download_to_drive(dest))
    except BadRequest as exc:
        if "too big" in exc.message.lower():
            return too_large
        log.warning("telegram download of %s failed: %s", spec.name, exc.message)
        return base.model_copy(update={"problem": "download_failed"})
    except TelegramError as exc:
        log.warning("telegram download of %s failed: %s", spec.name, exc)
        return base.model_copy(update={"problem": "download_failed"})
    return base.model_copy(update={"path": dest, "size_bytes": dest.stat().st_size})
