"""Photos in, upright normalised files out.

Orientation is applied exactly once: EXIF Orientation for ordinary images, the HEIF container's
own transforms (irot/imir) for HEIC — pillow-heif already applies those, and iPhones also write
EXIF Orientation=6 into the same file, so applying both would turn the photo sideways again.
"""

from __future__ import annotations

import os
import shutil
import uuid
import warnings
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PIL import Image, ImageOps

from pipeline.intake import rejected
from pipeline.intake.headers import declared_size
from pipeline.intake.sniff import Sniffed

MAX_LONG_SIDE = 4096  # larger photos are downscaled: nothing downstream renders above 1080p + zoom
_EXIF_IFD = 0x8769
_DATETIME_ORIGINAL = 0x9003
_DATETIME = 0x0132
_ORIENTATION = 0x0112


@dataclass(frozen=True)
class NormalisedPhoto:
    path: Path
    mime: str
    width: int
    height: int
    capture_time: datetime | None
    warnings: tuple[str, ...] = ()


def normalise_photo(
    src: Path, sniffed: Sniffed, name: str, media_id: str, media_dir: Path, max_pixels: int
) -> NormalisedPhoto:
    image, exif, orientation = _open(src, sniffed, name, max_pixels)
    with image:  # close the source file on every path, including rejections
        return _normalise(image, exif, orientation, src, sniffed, name, media_id, media_dir)


def _open(src: Path, sniffed: Sniffed, name: str, max_pixels: int) -> tuple[Image.Image, Image.Exif, int]:
    if sniffed.family == "heif":
        image, exif_bytes = _open_heif(src, name, max_pixels)
        exif = Image.Exif()
        if exif_bytes:
            try:
                exif.load(exif_bytes)
            except Exception:  # broken EXIF only costs us the capture time
                exif = Image.Exif()
        orientation = 1  # the HEIF transforms are already applied: never rotate again
    else:
        size = declared_size(src, sniffed.mime)
        if size is not None and size[0] * size[1] > max_pixels:
            raise rejected.bomb(name, size[0], size[1], max_pixels)
        image = _open_pillow(src, name, max_pixels, sniffed.label)
        try:
            exif = image.getexif()
            orientation = int(exif.get(_ORIENTATION, 1) or 1)
        except Exception:  # malformed EXIF: the pixels are still a photo, shown as stored
            exif, orientation = Image.Exif(), 1
        if orientation not in range(1, 9):
            orientation = 1
    return image, exif, orientation


def _normalise(
    image: Image.Image,
    exif: Image.Exif,
    orientation: int,
    src: Path,
    sniffed: Sniffed,
    name: str,
    media_id: str,
    media_dir: Path,
) -> NormalisedPhoto:
    capture_time = _capture_time(exif)
    copy_as_is = (
        sniffed.mime == "image/jpeg"
        and orientation == 1
        and image.mode in ("RGB", "L")
        and max(image.size) <= MAX_LONG_SIDE
    )
    if copy_as_is:
        _load(image, name)  # still decode fully: a truncated file must be caught here
        out = media_dir / f"{media_id}.jpg"
        _atomic_copy(src, out)
        return NormalisedPhoto(out, "image/jpeg", image.width, image.height, capture_time)

    if sniffed.mime == "image/jpeg":
        # let libjpeg decode at 1/2, 1/4 or 1/8 scale: a 48 MP photo then costs a fraction
        image.draft("RGB", (MAX_LONG_SIDE, MAX_LONG_SIDE))
    _load(image, name)
    if orientation != 1:
        image = ImageOps.exif_transpose(image)
    image, has_alpha = _to_saveable_mode(image)
    if max(image.size) > MAX_LONG_SIDE:
        image.thumbnail((MAX_LONG_SIDE, MAX_LONG_SIDE), Image.Resampling.LANCZOS, reducing_gap=3.0)
    icc = image.info.get("icc_profile")
    if has_alpha:
        out, mime = media_dir / f"{media_id}.png", "image/png"
        _atomic_save(image, out, "PNG", icc_profile=icc, compress_level=3)
    else:
        out, mime = media_dir / f"{media_id}.jpg", "image/jpeg"
        _atomic_save(image, out, "JPEG", quality=92, icc_profile=icc)
    return NormalisedPhoto(out, mime, image.width, image.height, capture_time)


