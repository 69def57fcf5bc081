"""A local stand-in for Supabase Storage's REST API: the endpoints storage3 calls for objects.

Served under /storage/v1 by tests/fakes/supabase_gateway.py. Objects live in a folder; buckets and
their limits (size, MIME allow-list) come from supabase/config.toml, so the stand-in refuses what
the real buckets would. Requests must carry a JWT signed with the project secret: the service role
may do anything (as on Supabase, where it bypasses storage RLS); other roles get 403, as they would
with our buckets, which have no storage.objects policies. Error bodies follow storage-api's shape
({"statusCode", "error", "message"}), which storage3 parses into StorageApiError.

Routes (relative to /storage/v1), checked against storage3 2.34's _async/file_api.py:
  POST   /object/{bucket}/{path}          upload (x-upsert: true replaces)
  PUT    /object/{bucket}/{path}          update (replace an existing object)
  GET    /object/{bucket}/{path}          download (also /object/authenticated/...)
  GET    /object/info/{bucket}/{path}     object info (storage3's exists())
  POST   /object/list/{bucket}            one folder level: files and folders
  DELETE /object/{bucket}                 {"prefixes": [exact names]}
  POST   /object/sign/{bucket}/{path}     {"expiresIn"} -> {"signedURL": "/object/sign/...?token="}
  GET    /object/sign/{bucket}/{path}     ?token=... : download with no Authorization header
"""

from __future__ import annotations

import fnmatch
import hashlib
import time
import tomllib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import jwt
from aiohttp import web

_UNITS = {"B": 1, "KB": 1000, "MB": 1000**2, "GB": 1000**3, "KIB": 1024, "MIB": 1024**2, "GIB": 1024**3}


def parse_size(text: str | int) -> int:
    """'500MiB' -> bytes, as the Supabase CLI reads config.toml sizes."""
    if isinstance(text, int):
        return text
    raw = text.strip().upper()
    for unit in sorted(_UNITS, key=len, reverse=True):
        if raw.endswith(unit):
            return int(float(raw[: -len(unit)].strip()) * _UNITS[unit])
    return int(raw)


@dataclass(frozen=True)
class Bucket:
    id: str
    public: bool
    file_size_limit: int | None
    allowed_mime_types: tuple[str, ...] | None

    def allows(self, mime: str) -> bool:
        if not self.allowed_mime_types:
            return True
        base = mime.split(";")[0].strip().lower()
        return any(fnmatch.fnmatch(base, pattern.lower()) for pattern in self.allowed_mime_types)


def buckets_from_config(config_toml: Path) -> dict[str, Bucket]:
    data = tomllib.loads(config_toml.read_text(encoding="utf-8"))
    found = {}
    for name, spec in data.get("storage", {}).get("buckets", {}).items():
        limit = spec.get("file_size_limit")
        mimes = spec.get("allowed_mime_types")
        found[name] = Bucket(
            id=name,
            public=bool(spec.get("public", False)),
            file_size_limit=parse_size(limit) if limit is not None else None,
            allowed_mime_types=tuple(mimes) if mimes else None,
        )
    return found


@dataclass
class _Object:
    id: str
    mimetype: str
    size: int
    etag: str
    cache_control: str
    created_at: str
    updated_at: str


@dataclass
class StorageState:
    root: Path
    buckets: dict[str, Bucket]
    jwt_secret: str
    objects: dict[tuple[str, str], _Object] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)  # (method, path) seen, for tests

    def file_for(self, bucket: str, name: str) -> Path:
        return self.root / bucket / hashlib.sha256(name.encode()).hexdigest()


