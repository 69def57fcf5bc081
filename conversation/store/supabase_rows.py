"""How the conversation records map to the Supabase schema (supabase/migrations), both ways,
and the client both Supabase stores open. Kept apart from the stores so each file holds one idea.

People are profiles (platform + platform user id); the records name them by user key
("telegram:42"). Reads embed the profile (`owner:profiles!...(platform,platform_user_id)`) and
rebuild the key; writes take the profile id the store resolved.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from conversation.models import Comment, MediaRecord, Member, Project, Version, Vote

PROFILE = "platform,platform_user_id"
PROJECT_SELECT = f"*,owner:profiles!projects_owner_id_fkey({PROFILE})"
MEMBER_SELECT = f"*,profile:profiles({PROFILE})"
MEDIA_SELECT = f"*,contributor:profiles({PROFILE})"
VERSION_SELECT = f"*,author:profiles({PROFILE})"
COMMENT_SELECT = f"*,author:profiles({PROFILE})"
VOTE_SELECT = f"*,voter:profiles({PROFILE})"
LINK_SELECT = "chat_key,message_id,project_id,version,kind"


def split_user_key(user_key: str) -> tuple[str, str]:
    """'telegram:42' -> ('telegram', '42'). A key without both parts is kept whole (platform '')."""
    platform, sep, user_id = user_key.partition(":")
    if not sep or not platform or not user_id:
        return "", user_key
    return platform, user_id


def join_user_key(profile: dict[str, Any]) -> str:
    platform, user_id = profile["platform"], profile["platform_user_id"]
    return f"{platform}:{user_id}" if platform else user_id


def iso(moment: datetime) -> str:
    return moment.isoformat()


# ------------------------------------------------------------------ projects and members


def project_row(project: Project, owner_id: str) -> dict[str, Any]:
    return {
        "id": project.id,
        "title": project.title,
        "chat_key": project.chat_key,
        "owner_id": owner_id,
        "state": project.state,
        "request": project.request.model_dump(mode="json"),
        "locked": project.locked,
        "current_version": project.current_version,
        "default_role": project.default_role,
        "ballot": project.ballot,
        "revision": project.revision,
        "created_at": iso(project.created_at),
        "updated_at": iso(project.updated_at),
    }


def project_from(row: dict[str, Any]) -> Project:
    return Project(
        id=row["id"],
        title=row["title"],
        chat_key=row["chat_key"],
        owner_key=join_user_key(row["owner"]),
        state=row["state"],
        request=row["request"],
        locked=row["locked"],
        current_version=row["current_version"],
        default_role=row["default_role"],
        ballot=row["ballot"],
        revision=row["revision"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def member_row(member: Member, profile_id: str) -> dict[str, Any]:
    return {
        "project_id": member.project_id,
        "profile_id": profile_id,
        "role": member.role,
        "display_name": member.name,
        "joined_at": iso(member.joined_at),
    }


def member_from(row: dict[str, Any]) -> Member:
    return Member(
        project_id=row["project_id"],
        user_key=join_user_key(row["profile"]),
        name=row["display_name"],
        role=row["role"],
        joined_at=row["joined_at"],
    )


# ------------------------------------------------------------------ media and versions


def media_row(record: MediaRecord, contributor_id: str) -> dict[str, Any]:
    return {
        "project_id": record.project_id,
        "media_id": record.media_id,
        "item": record.item.model_dump(mode="json"),
        "storage_key": record.storage_key,
        "contributor_id": contributor_id,
        "contributor_name": record.contributor_name,
        "added_at": iso(record.added_at),
        "removed": record.removed,
    }


def media_from(row: dict[str, Any]) -> MediaRecord:
    return MediaRecord(
        project_id=row["project_id"],
        media_id=row["media_id"],
        item=row["item"],
        storage_key=row["storage_key"],
        contributor_key=join_user_key(row["contributor"]),
        contributor_name=row["contributor_name"],
        added_at=row["added_at"],
        removed=row["removed"],
    )


_VERSION_COLUMNS = (
    "parent", "status", "summary", "render_key", "poster_key", "storyboard_key", "duration", "width",
    "height", "size_bytes", "error", "asked_in",
)


def version_row(version: Version, author_id: str) -> dict[str, Any]:
    """Every column but the key (project_id, number), which callers add or filter on."""
    return {
        **{column: getattr(version, column) for column in _VERSION_COLUMNS},
        "request": version.request.model_dump(mode="json"),
        "plan": version.plan.model_dump(mode="json") if version.plan is not None else None,
        "created_by": author_id,
        "created_at": iso(version.created_at),
    }


def version_from(row: dict[str, Any]) -> Version:
    return Version(
        project_id=row["project_id"],
        number=row["number"],
        request=row["request"],
        plan=row["plan"],
        created_by=join_user_key(row["author"]),
        created_at=row["created_at"],
        **{column: row[column] for column in _VERSION_COLUMNS},
    )


# ------------------------------------------------------------------ comments and votes


def comment_row(comment: Comment, author_id: str) -> dict[str, Any]:
    return {
        "id": comment.id,
        "project_id": comment.project_id,
        "version": comment.version,
        "author_id": author_id,
        "body": comment.text,
        "at_seconds": comment.at_seconds,
        "created_at": iso(comment.created_at),
    }


def comment_from(row: dict[str, Any]) -> Comment:
    return Comment(
        id=row["id"],
        project_id=row["project_id"],
        version=row["version"],
        user_key=join_user_key(row["author"]),
        text=row["body"],
        at_seconds=row["at_seconds"],
        created_at=row["created_at"],
    )


def vote_row(vote: Vote, voter_id: str) -> dict[str, Any]:
    return {
        "project_id": vote.project_id,
        "ballot": vote.ballot,
        "voter_id": voter_id,
        "version": vote.version,
        "created_at": iso(vote.created_at),
    }


def vote_from(row: dict[str, Any]) -> Vote:
    return Vote(
        project_id=row["project_id"],
        ballot=row["ballot"],
        user_key=join_user_key(row["voter"]),
        version=row["version"],
        created_at=row["created_at"],
    )


# ------------------------------------------------------------------ the client and its failures

C = TypeVar("C", bound=type)

# PostgREST could not reach or use the database (PGRST000-003); PostgreSQL connection exceptions
# (class 08), shutdown, too many connections, serialization failure, deadlock: a retry may succeed
_TRANSIENT_SQLSTATE_PREFIXES = ("PGRST000", "PGRST001", "PGRST002", "PGRST003", "08", "57P0", "53300",
                                "40001", "40P01")
# a gateway's error page instead of PostgREST JSON: postgrest-py reports the HTTP status as the code
_TRANSIENT_HTTP = ("500", "502", "503", "504", "520", "522", "524")


class SupabaseUnavailable(ConnectionError):
    """Supabase did not answer, or answered 'try again'. A ConnectionError, which the core's job
    runner (conversation/jobs.py) already treats as a blink worth retrying."""


def _is_transient(exc: BaseException) -> bool:
    import httpx

    if isinstance(exc, httpx.TransportError):  # refused, reset, timed out
        return True
    module = type(exc).__module__
    if module.startswith("postgrest"):
        code = str(getattr(exc, "code", "") or "")
        return code in _TRANSIENT_HTTP or code.startswith(_TRANSIENT_SQLSTATE_PREFIXES)
    if module.startswith("storage3"):
        return str(getattr(exc, "status", "")) in _TRANSIENT_HTTP
    return False


def retry_signals(cls: C) -> C:
    """Wrap every public coroutine method so transient failures surface as SupabaseUnavailable."""

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        async def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return await fn(*args, **kwargs)
            except SupabaseUnavailable:
                raise
            except Exception as exc:
                if _is_transient(exc):
                    raise SupabaseUnavailable(f"Supabase unavailable: {type(exc).__name__}: {exc}") from exc
                raise

        return call

    for name, member in list(vars(cls).items()):
        if not name.startswith("_") and name not in ("aclose", "close") and inspect.iscoroutinefunction(member):
            setattr(cls, name, wrap(member))
    return cls


def open_client(url: str, key: str, timeout: float) -> tuple[Any, Any]:
    """(supabase AsyncClient, the httpx client under it). Closing the httpx client closes every
    socket the Supabase client opened; auth refresh and sessions are off (a service key has none)."""
    import httpx

    from supabase import AsyncClient, AsyncClientOptions

    http = httpx.AsyncClient(timeout=timeout)
    options = AsyncClientOptions(httpx_client=http, auto_refresh_token=False, persist_session=False)
    return AsyncClient(url, key, options), http


class ClientOwner:
    """What both Supabase stores keep about their connection: the address, the key, and the
    supabase client with the httpx client under it. Each store opens them lazily (under `_lock`);
    `aclose` closes the httpx client only if the store made it (a `client=` passed in belongs to
    its owner)."""

    def __init__(self, url: str, service_role_key: str, *, timeout: float, client: Any) -> None:
        self.url = url
        self._key = service_role_key
        self._timeout = timeout
        self._client = client
        self._http: Any = None  # the httpx client we made (and must close)
        self._lock = asyncio.Lock()

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None
            self._client = None

    close = aclose
