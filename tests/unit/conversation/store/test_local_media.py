"""LocalMediaStore specifics: keys can't escape the folder, writes are atomic, dedupe skips the copy."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conversation.store.local_media import LocalMediaStore


@pytest.mark.parametrize(
    "key", ["../escape.jpg", "/etc/passwd", "p1/../../x", "", "p1/", "p1//a.jpg", "p1\\a.jpg"]
)
async def test_keys_that_would_leave_the_root_are_refused(tmp_path: Path, key: str) -> None:
    store = LocalMediaStore(tmp_path / "root")
    src = tmp_path / "f.jpg"
    src.write_bytes(b"x")
    with pytest.raises(ValueError):
        await store.put(key, src, "image/jpeg")
    assert list((tmp_path / "root").rglob("*")) == []
    assert not (tmp_path / "escape.jpg").exists()


async def test_failed_copy_leaves_no_file_under_the_key(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    store = LocalMediaStore(tmp_path / "root")
    src = tmp_path / "big.mp4"
    src.write_bytes(os.urandom(10_000))

    def broken_copy(*args: object, **kw: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("conversation.store.local_media.shutil.copyfileobj", broken_copy)
    with pytest.raises(OSError, match="disk full"):
        await store.put("p1/v1.mp4", src, "video/mp4")
    assert not await store.exists("p1/v1.mp4")
    assert [p.name for p in (tmp_path / "root").rglob("*") if p.is_file()] == []


async def test_same_content_is_not_rewritten(tmp_path: Path) -> None:
    store = LocalMediaStore(tmp_path / "root")
    src = tmp_path / "a.jpg"
    src.write_bytes(b"photo bytes")
    await store.put("p1/a.jpg", src, "image/jpeg")
    stored = tmp_path / "root" / "p1" / "a.jpg"
    os.utime(stored, (1_000_000, 1_000_000))
    await store.put("p1/a.jpg", src, "image/jpeg")
    assert stored.stat().st_mtime == 1_000_000


async def test_get_is_the_file_in_place_and_signed_url_is_a_file_url(tmp_path: Path) -> None:
    store = LocalMediaStore(tmp_path / "root")
    src = tmp_path / "m.mp4"
    src.write_bytes(b"movie")
    await store.put("p1/v1.mp4", src, "video/mp4")
    got = await store.get("p1/v1.mp4", tmp_path / "unused")
    assert got == (tmp_path / "root" / "p1" / "v1.mp4").resolve()
    assert not (tmp_path / "unused").exists()
    assert await store.signed_url("p1/v1.mp4") == got.as_uri()


async def test_delete_prefix_removes_empty_project_folders(tmp_path: Path) -> None:
    store = LocalMediaStore(tmp_path / "root")
    src = tmp_path / "a"
    src.write_bytes(b"a")
    await store.put("p1/sub/a.jpg", src, "image/jpeg")
    assert await store.delete_prefix("p1/") == 1
    assert not (tmp_path / "root" / "p1").exists()
    assert (tmp_path / "root").is_dir()
