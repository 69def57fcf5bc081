"""Say what a file is from its first bytes, never from its name.

A `.jpg` that is really text, or an `.mp3` that is really Ogg, is common in chat uploads (phones
and messengers rename freely), so the extension is ignored entirely.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Family = Literal["image", "heif", "gif", "av", "audio", "unknown"]

HEAD_BYTES = 64

# ISO-BMFF brands that mean a still image (HEIF/HEIC/AVIF) rather than a movie
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"mif2"}
_AVIF_BRANDS = {b"avif", b"avis"}  # AV1 stills: Pillow decodes these (the pillow-heif wheel cannot)
_AUDIO_BRANDS = {b"M4A ", b"M4B ", b"M4P ", b"F4A ", b"F4B "}


@dataclass(frozen=True)
class Sniffed:
    family: Family  # image: Pillow; heif: pillow-heif; gif: still or animation; av: PyAV decides
    mime: str
    label: str  # short human word for messages ("JPEG photo", "MP4 video")


UNKNOWN = Sniffed("unknown", "application/octet-stream", "unknown file")


def sniff(head: bytes) -> Sniffed:
    """Classify by magic bytes. `av` means a container PyAV must open to tell video from audio."""
    if head.startswith(b"\xff\xd8\xff"):
        return Sniffed("image", "image/jpeg", "JPEG photo")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed("image", "image/png", "PNG image")
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return Sniffed("gif", "image/gif", "GIF image")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Sniffed("image", "image/webp", "WebP image")
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return Sniffed("audio", "audio/wav", "WAV audio")
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return Sniffed("av", "video/x-msvideo", "AVI video")
    if head[:2] == b"BM" and len(head) >= 26:
        return Sniffed("image", "image/bmp", "BMP image")
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return Sniffed("image", "image/tiff", "TIFF image")
    if head[4:8] == b"ftyp":
        return _sniff_ftyp(head)
    if head[4:8] in (b"moov", b"mdat", b"wide", b"free", b"skip"):
        return Sniffed("av", "video/quicktime", "QuickTime video")
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return Sniffed("av", "video/x-matroska", "Matroska/WebM file")
    if head.startswith(b"OggS"):
        return Sniffed("audio", "audio/ogg", "Ogg audio")
    if head.startswith(b"fLaC"):
        return Sniffed("audio", "audio/flac", "FLAC audio")
    if head.startswith(b"ID3"):
        return Sniffed("audio", "audio/mpeg", "MP3 audio")
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return Sniffed("audio", "audio/aiff", "AIFF audio")
    if head.startswith(b"#!AMR"):
        return Sniffed("audio", "audio/amr", "AMR audio")
    if len(head) >= 2 and head[0] == 0xFF and (head[1] & 0xE0) == 0xE0:
        # MPEG audio frame sync (MP3 without ID3) or ADTS AAC
        return Sniffed("audio", "audio/mpeg", "MP3/AAC audio")
    return UNKNOWN


def _sniff_ftyp(head: bytes) -> Sniffed:
    size = int.from_bytes(head[0:4], "big")
    major = head[8:12]
    # compatible brands follow the minor version, up to the end of the box (or what we read)
    compat = [head[i : i + 4] for i in range(16, min(size, len(head)) - 3, 4)]
    brands = {major, *compat}
    if major in _AVIF_BRANDS:
        return Sniffed("image", "image/avif", "AVIF photo")
    if major in _HEIF_BRANDS or (brands & _HEIF_BRANDS and not brands & {b"isom", b"mp41", b"mp42", b"qt  "}):
        return Sniffed("heif", "image/heic", "HEIC/HEIF photo")
    if major in _AUDIO_BRANDS:
        return Sniffed("av", "audio/mp4", "M4A audio")
    if major == b"qt  ":
        return Sniffed("av", "video/quicktime", "QuickTime video")
    return Sniffed("av", "video/mp4", "MP4 video")


def looks_like_text(head: bytes) -> bool:
    """A small heuristic for a friendlier rejection: mostly printable UTF-8."""
    if not head:
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        text = head[:-3].decode("utf-8", errors="strict") if _valid_prefix(head[:-3]) else ""
        if not text:
            return False
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
    return printable / max(len(text), 1) > 0.95


def _valid_prefix(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
