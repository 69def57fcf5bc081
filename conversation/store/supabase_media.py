"""The production MediaStore: Supabase Storage buckets through storage3 (supabase-py), service role.

Keys are '<project_id>/<name>'; the same key is the object path inside its bucket, so a project's
files sit in one folder per bucket and `delete_prefix(project_id + '/')` removes them all. Which
bucket holds a key is decided from the name alone (get() has no content type to go by), matching
the names conversation/jobs.py gives: 'v3.mp4' -> rendered-videos, 'v3-poster.jpg' and
'v3-storyboard.png' -> project-thumbnails, everything else (the media people sent, named by
content hash) -> user-media. The buckets' size limits and MIME allow-lists are in
supabase/config.toml.
"""

from __future__ import annotations

import builtins
import re
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from conversation.store.supabase_rows import ClientOwner, open_client, retry_signals

DEFAULT_BUCKET = "user-media"
DEFAULT_ROUTES: tuple[tuple[str, str], ...] = (
    (r"v\d+\.mp4", "rendered-videos"),
    (r"v\d+-(poster|storyboard)\.(jpg|jpeg|png|webp)", "project-thumbnails"),
)
_PAGE = 1000
_REMOVE_BATCH = 500


def check_key(key: str) -> str:
    pure = PurePosixPath(key)
    if (
        not key or key.endswith("/") or pure.is_absolute() or "\\" in key or "\x00" in key
        or any(p in ("", ".", "..") for p in key.split("/"))
    ):
        raise ValueError(f"bad media key {key!r}")
    return key


@retry_signals
class SupabaseMediaStore(ClientOwner):
    """`SupabaseMediaStore(url, service_role_key)` — SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY.

    Transient failures (network, Storage 5xx) raise SupabaseUnavailable, a ConnectionError.

    `routes` maps a regular expression, matched in full against the name after '<project_id>/',
    to a bucket; `default_bucket` takes the rest. `client=` takes an existing supabase AsyncClient (its owner closes it).
    """

    def __init__(
        self,
        url: str,
        service_role_key: str,
        *,
        default_bucket: str = DEFAULT_BUCKET,
        routes: tuple[tuple[str, str], ...] = DEFAULT_ROUTES,
        timeout: float = 300.0,
        client: Any = None,
    ) -> None:
        super().__init__(url, service_role_key, timeout=timeout, client=client)
        self.default_bucket = default_bucket
        self.routes = routes
        self._routes = [(re.compile(pattern), bucket) for pattern, bucket in routes]

    @property
    def buckets(self) -> list[str]:
        return list(dict.fromkeys([self.default_bucket, *(bucket for _, bucket in self.routes)]))

    def bucket_for(self, key: str) -> str:
        _project, _, name = check_key(key).partition("/")
        for pattern, bucket in self._routes:
            if pattern.fullmatch(name):
                return bucket
        return self.default_bucket

    async def _open(self) -> None:
        if self._http is None:
            async with self._lock:
                if self._http is None:
                    client, self._http = open_client(self.url, self._key, self._timeout)
                    self._client = self._client or client

    async def _bucket(self, name: str) -> Any:
        await self._open()
        return self._client.storage.from_(name)

    # ------------------------------------------------------------------ the port

    async def put(self, key: str, source: Path, content_type: str) -> str:
        source = Path(source)
        if not source.is_file():
            raise FileNotFoundError(f"no file to store at {source}")
        bucket = await self._bucket(self.bucket_for(key))
        # a path (not bytes): storage3 opens it and httpx streams it, so a big clip never sits in memory
        await bucket.upload(key, source, {"content-type": content_type, "upsert": "true"})
        return key

    async def get(self, key: str, dest_dir: Path) -> Path:
        # Streamed to disk from the same endpoint storage3's download() calls
        # (GET /storage/v1/object/<bucket>/<key>): download() would hold a 500 MB clip in memory.
        bucket = self.bucket_for(key)
        await self._open()
        url = f"{self.url.rstrip('/')}/storage/v1/object/{quote(bucket)}/{quote(key)}"
        headers = {"apikey": self._key, "Authorization": f"Bearer {self._key}"}
        dest = Path(dest_dir).joinpath(*key.split("/"))
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".get-{dest.name}")
        async with self._http.stream("GET", url, headers=headers) as response:
            if response.status_code >= 400:
                await response.aread()
                _raise_storage_error(key, response)
            try:
                with tmp.open("wb") as out:
                    async for chunk in response.aiter_bytes(1 << 20):
                        out.write(chunk)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
        tmp.replace(dest)
        return dest

    async def exists(self, key: str) -> bool:
        bucket = await self._bucket(self.bucket_for(key))
        return bool(await bucket.exists(key))

    async def delete(self, keys: list[str]) -> None:
        by_bucket: dict[str, list[str]] = {}
        for key in dict.fromkeys(keys):
            by_bucket.setdefault(self.bucket_for(key), []).append(key)
        for name, names in by_bucket.items():
            bucket = await self._bucket(name)
            for start in range(0, len(names), _REMOVE_BATCH):
                await bucket.remove(names[start : start + _REMOVE_BATCH])

    async def delete_prefix(self, prefix: str) -> int:
        keys = await self.list(prefix)
        await self.delete(keys)
        return len(keys)

    async def list(self, prefix: str) -> list[str]:
        """Every key starting with `prefix` (plain string prefix, as the local store), across buckets."""
        folder, _, partial = prefix.rpartition("/")
        found: builtins.list[str] = []
        for name in self.buckets:
            bucket = await self._bucket(name)
            found.extend(await self._walk(bucket, folder, partial))
        return sorted(set(found))

    async def _walk(self, bucket: Any, folder: str, search: str) -> builtins.list[str]:
        """Keys under `folder` whose next path part starts with `search`, recursing into sub-folders."""
        keys: builtins.list[str] = []
        offset = 0
        while True:
            options: dict[str, Any] = {"limit": _PAGE, "offset": offset}
            if search:
                options["search"] = search
            entries = await bucket.list(folder, options)
            for entry in entries:
                name = entry["name"]
                # list's search is case-insensitive; the port's prefix is not
                if not name.startswith(search):
                    continue
                path = f"{folder}/{name}" if folder else name
                if entry.get("id") is None:  # a folder
                    keys.extend(await self._walk(bucket, path, ""))
                else:
                    keys.append(path)
            if len(entries) < _PAGE:
                return keys
            offset += _PAGE

    async def signed_url(self, key: str, expires_in: int = 3600) -> str | None:
        from storage3.exceptions import StorageApiError

        bucket = await self._bucket(self.bucket_for(key))
        try:
            signed = await bucket.create_signed_url(key, expires_in)
        except StorageApiError as exc:
            if str(exc.status) in ("404", "400") and exc.code in ("not_found", "NoSuchKey", "InternalError"):
                return None
            raise
        return signed.get("signedURL") or signed.get("signedUrl")


def _raise_storage_error(key: str, response: Any) -> None:
    """Storage's error body as storage3 would raise it; a missing object as FileNotFoundError."""
    from storage3.exceptions import StorageApiError

    try:
        body = response.json()
        status, code, message = body["statusCode"], body["error"], body["message"]
    except (ValueError, KeyError, TypeError):
        status, code, message = response.status_code, "InternalError", response.text[:200]
    if str(status) == "404" or code in ("not_found", "NoSuchKey"):
        raise FileNotFoundError(f"no media under key {key!r}")
    raise StorageApiError(message, code, status)
