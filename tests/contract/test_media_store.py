"""MediaStore contract: files by '<project_id>/<name>' key, for every implementation."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from conversation.ports import MediaStore


def make_file(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / "src" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


async def test_put_then_get_gives_the_same_bytes(media_store: MediaStore, tmp_path: Path) -> None:
    payload = os.urandom(300_000)
    src = make_file(tmp_path, "movie.mp4", payload)
    key = await media_store.put("p1/v1.mp4", src, "video/mp4")
    assert key == "p1/v1.mp4"
    assert await media_store.exists("p1/v1.mp4")
    got = await media_store.get("p1/v1.mp4", tmp_path / "dl")
    assert got.read_bytes() == payload
    # the stored copy does not depend on the source file living on
    src.unlink()
    got = await media_store.get("p1/v1.mp4", tmp_path / "dl2")
    assert got.read_bytes() == payload


async def test_missing_key(media_store: MediaStore, tmp_path: Path) -> None:
    assert await media_store.exists("p1/nothing.jpg") is False
    with pytest.raises(FileNotFoundError):
        await media_store.get("p1/nothing.jpg", tmp_path / "dl")
    assert await media_store.signed_url("p1/nothing.jpg") is None


async def test_putting_new_content_under_a_key_replaces_it(media_store: MediaStore, tmp_path: Path) -> None:
    await media_store.put("p1/board.png", make_file(tmp_path, "a.png", b"first"), "image/png")
    await media_store.put("p1/board.png", make_file(tmp_path, "b.png", b"second version"), "image/png")
    got = await media_store.get("p1/board.png", tmp_path / "dl")
    assert got.read_bytes() == b"second version"


async def test_same_content_twice_is_one_object(media_store: MediaStore, tmp_path: Path) -> None:
    src = make_file(tmp_path, "a.jpg", b"\xff\xd8same bytes")
    await media_store.put("p1/a.jpg", src, "image/jpeg")
    await media_store.put("p1/a.jpg", make_file(tmp_path, "copy.jpg", b"\xff\xd8same bytes"), "image/jpeg")
    assert await media_store.list("p1/") == ["p1/a.jpg"]
    assert (await media_store.get("p1/a.jpg", tmp_path / "dl")).read_bytes() == b"\xff\xd8same bytes"


async def test_list_and_delete_prefix_stay_inside_the_project(
    media_store: MediaStore, tmp_path: Path
) -> None:
    for key in ["p1/a.jpg", "p1/b.jpg", "p1/v1.mp4", "p10/a.jpg", "p2/a.jpg"]:
        await media_store.put(
            key, make_file(tmp_path, key.replace("/", "_"), key.encode()), "application/octet-stream"
        )
    assert await media_store.list("p1/") == ["p1/a.jpg", "p1/b.jpg", "p1/v1.mp4"]
    assert await media_store.list("p1/v") == ["p1/v1.mp4"]
    assert await media_store.list("p3/") == []

    assert await media_store.delete_prefix("p1/") == 3
    assert await media_store.list("p1/") == []
    assert await media_store.list("p10/") == ["p10/a.jpg"]
    assert await media_store.exists("p2/a.jpg")
    assert await media_store.delete_prefix("p1/") == 0


async def test_delete_keys(media_store: MediaStore, tmp_path: Path) -> None:
    for key in ["p1/a.jpg", "p1/b.jpg"]:
        await media_store.put(key, make_file(tmp_path, key.replace("/", "_"), key.encode()), "image/jpeg")
    await media_store.delete(["p1/a.jpg", "p1/never-existed.jpg"])
    assert await media_store.list("p1/") == ["p1/b.jpg"]


async def test_signed_url_names_the_object(media_store: MediaStore, tmp_path: Path) -> None:
    await media_store.put("p1/v1.mp4", make_file(tmp_path, "m.mp4", b"movie"), "video/mp4")
    url = await media_store.signed_url("p1/v1.mp4", expires_in=60)
    # stores that cannot share links answer None; the others give a URL to this object
    if url is not None:
        assert "v1.mp4" in url and "://" in url


async def test_concurrent_puts_of_different_keys(media_store: MediaStore, tmp_path: Path) -> None:
    sources = [make_file(tmp_path, f"f{i}.jpg", os.urandom(50_000)) for i in range(8)]
    await asyncio.gather(*(media_store.put(f"p1/f{i}.jpg", s, "image/jpeg") for i, s in enumerate(sources)))
    assert len(await media_store.list("p1/")) == 8
    for i, s in enumerate(sources):
        assert (await media_store.get(f"p1/f{i}.jpg", tmp_path / "dl")).read_bytes() == s.read_bytes()
