"""Declared image dimensions read straight from the file header, before any decoder runs.

This is the decompression-bomb guard: a 20000x20000 PNG is 1 MB on disk and 1.2 GB decoded, so
the size must be known (and refused) without asking a decoder to allocate anything. Pillow's own
bomb check depends on a process-wide global we must not touch, so we don't rely on it.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import BinaryIO

_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def declared_size(path: Path, mime: str) -> tuple[int, int] | None:
    """(width, height) as stored (before EXIF rotation), or None when the header doesn't say."""
    with path.open("rb") as fh:
        if mime == "image/jpeg":
            return _jpeg_size(fh)
        head = fh.read(64)
    if mime == "image/png" and len(head) >= 24 and head[12:16] == b"IHDR":
        w, h = struct.unpack(">II", head[16:24])
        return w, h
    if mime == "image/gif" and len(head) >= 10:
        w, h = struct.unpack("<HH", head[6:10])
        return w, h
    if mime == "image/webp":
        return _webp_size(head)
    if mime == "image/bmp" and len(head) >= 26:
        w, h = struct.unpack("<ii", head[18:26])
        return abs(w), abs(h)
    return None


def _jpeg_size(fh: BinaryIO) -> tuple[int, int] | None:
    if fh.read(2) != b"\xff\xd8":
        return None
    while True:
        byte = fh.read(1)
        while byte and byte != b"\xff":
            byte = fh.read(1)
        while byte == b"\xff":  # fill bytes
            byte = fh.read(1)
        if not byte:
            return None
        marker = byte[0]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            continue  # standalone markers carry no length
        if marker == 0xD9:
            return None
        raw = fh.read(2)
        if len(raw) < 2:
            return None
        length = struct.unpack(">H", raw)[0]
        if marker in _JPEG_SOF:
            data = fh.read(5)
            if len(data) < 5:
                return None
            h, w = struct.unpack(">HH", data[1:5])
            return w, h
        fh.seek(length - 2, 1)


def _webp_size(head: bytes) -> tuple[int, int] | None:
    chunk = head[12:16]
    if chunk == b"VP8 " and len(head) >= 30:
        w, h = struct.unpack("<HH", head[26:30])
        return w & 0x3FFF, h & 0x3FFF
    if chunk == b"VP8L" and len(head) >= 25:
        bits = int.from_bytes(head[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X" and len(head) >= 30:
        w = int.from_bytes(head[24:27], "little") + 1
        h = int.from_bytes(head[27:30], "little") + 1
        return w, h
    return None
