"""Supabase implementations of the store ports, as contract-suite factories.

The contract registry's fixture params are fixed when tests/contract/conftest.py is imported, so
these are not added to PROJECT_STORES / MEDIA_STORES; test_supabase_contract.py re-runs the same
suites with fixtures that open these instead. Each factory empties the shared local Supabase the
first time it sees a tmp_path, and reopening with the same tmp_path reaches the same data (the
restart tests rely on it).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

from conversation.ports import MediaStore, ProjectStore
from tests.fakes.supabase_stack import SupabaseStack

_MARK = ".supabase-reset"


def _reset_once(stack: SupabaseStack, tmp_path: Path) -> None:
    mark = tmp_path / _MARK
    if not mark.exists():
        stack.reset()
        tmp_path.mkdir(parents=True, exist_ok=True)
        mark.touch()


def project_store_factory_for(
    stack: SupabaseStack,
) -> Callable[[Path], AbstractAsyncContextManager[ProjectStore]]:
    from conversation.store.supabase_store import SupabaseProjectStore

    @asynccontextmanager
    async def open_store(tmp_path: Path) -> AsyncIterator[ProjectStore]:
        _reset_once(stack, tmp_path)
        store = SupabaseProjectStore(stack.url, stack.service_role_key)
        try:
            yield store
        finally:
            await store.aclose()

    return open_store


def media_store_factory_for(stack: SupabaseStack) -> Callable[[Path], AbstractAsyncContextManager[MediaStore]]:
    from conversation.store.supabase_media import SupabaseMediaStore

    @asynccontextmanager
    async def open_store(tmp_path: Path) -> AsyncIterator[MediaStore]:
        _reset_once(stack, tmp_path)
        store = SupabaseMediaStore(stack.url, stack.service_role_key)
        try:
            yield store
        finally:
            await store.aclose()

    return open_store
