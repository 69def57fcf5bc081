"""The embedded MediaStore: a folder on disk, one file per key.

Keys look like '<project_id>/<name>' and map to '<root>/<project_id>/<name>'. Writes go to a
temporary file in the same folder and are renamed into place, so a crash mid-copy never leaves a
half file under a real key. Putting the same bytes under a key again is a no-op (content compared
by size and SHA-256), which keeps retried jobs from rewriting big renders.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

_CHUNK = 1 << 20


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _same_content(a: Path, b: Path) -> bool:
    try:
        if a.stat().st_size != b.stat().st_size:
            return False
    except FileNotFoundError:
        return False
    return _sha256(a) == _sha256(b)


class LocalMediaStore:
    """`LocalMediaStore(root)`: the folder is created if missing."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def path_for(self, key: str) -> Path:
        """The file behind a key; refuses keys that would leave the root."""
        parts = key.split("/")  # split by hand: PurePosixPath would quietly fold "a//b" and "/a"
        if not key or "\\" in key or "\x00" in key or any(p in ("", ".", "..") for p in parts):
            raise ValueError(f"bad media key {key!r}")
        return self.root.joinpath(*parts)

    async def put(self, key: str, source: Path, content_type: str) -> str:
        dest = self.path_for(key)
        await asyncio.to_thread(self._put, Path(source), dest)
        return key

    def _put(self, source: Path, dest: Path) -> None:
        if not source.is_file():
            raise FileNotFoundError(f"no file to store at {source}")
        if dest.resolve() == source.resolve() or _same_content(source, dest):
            return
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".put-", dir=dest.parent)
        try:
            with os.fdopen(fd, "wb") as out, source.open("rb") as src:
                shutil.copyfileobj(src, out, _CHUNK)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, dest)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    async def get(self, key: str, dest_dir: Path) -> Path:
        path = self.path_for(key)
        if not path.is_file():
            raise FileNotFoundError(f"no media under key {key!r}")
        return path  # local files are read in place: no copy

    async def exists(self, key: str) -> bool:
        return self.path_for(key).is_file()

    async def delete(self, keys: list[str]) -> None:
        def remove() -> None:
            for key in keys:
                self.path_for(key).unlink(missing_ok=True)

        await asyncio.to_thread(remove)

    async def delete_prefix(self, prefix: str) -> int:
        def remove() -> int:
            keys = self._list(prefix)
            for key in keys:
                self.path_for(key).unlink(missing_ok=True)
            self._prune_empty_dirs()
            return len(keys)

        return await asyncio.to_thread(remove)

    async def list(self, prefix: str) -> builtins.list[str]:
        return await asyncio.to_thread(self._list, prefix)

    def _list(self, prefix: str) -> builtins.list[str]:
        keys = []
        for dirpath, _dirs, files in os.walk(self.root):
            for name in files:
                if name.startswith(".put-"):
                    continue  # a write in progress (or one a crash left behind)
                key = Path(dirpath, name).relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    keys.append(key)
        return sorted(keys)

    def _prune_empty_dirs(self) -> None:
        for dirpath, _dirs, _files in sorted(os.walk(self.root), key=lambda w: -len(w[0])):
            path = Path(dirpath)
            if path != self.root:
                with contextlib.suppress(OSError):  # not empty
                    path.rmdir()

    async def signed_url(self, key: str, expires_in: int = 3600) -> str | None:
        path = self.path_for(key)
        return path.as_uri() if path.is_file() else None