def _error(status: int, error: str, message: str, http_status: int | None = None) -> web.Response:
    # storage-api answers most client errors with HTTP 400 and the real code in the body
    return web.json_response(
        {"statusCode": str(status), "error": error, "message": message}, status=http_status or status
    )


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _valid_name(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return bool(name) and not name.startswith("/") and all(p not in ("", ".", "..") for p in parts)


class StorageApp:
    def __init__(self, state: StorageState) -> None:
        self.state = state

    def build(self) -> web.Application:
        app = web.Application(client_max_size=1024**3, middlewares=[self._record])
        r = app.router
        r.add_post("/object/list/{bucket}", self.list_objects)
        r.add_get("/object/info/{bucket}/{name:.+}", self.info)
        r.add_post("/object/sign/{bucket}/{name:.+}", self.sign)
        r.add_get("/object/sign/{bucket}/{name:.+}", self.download_signed)
        r.add_get("/object/authenticated/{bucket}/{name:.+}", self.download)
        r.add_post("/object/{bucket}/{name:.+}", self.upload)
        r.add_put("/object/{bucket}/{name:.+}", self.update)
        r.add_get("/object/{bucket}/{name:.+}", self.download)
        r.add_delete("/object/{bucket}", self.remove)
        return app

    @web.middleware
    async def _record(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.state.requests.append((request.method, request.path))
        return await handler(request)

    # ------------------------------------------------------------------ auth and lookups

    def _role(self, request: web.Request) -> str | None:
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ").strip()
        if not token:
            return None
        try:
            claims = jwt.decode(token, self.state.jwt_secret, algorithms=["HS256"], options={"verify_aud": False})
        except jwt.PyJWTError:
            return None
        return str(claims.get("role", ""))

    def _guard(self, request: web.Request) -> tuple[Bucket | None, web.Response | None]:
        role = self._role(request)
        if role is None:
            return None, _error(400, "InvalidJWT", "invalid signature or missing token", 400)
        bucket = self.state.buckets.get(request.match_info["bucket"])
        if bucket is None:
            return None, _error(404, "Bucket not found", "Bucket not found", 400)
        if role != "service_role":
            # our buckets have no storage.objects policies: RLS lets nobody else in
            return None, _error(403, "Unauthorized", "new row violates row-level security policy", 400)
        return bucket, None

    def _info(self, bucket: str, name: str, obj: _Object) -> dict[str, Any]:
        return {
            "id": obj.id,
            "bucket_id": bucket,
            "name": name,
            "version": obj.etag,
            "size": obj.size,
            "content_type": obj.mimetype,
            "cache_control": obj.cache_control,
            "etag": obj.etag,
            "created_at": obj.created_at,
            "last_modified": obj.updated_at,
            "metadata": {},
        }

    # ------------------------------------------------------------------ writes

    async def upload(self, request: web.Request) -> web.Response:
        upsert = request.headers.get("x-upsert", "false").lower() == "true"
        return await self._write(request, upsert=upsert, must_exist=False)

    async def update(self, request: web.Request) -> web.Response:
        return await self._write(request, upsert=True, must_exist=True)

    async def _write(self, request: web.Request, *, upsert: bool, must_exist: bool) -> web.Response:
        bucket, denied = self._guard(request)
        if denied:
            return denied
        assert bucket is not None
        name = request.match_info["name"]
        if not _valid_name(name):
            return _error(400, "InvalidKey", f"Invalid key: {name}")
        key = (bucket.id, name)
        if must_exist and key not in self.state.objects:
            return _error(404, "not_found", "Object not found", 400)
        if key in self.state.objects and not upsert:
            return _error(409, "Duplicate", "The resource already exists", 400)

        cache_control = "3600"
        mimetype = request.headers.get("Content-Type", "application/octet-stream")
        dest = self.state.file_for(bucket.id, name)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_suffix(".part")
        size = 0
        digest = hashlib.md5(usedforsecurity=False)
        too_large = False
        if mimetype.startswith("multipart/"):
            reader = await request.multipart()
            got_file = False
            while (part := await reader.next()) is not None:
                if part.name == "cacheControl":
                    cache_control = (await part.text()).strip() or cache_control
                elif part.name == "file":
                    got_file = True
                    mimetype = part.headers.get("Content-Type", "application/octet-stream")
                    with tmp.open("wb") as out:
                        while chunk := await part.read_chunk(1 << 20):
                            size += len(chunk)
                            if bucket.file_size_limit is not None and size > bucket.file_size_limit:
                                too_large = True
                                break
                            digest.update(chunk)
                            out.write(chunk)
                    if too_large:
                        break
                else:
                    await part.release()
            if not got_file and not too_large:
                return _error(400, "InvalidRequest", "no file part in the upload")
        else:
            with tmp.open("wb") as out:
                async for chunk in request.content.iter_chunked(1 << 20):
                    size += len(chunk)
                    if bucket.file_size_limit is not None and size > bucket.file_size_limit:
                        too_large = True
                        break
                    digest.update(chunk)
                    out.write(chunk)
        if too_large:
            tmp.unlink(missing_ok=True)
            return _error(413, "Payload too large", "The object exceeded the maximum allowed size", 400)
        if not bucket.allows(mimetype):
            tmp.unlink(missing_ok=True)
            return _error(415, "invalid_mime_type", f"mime type {mimetype} is not supported", 400)
        tmp.replace(dest)
        now = _now()
        old = self.state.objects.get(key)
        obj = _Object(
            id=old.id if old else str(uuid.uuid4()),
            mimetype=mimetype.split(";")[0].strip(),
            size=size,
            etag=f'"{digest.hexdigest()}"',
            cache_control=f"max-age={cache_control}",
            created_at=old.created_at if old else now,
            updated_at=now,
        )
        self.state.objects[key] = obj
        return web.json_response({"Id": obj.id, "Key": f"{bucket.id}/{name}"})

    async def remove(self, request: web.Request) -> web.Response:
        bucket, denied = self._guard(request)
        if denied:
            return denied
        assert bucket is not None
        body = await request.json()
        prefixes = body.get("prefixes")
        if not isinstance(prefixes, list) or not prefixes:
            return _error(400, "InvalidRequest", "body must have a non-empty 'prefixes' array")
        deleted = []
        for name in prefixes:
            obj = self.state.objects.pop((bucket.id, name), None)
            if obj is not None:
                self.state.file_for(bucket.id, name).unlink(missing_ok=True)
                deleted.append(self._info(bucket.id, name, obj))
        return web.json_response(deleted)

    # ------------------------------------------------------------------ reads

    async def info(self, request: web.Request) -> web.Response:
        bucket, denied = self._guard(request)
        if denied:
            return denied
        assert bucket is not None
        name = request.match_info["name"]
        obj = self.state.objects.get((bucket.id, name))
        if obj is None:
            return _error(404, "not_found", "Object not found", 404)
        return web.json_response(self._info(bucket.id, name, obj))

    def _serve(self, bucket: str, name: str, request: web.Request) -> web.StreamResponse:
        obj = self.state.objects.get((bucket, name))
        if obj is None:
            return _error(404, "not_found", "Object not found", 400)
        headers = {"Content-Type": obj.mimetype, "ETag": obj.etag, "Cache-Control": obj.cache_control}
        if "download" in request.query:
            filename = request.query["download"] or PurePosixPath(name).name
            headers["Content-Disposition"] = f'attachment; filename="{filename}"'
        return web.FileResponse(self.state.file_for(bucket, name), headers=headers)

    async def download(self, request: web.Request) -> web.StreamResponse:
        bucket, denied = self._guard(request)
        if denied:
            return denied
        assert bucket is not None
        return self._serve(bucket.id, request.match_info["name"], request)

    async def list_objects(self, request: web.Request) -> web.Response:
        bucket, denied = self._guard(request)
        if denied:
            return denied
        assert bucket is not None
        body = await request.json()
        folder = str(body.get("prefix") or "").strip("/")
        search = str(body.get("search") or "").lower()
        limit = int(body.get("limit", 100))
        offset = int(body.get("offset", 0))
        base = f"{folder}/" if folder else ""
        files: dict[str, dict[str, Any]] = {}
        folders: set[str] = set()
        for (b, name), obj in self.state.objects.items():
            if b != bucket.id or not name.startswith(base):
                continue
            rest = name[len(base):]
            head, sep, _tail = rest.partition("/")
            if not head.lower().startswith(search):
                continue
            if sep:
                folders.add(head)
            else:
                files[head] = {
                    "name": head,
                    "id": obj.id,
                    "updated_at": obj.updated_at,
                    "created_at": obj.created_at,
                    "last_accessed_at": obj.updated_at,
                    "metadata": {
                        "eTag": obj.etag,
                        "size": obj.size,
                        "mimetype": obj.mimetype,
                        "cacheControl": obj.cache_control,
                        "lastModified": obj.updated_at,
                        "contentLength": obj.size,
                        "httpStatusCode": 200,
                    },
                }
        entries = [
            {"name": f, "id": None, "updated_at": None, "created_at": None, "last_accessed_at": None, "metadata": None}
            for f in folders
        ] + list(files.values())
        sort = body.get("sortBy") or {}
        reverse = str(sort.get("order", "asc")).lower() == "desc"
        entries.sort(key=lambda e: e["name"], reverse=reverse)
        return web.json_response(entries[offset : offset + limit])

    # ------------------------------------------------------------------ signed URLs

    async def sign(self, request: web.Request) -> web.Response:
        bucket, denied = self._guard(request)
        if denied:
            return denied
        assert bucket is not None
        name = request.match_info["name"]
        if (bucket.id, name) not in self.state.objects:
            return _error(404, "not_found", "Object not found", 400)
        body = await request.json()
        try:
            expires_in = int(body.get("expiresIn"))
        except (TypeError, ValueError):
            return _error(400, "InvalidRequest", "expiresIn must be a number")
        now = int(time.time())
        token = jwt.encode(
            {"url": f"{bucket.id}/{name}", "iat": now, "exp": now + expires_in}, self.state.jwt_secret, algorithm="HS256"
        )
        return web.json_response({"signedURL": f"/object/sign/{bucket.id}/{name}?token={token}"})

    async def download_signed(self, request: web.Request) -> web.StreamResponse:
        bucket_id, name = request.match_info["bucket"], request.match_info["name"]
        try:
            claims = jwt.decode(request.query.get("token", ""), self.state.jwt_secret, algorithms=["HS256"])
        except jwt.ExpiredSignatureError:
            return _error(400, "InvalidJWT", '"exp" claim timestamp check failed', 400)
        except jwt.PyJWTError:
            return _error(400, "InvalidJWT", "invalid signature", 400)
        if claims.get("url") != f"{bucket_id}/{name}":
            return _error(400, "InvalidSignature", "The url do not match the signature", 400)
        return self._serve(bucket_id, name, request)