def _open_pillow(src: Path, name: str, max_pixels: int, label: str) -> Image.Image:
    try:
        with warnings.catch_warnings():
            # our own header check above is the bomb guard; Pillow's global one only warns here
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(src)
    except Image.DecompressionBombError as exc:  # a header we could not parse ourselves
        raise rejected.Rejected(
            "bomb", f"{name} is too big to open safely — please send a smaller version."
        ) from exc
    except (OSError, ValueError, SyntaxError) as exc:
        raise rejected.damaged(name, label) from exc
    w, h = image.size
    if w * h > max_pixels or w < 1 or h < 1:
        image.close()
        raise rejected.bomb(name, w, h, max_pixels) if w * h > max_pixels else rejected.corrupt_image(name)
    return image


def _open_heif(src: Path, name: str, max_pixels: int) -> tuple[Image.Image, bytes | None]:
    import pillow_heif  # imported here: only HEIC uploads need it

    try:
        heif = pillow_heif.open_heif(src, convert_hdr_to_8bit=True)
    except (ValueError, OSError, RuntimeError) as exc:
        raise rejected.Rejected(
            "unsupported",
            f"{name} is a HEIC/HEIF photo this build can't read (or it is damaged) — please send it as JPEG.",
        ) from exc
    w, h = heif.size
    if w * h > max_pixels:
        raise rejected.bomb(name, w, h, max_pixels)
    try:
        image = heif.to_pillow()
    except (ValueError, OSError, RuntimeError) as exc:
        raise rejected.truncated(name) from exc
    exif = heif.info.get("exif")
    return image, exif if isinstance(exif, bytes) else None


def _load(image: Image.Image, name: str) -> None:
    try:
        image.load()
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        image.close()  # a refused photo's file handle must not outlive the refusal
        message = str(exc).lower()
        if isinstance(exc, OSError) and any(
            sign in message for sign in ("truncated", "broken data stream", "premature end")
        ):
            raise rejected.truncated(name) from exc
        raise rejected.corrupt_image(name) from exc


def _to_saveable_mode(image: Image.Image) -> tuple[Image.Image, bool]:
    """RGB/L for JPEG, RGBA only when some pixel is actually transparent."""
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        lo, _ = rgba.getchannel("A").getextrema()
        if isinstance(lo, int | float) and lo < 255:
            return rgba, True
        return rgba.convert("RGB"), False
    if image.mode in ("RGB", "L"):
        return image, False
    if image.mode.startswith("I;16") or image.mode in ("I", "F"):
        # 16-bit/float greyscale: scale into 8 bits rather than clipping to white
        import numpy as np

        arr = np.asarray(image, dtype=np.float32)
        top = float(arr.max()) or 1.0
        return Image.fromarray((arr * (255.0 / top)).clip(0, 255).astype("uint8"), "L"), False
    return image.convert("RGB"), False


def _capture_time(exif: Image.Exif) -> datetime | None:
    try:
        sub = exif.get_ifd(_EXIF_IFD)
    except Exception:  # malformed sub-IFD: fall back to the main one
        sub = {}
    raw = sub.get(_DATETIME_ORIGINAL) or exif.get(_DATETIME)
    if not isinstance(raw, str):
        return None
    try:
        # naive local wall-clock time, even when OffsetTimeOriginal is present: most cameras don't
        # write an offset, and mixing aware and naive datetimes would break sorting a trip by time
        return datetime.strptime(raw.strip().rstrip("\x00")[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None


def _atomic_copy(src: Path, out: Path) -> None:
    tmp = out.with_name(f".{out.name}.{uuid.uuid4().hex}.tmp")
    shutil.copyfile(src, tmp)
    os.replace(tmp, out)


def _atomic_save(image: Image.Image, out: Path, fmt: str, **params: object) -> None:
    tmp = out.with_name(f".{out.name}.{uuid.uuid4().hex}.tmp")
    params = {k: v for k, v in params.items() if v is not None}
    image.save(tmp, fmt, **params)
    os.replace(tmp, out)
