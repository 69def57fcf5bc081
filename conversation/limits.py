"""Per-user and per-project caps, with messages that say what the limit is and what to do."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from conversation.models import MediaRecord, Version
from conversation.settings import CoreSettings
from conversation.texts import mb, plural

_UNLIMITED = 1 << 62


@dataclass(frozen=True)
class Allowance:
    files: int
    bytes: int
    reason_files: str = ""
    reason_bytes: str = ""


def _cap(value: int) -> int:
    return value if value > 0 else _UNLIMITED


def upload_allowance(settings: CoreSettings, media: list[MediaRecord], user_key: str) -> Allowance:
    """How many more files/bytes this user may add to this project (removed files don't count)."""
    live = [m for m in media if not m.removed]
    mine = [m for m in live if m.contributor_key == user_key]
    files_user = _cap(settings.max_files_per_user) - len(mine)
    files_proj = _cap(settings.max_files_per_project) - len(live)
    bytes_user = _cap(settings.max_bytes_per_user) - sum(m.item.size_bytes for m in mine)
    bytes_proj = _cap(settings.max_bytes_per_project) - sum(m.item.size_bytes for m in live)
    if files_user <= files_proj:
        rf = f"you've reached the limit of {plural(settings.max_files_per_user, 'file')} per person"
    else:
        rf = f"this project has reached its limit of {plural(settings.max_files_per_project, 'file')}"
    if bytes_user <= bytes_proj:
        rb = f"it would take you over {mb(settings.max_bytes_per_user)} per person"
    else:
        rb = f"it would take this project over {mb(settings.max_bytes_per_project)}"
    return Allowance(max(0, min(files_user, files_proj)), max(0, min(bytes_user, bytes_proj)), rf, rb)


def movie_limit(settings: CoreSettings, versions: list[Version], user_key: str, now: datetime) -> str | None:
    """A message when another movie now would exceed the hourly caps, else None."""
    since = now - timedelta(hours=1)
    recent = [v for v in versions if v.created_at >= since and v.status != "cancelled"]
    mine = [v for v in recent if v.created_by == user_key]
    for count, cap, who in (
        (len(mine), settings.movies_per_hour_per_user, "you"),
        (len(recent), settings.movies_per_hour_per_project, "this project"),
    ):
        if cap > 0 and count >= cap:
            oldest = min(v.created_at for v in (mine if who == "you" else recent))
            wait = max(1, int((oldest + timedelta(hours=1) - now).total_seconds() // 60) + 1)
            return (
                f"That's {plural(cap, 'movie')} in the last hour for {who}, the limit. "
                f"Try again in about {plural(wait, 'minute')}."
            )
    return None
