"""The production ProjectStore: Supabase Postgres through PostgREST (supabase-py), service role.

Schema: supabase/migrations. People are `profiles` rows (platform + platform user id); the core's
user keys ("telegram:42") are mapped to profile ids here, once per process (cached). Nested
pipeline models (PlanRequest, EditPlan, MediaItem) are jsonb. Every query that lists rows is
ordered and paged, because Supabase caps a response at `max_rows` (1000) without saying so.
supabase is imported lazily: the CLI and the SQLite path never pay for it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from conversation.models import Comment, Job, MediaRecord, Member, MessageLink, Project, Version, Vote
from conversation.ports import DuplicateVersion, StaleWrite

_PAGE = 1000
_PROFILE = "platform,platform_user_id"
_PROJECT = f"*,owner:profiles!projects_owner_id_fkey({_PROFILE})"
_UNIQUE_VIOLATION = "23505"


def split_user_key(user_key: str) -> tuple[str, str]:
    """'telegram:42' -> ('telegram', '42'). A key without both parts is kept whole (platform '')."""
    platform, sep, user_id = user_key.partition(":")
    if not sep or not platform or not user_id:
        return "", user_key
    return platform, user_id


def join_user_key(profile: dict[str, Any]) -> str:
    platform, user_id = profile["platform"], profile["platform_user_id"]
    return f"{platform}:{user_id}" if platform else user_id


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _now() -> str:
    return datetime.now(UTC).isoformat()


class SupabaseProjectStore:
    """`SupabaseProjectStore(url, service_role_key)` — SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY.

    `client=` takes an existing supabase AsyncClient instead (its owner closes it). Call
    `await store.aclose()` when done with a store that made its own client.
    """

    def __init__(self, url: str, service_role_key: str, *, timeout: float = 30.0, client: Any = None) -> None:
        self.url = url
        self._key = service_role_key
        self._timeout = timeout
        self._client = client
        self._http: Any = None  # the httpx client we made (and must close)
        self._lock = asyncio.Lock()
        self._profiles: dict[str, tuple[str, str]] = {}  # user_key -> (profile id, display name sent)

    # ------------------------------------------------------------------ plumbing

    async def _db(self) -> Any:
        if self._client is None:
            async with self._lock:
                if self._client is None:
                    self._client = await open_client(self.url, self._key, self._timeout, owner=self)
        return self._client

    async def _table(self, name: str) -> Any:
        return (await self._db()).table(name)

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None
            self._client = None

    close = aclose

    async def _all(self, build: Callable[[], Any]) -> list[dict[str, Any]]:
        """Every row of an ordered query, page by page."""
        rows: list[dict[str, Any]] = []
        while True:
            page = (await build().range(len(rows), len(rows) + _PAGE - 1).execute()).data
            rows.extend(page)
            if len(page) < _PAGE:
                return rows

    async def _profile_id(self, user_key: str, name: str = "") -> str:
        """The profile for a user key, created on first sight; a new display name is stored."""
        cached = self._profiles.get(user_key)
        if cached and (not name or name == cached[1]):
            return cached[0]
        platform, user_id = split_user_key(user_key)
        db = await self._db()
        result = await db.rpc(
            "ensure_profile", {"p_platform": platform, "p_platform_user_id": user_id, "p_display_name": name}
        ).execute()
        profile_id = str(result.data)
        self._profiles[user_key] = (profile_id, name or (cached[1] if cached else ""))
        return profile_id

    async def _find_profile(self, user_key: str) -> str | None:
        """The profile id if this user exists (reads never create people)."""
        cached = self._profiles.get(user_key)
        if cached:
            return cached[0]
        platform, user_id = split_user_key(user_key)
        rows = (
            await (await self._table("profiles")).select("id")
            .eq("platform", platform).eq("platform_user_id", user_id).execute()
        ).data
        return str(rows[0]["id"]) if rows else None

    # ------------------------------------------------------------------ projects

    def _project_row(self, project: Project, owner_id: str) -> dict[str, Any]:
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
            "created_at": _iso(project.created_at),
            "updated_at": _iso(project.updated_at),
        }

    @staticmethod
    def _project(row: dict[str, Any]) -> Project:
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

    async def create_project(self, project: Project) -> None:
        owner_id = await self._profile_id(project.owner_key)
        await (await self._table("projects")).insert(
            self._project_row(project, owner_id), returning="minimal"
        ).execute()
        # the newest project in a chat is the one the chat talks about
        await self.bind_chat(project.chat_key, project.id)

    async def get_project(self, project_id: str) -> Project | None:
        rows = (await (await self._table("projects")).select(_PROJECT).eq("id", project_id).execute()).data
        return self._project(rows[0]) if rows else None

    async def update_project(self, project: Project) -> Project:
        saved = project.model_copy(update={"revision": project.revision + 1})
        row = self._project_row(saved, await self._profile_id(saved.owner_key))
        del row["id"], row["created_at"]
        table = await self._table("projects")
        written = (
            await table.update(row).eq("id", project.id).eq("revision", project.revision).execute()
        ).data
        if not written:
            current = (await (await self._table("projects")).select("revision").eq("id", project.id).execute()).data
            if not current:
                raise KeyError(f"no project {project.id!r}")
            raise StaleWrite(f"project {project.id} is at revision {current[0]['revision']}, not {project.revision}")
        return saved

    async def delete_project(self, project_id: str) -> None:
        # every child table references projects(id) on delete cascade
        await (await self._table("projects")).delete(returning="minimal").eq("id", project_id).execute()

    async def bind_chat(self, chat_key: str, project_id: str) -> None:
        await (await self._table("chat_bindings")).upsert(
            {"chat_key": chat_key, "project_id": project_id, "bound_at": _now()},
            on_conflict="chat_key", returning="minimal",
        ).execute()

    async def project_for_chat(self, chat_key: str) -> Project | None:
        rows = (
            await (await self._table("chat_bindings")).select(f"project:projects({_PROJECT})")
            .eq("chat_key", chat_key).execute()
        ).data
        return self._project(rows[0]["project"]) if rows and rows[0]["project"] else None

    async def projects_of_user(self, user_key: str) -> list[Project]:
        profile_id = await self._find_profile(user_key)
        if profile_id is None:
            return []
        owned = await self._all(
            lambda: self._client.table("projects").select(_PROJECT).eq("owner_id", profile_id).order("id")
        )
        joined = await self._all(
            lambda: self._client.table("project_collaborators").select(f"project:projects({_PROJECT})")
            .eq("profile_id", profile_id).order("project_id")
        )
        found = {row["id"]: self._project(row) for row in owned}
        for row in joined:
            found.setdefault(row["project"]["id"], self._project(row["project"]))
        return sorted(found.values(), key=lambda p: (p.created_at, p.id))

    # ------------------------------------------------------------------ members

    @staticmethod
    def _member(row: dict[str, Any]) -> Member:
        return Member(
            project_id=row["project_id"],
            user_key=join_user_key(row["profile"]),
            name=row["display_name"],
            role=row["role"],
            joined_at=row["joined_at"],
        )

    async def put_member(self, member: Member) -> None:
        profile_id = await self._profile_id(member.user_key, member.name)
        await (await self._table("project_collaborators")).upsert(
            {
                "project_id": member.project_id,
                "profile_id": profile_id,
                "role": member.role,
                "display_name": member.name,
                "joined_at": _iso(member.joined_at),
            },
            on_conflict="project_id,profile_id", returning="minimal",
        ).execute()

    async def get_member(self, project_id: str, user_key: str) -> Member | None:
        platform, user_id = split_user_key(user_key)
        rows = (
            await (await self._table("project_collaborators")).select(f"*,profile:profiles!inner({_PROFILE})")
            .eq("project_id", project_id).eq("profile.platform", platform)
            .eq("profile.platform_user_id", user_id).execute()
        ).data
        return self._member(rows[0]) if rows else None

    async def list_members(self, project_id: str) -> list[Member]:
        await self._db()
        rows = await self._all(
            lambda: self._client.table("project_collaborators").select(f"*,profile:profiles({_PROFILE})")
            .eq("project_id", project_id).order("joined_at").order("profile_id")
        )
        return sorted((self._member(r) for r in rows), key=lambda m: (m.joined_at, m.user_key))

    async def remove_member(self, project_id: str, user_key: str) -> None:
        profile_id = await self._find_profile(user_key)
        if profile_id is not None:
            await (await self._table("project_collaborators")).delete(returning="minimal").eq(
                "project_id", project_id
            ).eq("profile_id", profile_id).execute()

    # ------------------------------------------------------------------ media

    @staticmethod
    def _media(row: dict[str, Any]) -> MediaRecord:
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

    async def add_media(self, record: MediaRecord) -> bool:
        contributor_id = await self._profile_id(record.contributor_key, record.contributor_name)
        inserted = (
            await (await self._table("media_assets")).upsert(
                {
                    "project_id": record.project_id,
                    "media_id": record.media_id,
                    "item": record.item.model_dump(mode="json"),
                    "storage_key": record.storage_key,
                    "contributor_id": contributor_id,
                    "contributor_name": record.contributor_name,
                    "added_at": _iso(record.added_at),
                    "removed": record.removed,
                },
                on_conflict="project_id,media_id", ignore_duplicates=True,
            ).execute()
        ).data
        return bool(inserted)

    async def list_media(self, project_id: str, *, include_removed: bool = False) -> list[MediaRecord]:
        await self._db()

        def build() -> Any:
            query = self._client.table("media_assets").select(f"*,contributor:profiles({_PROFILE})")
            query = query.eq("project_id", project_id)
            if not include_removed:
                query = query.eq("removed", False)
            return query.order("seq")

        return [self._media(r) for r in await self._all(build)]

    async def set_media_removed(self, project_id: str, media_ids: list[str], removed: bool) -> int:
        ids = list(dict.fromkeys(media_ids))
        if not ids:
            return 0
        changed = (
            await (await self._table("media_assets")).update({"removed": removed})
            .eq("project_id", project_id).in_("media_id", ids).execute()
        ).data
        return len(changed)

    async def delete_media(self, project_id: str, media_ids: list[str]) -> int:
        ids = list(dict.fromkeys(media_ids))
        if not ids:
            return 0
        gone = (
            await (await self._table("media_assets")).delete()
            .eq("project_id", project_id).in_("media_id", ids).execute()
        ).data
        return len(gone)

    # ------------------------------------------------------------------ versions

    @staticmethod
    def _version_fields(version: Version) -> dict[str, Any]:
        return {
            "parent": version.parent,
            "request": version.request.model_dump(mode="json"),
            "plan": version.plan.model_dump(mode="json") if version.plan is not None else None,
            "status": version.status,
            "summary": version.summary,
            "render_key": version.render_key,
            "poster_key": version.poster_key,
            "storyboard_key": version.storyboard_key,
            "duration": version.duration,
            "width": version.width,
            "height": version.height,
            "size_bytes": version.size_bytes,
            "error": version.error,
            "created_at": _iso(version.created_at),
        }

    @staticmethod
    def _version(row: dict[str, Any]) -> Version:
        fields = {k: row[k] for k in (
            "project_id", "number", "parent", "request", "plan", "status", "summary", "render_key",
            "poster_key", "storyboard_key", "duration", "width", "height", "size_bytes", "error", "created_at",
        )}
        return Version(**fields, created_by=join_user_key(row["author"]))

    _VERSION = f"*,author:profiles({_PROFILE})"

    async def create_version(self, version: Version) -> None:
        from postgrest.exceptions import APIError

        row = {
            "project_id": version.project_id,
            "number": version.number,
            "created_by": await self._profile_id(version.created_by),
            **self._version_fields(version),
        }
        try:
            await (await self._table("project_versions")).insert(row, returning="minimal").execute()
        except APIError as exc:
            if exc.code == _UNIQUE_VIOLATION:
                raise DuplicateVersion(f"{version.project_id} v{version.number} exists") from exc
            raise

    async def get_version(self, project_id: str, number: int) -> Version | None:
        rows = (
            await (await self._table("project_versions")).select(self._VERSION)
            .eq("project_id", project_id).eq("number", number).execute()
        ).data
        return self._version(rows[0]) if rows else None

    async def list_versions(self, project_id: str) -> list[Version]:
        await self._db()
        rows = await self._all(
            lambda: self._client.table("project_versions").select(self._VERSION)
            .eq("project_id", project_id).order("number")
        )
        return [self._version(r) for r in rows]

    async def update_version(self, version: Version) -> None:
        row = {"created_by": await self._profile_id(version.created_by), **self._version_fields(version)}
        written = (
            await (await self._table("project_versions")).update(row)
            .eq("project_id", version.project_id).eq("number", version.number).execute()
        ).data
        if not written:
            raise KeyError(f"no version {version.project_id} v{version.number}")

    # ------------------------------------------------------------------ comments and votes

    async def add_comment(self, comment: Comment) -> None:
        await (await self._table("comments")).upsert(
            {
                "id": comment.id,
                "project_id": comment.project_id,
                "version": comment.version,
                "author_id": await self._profile_id(comment.user_key),
                "body": comment.text,
                "at_seconds": comment.at_seconds,
                "created_at": _iso(comment.created_at),
            },
            on_conflict="id", ignore_duplicates=True, returning="minimal",
        ).execute()

    async def list_comments(self, project_id: str) -> list[Comment]:
        await self._db()
        rows = await self._all(
            lambda: self._client.table("comments").select(f"*,author:profiles({_PROFILE})")
            .eq("project_id", project_id).order("created_at").order("seq")
        )
        return [
            Comment(
                id=r["id"], project_id=r["project_id"], version=r["version"], user_key=join_user_key(r["author"]),
                text=r["body"], at_seconds=r["at_seconds"], created_at=r["created_at"],
            )
            for r in rows
        ]

    async def put_vote(self, vote: Vote) -> None:
        await (await self._table("votes")).upsert(
            {
                "project_id": vote.project_id,
                "ballot": vote.ballot,
                "voter_id": await self._profile_id(vote.user_key),
                "version": vote.version,
                "created_at": _iso(vote.created_at),
            },
            on_conflict="project_id,ballot,voter_id", returning="minimal",
        ).execute()

    async def list_votes(self, project_id: str, ballot: str) -> list[Vote]:
        await self._db()
        rows = await self._all(
            lambda: self._client.table("votes").select(f"*,voter:profiles({_PROFILE})")
            .eq("project_id", project_id).eq("ballot", ballot).order("created_at").order("voter_id")
        )
        votes = [
            Vote(project_id=r["project_id"], ballot=r["ballot"], user_key=join_user_key(r["voter"]),
                 version=r["version"], created_at=r["created_at"])
            for r in rows
        ]
        return sorted(votes, key=lambda v: (v.created_at, v.user_key))

    # ------------------------------------------------------------------ jobs

    async def put_job(self, job: Job) -> None:
        row = job.model_dump(mode="json")
        await (await self._table("processing_jobs")).upsert(row, on_conflict="id", returning="minimal").execute()

    async def get_job(self, job_id: str) -> Job | None:
        rows = (await (await self._table("processing_jobs")).select("*").eq("id", job_id).execute()).data
        return Job.model_validate(rows[0]) if rows else None

    async def list_jobs(self, *, status: str | None = None, project_id: str | None = None) -> list[Job]:
        await self._db()

        def build() -> Any:
            query = self._client.table("processing_jobs").select("*")
            if status is not None:
                query = query.eq("status", status)
            if project_id is not None:
                query = query.eq("project_id", project_id)
            return query.order("created_at").order("id")

        return [Job.model_validate(r) for r in await self._all(build)]

    # ------------------------------------------------------------------ messages and redeliveries

    async def link_message(self, link: MessageLink) -> None:
        await (await self._table("message_links")).upsert(
            link.model_dump(mode="json"), on_conflict="chat_key,message_id", returning="minimal"
        ).execute()

    async def find_message(self, chat_key: str, message_id: str) -> MessageLink | None:
        rows = (
            await (await self._table("message_links")).select("chat_key,message_id,project_id,version,kind")
            .eq("chat_key", chat_key).eq("message_id", message_id).execute()
        ).data
        return MessageLink.model_validate(rows[0]) if rows else None

    async def mark_event_seen(self, event_key: str) -> bool:
        inserted = (
            await (await self._table("seen_events")).upsert(
                {"event_key": event_key}, on_conflict="event_key", ignore_duplicates=True
            ).execute()
        ).data
        return bool(inserted)


async def open_client(url: str, key: str, timeout: float, *, owner: Any = None) -> Any:
    """A supabase AsyncClient on an httpx client we own (so closing it closes every socket)."""
    import httpx

    from supabase import AsyncClient, AsyncClientOptions

    http = httpx.AsyncClient(timeout=timeout)
    options = AsyncClientOptions(httpx_client=http, auto_refresh_token=False, persist_session=False)
    client = AsyncClient(url, key, options)
    if owner is not None:
        owner._http = http
    return client
