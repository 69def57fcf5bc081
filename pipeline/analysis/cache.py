"""Analysis results cached by content hash, so a refinement or a second run never re-analyses.

Keys carry an analyser version: bump it when a measurement changes and old entries are ignored.
Writes go to a temp file then `os.replace`, so a crash never leaves half a JSON behind.
"""

from __future__ import annotations

import logging
import os
import uuid
from pathlib import Path
from typing import TypeVar

import numpy as np
from pydantic import BaseModel, ValidationError

log = logging.getLogger(__name__)

ANALYSER_VERSION = {"photo": 4, "video": 4, "music": 6, "dups": 4}

M = TypeVar("M", bound=BaseModel)


class AnalysisCache:
    def __init__(self, root: Path) -> None:
        self.root = root / "analysis"
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, kind: str, key: str, suffix: str = ".json") -> Path:
        return self.root / f"{kind}-v{ANALYSER_VERSION[kind]}-{key}{suffix}"

    def load(self, kind: str, key: str, model: type[M]) -> M | None:
        path = self.path(kind, key)
        try:
            return model.model_validate_json(path.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, ValidationError, ValueError):
            log.warning("ignoring unreadable analysis cache entry %s", path.name)
            return None

    def store(self, kind: str, key: str, value: BaseModel) -> None:
        self._write(self.path(kind, key), value.model_dump_json().encode())

    def load_arrays(self, kind: str, key: str) -> dict[str, np.ndarray] | None:
        path = self.path(kind, key, ".npz")
        try:
            with np.load(path) as data:
                return {k: data[k] for k in data.files}
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            log.warning("ignoring unreadable analysis cache entry %s", path.name)
            return None

    def store_arrays(self, kind: str, key: str, **arrays: np.ndarray) -> None:
        path = self.path(kind, key, ".npz")
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        with tmp.open("wb") as fh:
            np.savez(fh, **arrays)  # type: ignore[arg-type]
        os.replace(tmp, path)

    def _write(self, path: Path, data: bytes) -> None:
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
