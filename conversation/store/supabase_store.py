"""The production ProjectStore: Supabase Postgres through PostgREST (supabase-py), service role.

Schema: supabase/migrations; row mapping: supabase_rows.py. The core's user keys ("telegram:42")
become profile ids here, once per process (cached). Every query that lists rows is ordered and
paged, because Supabase caps a response at `max_rows` (1000) without saying so. Compare-and-set
on `revision` and the (project, number) primary key give StaleWrite / DuplicateVersion across
processes, not just within one. supabase is imported lazily: the CLI and the SQLite path never
pay for it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from conversation.models import Comment, Job, MediaRecord, Member, MessageLink, Project, Version, Vote
from conversation.ports import DuplicateVersion, StaleWrite
from conversation.store import supabase_rows as rows
from conversation.store.supabase_rows import SupabaseUnavailable, join_user_key, retry_signals, split_user_key

__all__ = ["SupabaseProjectStore", "SupabaseUnavailable", "join_user_key", "split_user_key"]

_PAGE = 1000
_IN_LIST = 200  # ids per `in.(...)` filter: it travels in the URL, which gateways cap
_UNIQUE_VIOLATION = "23505"


def _chunks(ids: list[str]) -> list[list[str]]:
    unique = list(dict.fromkeys(ids))
    return [unique[i : i + _IN_LIST] for i in range(0, len(unique), _IN_LIST)]


@retry_signals
class SupabaseProjectStore(rows.ClientOwner):
    """`SupabaseProjectStore(url, service_role_key)` — SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY.

    Transient failures (network, PostgREST without its database) raise SupabaseUnavailable, a
    ConnectionError; other errors (a constraint, a bad key) pass through as postgrest's APIError.

    `client=` takes an existing supabase AsyncClient instead (its owner closes it). Call
    `await store.aclose()` when done with a store that made its own client.
    """

    def __init__(self, url: str, service_role_key: str, *, timeout: float = 30.0, client: Any = None) -> None:
        super().__init__(url, service_role_key, timeout=timeout, client=client)
        self._profiles: dict[str, tuple[str, str]] = {}  # user_key -> (profile id, display name sent)

    # ------------------------------------------------------------------ plumbing

    async def _db(self) -> Any:
        if self._client is None:
            async with self._lock:
                if self._client is None:
                    self._client, self._http = rows.open_client(self.url, self._key, self._timeout)
        return self._client

    async def _table(self, name: str) -> Any:
        return (await self._db()).table(name)

    async def _all(self, build: Callable[[Any], Any]) -> list[dict[str, Any]]:
        """Every row of an ordered query (`build(client)`), page by page."""
        db = await self._db()
        found: list[dict[str, Any]] = []
        while True:
            page = (await build(db).range(len(found), len(found) + _PAGE - 1).execute()).data
            found.extend(page)
            if len(page) < _PAGE:
                return found

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
        found = (
            await (await self._table("profiles")).select("id")
            .eq("platform", platform).eq("platform_user_id", user_id).execute()
        ).data
        return str(found[0]["id"]) if found else None

    # ------------------------------------------------------------------ projects

    async def create_project(self, project: Project) -> None:
        owner_id = await self._profile_id(project.owner_key)
        # a trigger binds the chat to it in the same transaction (the newest project is the chat's)
        await (await self._table("projects")).insert(
            rows.project_row(project, owner_id), returning="minimal"
        ).execute()

    async def get_project(self, project_id: str) -> Project | None:
        found = (
            await (await self._table("projects")).select(rows.PROJECT_SELECT).eq("id", project_id).execute()
        ).data
        return rows.project_from(found[0]) if found else None

    async def update_project(self, project: Project) -> Project:
        saved = project.model_copy(update={"revision": project.revision + 1})
        row = rows.project_row(saved, await self._profile_id(saved.owner_key))
        del row["id"], row["created_at"]
        written = (
            await (await self._table("projects")).update(row)
            .eq("id", project.id).eq("revision", project.revision).execute()
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
            {"chat_key": chat_key, "project_id": project_id, "bound_at": datetime.now(UTC).isoformat()},
            on_conflict="chat_key", returning="minimal",
        ).execute()

    async def project_for_chat(self, chat_key: str) -> Project | None:
        found = (
            await (await self._table("chat_bindings")).select(f"project:projects({rows.PROJECT_SELECT})")
            .eq("chat_key", chat_key).execute()
        ).data
        return rows.project_from(found[0]["project"]) if found and found[0]["project"] else None

    async def projects_of_user(self, user_key: str) -> list[Project]:
        profile_id = await self._find_profile(user_key)
        if profile_id is None:
            return []
        owned = await self._all(
            lambda db: db.table("projects").select(rows.PROJECT_SELECT).eq("owner_id", profile_id).order("id")
        )
        joined = await self._all(
            lambda db: db.table("project_collaborators").select(f"project:projects({rows.PROJECT_SELECT})")
            .eq("profile_id", profile_id).order("project_id")
        )
        found = {row["id"]: rows.project_from(row) for row in owned}
        for row in joined:
            found.setdefault(row["project"]["id"], rows.project_from(row["project"]))
        return sorted(found.values(), key=lambda p: (p.created_at, p.id))

    # ------------------------------------------------------------------ members

    async def put_member(self, member: Member) -> None:
        profile_id = await self._profile_id(member.user_key, member.name)
        await (await self._table("project_collaborators")).upsert(
            rows.member_row(member, profile_id), on_conflict="project_id,profile_id", returning="minimal"
        ).execute()

    async def get_member(self, project_id: str, user_key: str) -> Member | None:
        platform, user_id = split_user_key(user_key)
        found = (
            await (await self._table("project_collaborators")).select(f"*,profile:profiles!inner({rows.PROFILE})")
            .eq("project_id", project_id).eq("profile.platform", platform)
            .eq("profile.platform_user_id", user_id).execute()
        ).data
        return rows.member_from(found[0]) if found else None

    async def list_members(self, project_id: str) -> list[Member]:
        found = await self._all(
            lambda db: db.table("project_collaborators").select(rows.MEMBER_SELECT)
            .eq("project_id", project_id).order("joined_at").order("profile_id")
        )
        return sorted((rows.member_from(r) for r in found), key=lambda m: (m.joined_at, m.user_key))

    async def remove_member(self, project_id: str, user_key: str) -> None:
        profile_id = await self._find_profile(user_key)
        if profile_id is not None:
            await (await self._table("project_collaborators")).delete(returning="minimal").eq(
                "project_id", project_id
            ).eq("profile_id", profile_id).execute()

    # ------------------------------------------------------------------ media

    async def add_media(self, record: MediaRecord) -> bool:
        contributor_id = await self._profile_id(record.contributor_key, record.contributor_name)
        inserted = (
            await (await self._table("media_assets")).upsert(
                rows.media_row(record, contributor_id), on_conflict="project_id,media_id", ignore_duplicates=True
            ).execute()
        ).data
        return bool(inserted)  # ON CONFLICT DO NOTHING returns no row for a duplicate

    async def list_media(self, project_id: str, *, include_removed: bool = False) -> list[MediaRecord]:
        def build(db: Any) -> Any:
            query = db.table("media_assets").select(rows.MEDIA_SELECT).eq("project_id", project_id)
            if not include_removed:
                query = query.eq("removed", False)
            return query.order("seq")

        return [rows.media_from(r) for r in await self._all(build)]

    async def set_media_removed(self, project_id: str, media_ids: list[str], removed: bool) -> int:
        changed = 0
        for ids in _chunks(media_ids):
            changed += len((
                await (await self._table("media_assets")).update({"removed": removed})
                .eq("project_id", project_id).in_("media_id", ids).execute()
            ).data)
        return changed

    async def delete_media(self, project_id: str, media_ids: list[str]) -> int:
        gone = 0
        for ids in _chunks(media_ids):
            gone += len((
                await (await self._table("media_assets")).delete()
                .eq("project_id", project_id).in_("media_id", ids).execute()
            ).data)
        return gone

    # ------------------------------------------------------------------ versions

    async def create_version(self, version: Version) -> None:
        from postgrest.exceptions import APIError

        row = {
            "project_id": version.project_id,
            "number": version.number,
            **rows.version_row(version, await self._profile_id(version.created_by)),
        }
        try:
            await (await self._table("project_versions")).insert(row, returning="minimal").execute()
        except APIError as exc:
            if exc.code == _UNIQUE_VIOLATION:
                raise DuplicateVersion(f"{version.project_id} v{version.number} exists") from exc
            raise

    async def get_version(self, project_id: str, number: int) -> Version | None:
        found = (
            await (await self._table("project_versions")).select(rows.VERSION_SELECT)
            .eq("project_id", project_id).eq("number", number).execute()
        ).data
        return rows.version_from(found[0]) if found else None

    async def list_versions(self, project_id: str) -> list[Version]:
        found = await self._all(
            lambda db: db.table("project_versions").select(rows.VERSION_SELECT)
            .eq("project_id", project_id).order("number")
        )
        return [rows.version_from(r) for r in found]

    async def update_version(self, version: Version) -> None:
        row = rows.version_row(version, await self._profile_id(version.created_by))
        written = (
            await (await self._table("project_versions")).update(row)
            .eq("project_id", version.project_id).eq("number", version.number).execute()
        ).data
        if not written:
            raise KeyError(f"no version {version.project_id} v{version.number}")

    # ------------------------------------------------------------------ comments and votes

    async def add_comment(self, comment: Comment) -> None:
        await (await self._table("comments")).upsert(
            rows.comment_row(comment, await self._profile_id(comment.user_key)),
            on_conflict="id", ignore_duplicates=True, returning="minimal",
        ).execute()

    async def list_comments(self, project_id: str) -> list[Comment]:
        found = await self._all(
            lambda db: db.table("comments").select(rows.COMMENT_SELECT)
            .eq("project_id", project_id).order("created_at").order("seq")
        )
        return [rows.comment_from(r) for r in found]

    async def put_vote(self, vote: Vote) -> None:
        await (await self._table("votes")).upsert(
            rows.vote_row(vote, await self._profile_id(vote.user_key)),
            on_conflict="project_id,ballot,voter_id", returning="minimal",
        ).execute()

    async def list_votes(self, project_id: str, ballot: str) -> list[Vote]:
        found = await self._all(
            lambda db: db.table("votes").select(rows.VOTE_SELECT)
            .eq("project_id", project_id).eq("ballot", ballot).order("created_at").order("voter_id")
        )
        return sorted((rows.vote_from(r) for r in found), key=lambda v: (v.created_at, v.user_key))

    # ------------------------------------------------------------------ jobs (columns = Job's fields)

    async def put_job(self, job: Job) -> None:
        await (await self._table("processing_jobs")).upsert(
            job.model_dump(mode="json"), on_conflict="id", returning="minimal"
        ).execute()

    async def get_job(self, job_id: str) -> Job | None:
        found = (await (await self._table("processing_jobs")).select("*").eq("id", job_id).execute()).data
        return Job.model_validate(found[0]) if found else None

    async def list_jobs(self, *, status: str | None = None, project_id: str | None = None) -> list[Job]:
        def build(db: Any) -> Any:
            query = db.table("processing_jobs").select("*")
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
        found = (
            await (await self._table("message_links")).select(rows.LINK_SELECT)
            .eq("chat_key", chat_key).eq("message_id", message_id).execute()
        ).data
        return MessageLink.model_validate(found[0]) if found else None

    async def find_progress(self, project_id: str, version: int) -> MessageLink | None:
        found = (
            await (await self._table("message_links")).select(rows.LINK_SELECT)
            .eq("project_id", project_id).eq("version", version).eq("kind", "progress")
            .order("created_at", desc=True).limit(1).execute()
        ).data  # fmt: skip
        return MessageLink.model_validate(found[0]) if found else None

    async def mark_event_seen(self, event_key: str) -> bool:
        inserted = (
            await (await self._table("seen_events")).upsert(
                {"event_key": event_key}, on_conflict="event_key", ignore_duplicates=True
            ).execute()
        ).data
        return bool(inserted)
