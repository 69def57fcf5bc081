"""The one exception intake's helpers raise for a file they refuse, and the sentences users read."""

from __future__ import annotations

from pipeline.models import Rejection, RejectionCode


class Rejected(Exception):
    """A file refused for a reason the user can act on; becomes a `Rejection` for the report."""

    def __init__(self, code: RejectionCode, reason: str) -> None:
        super().__init__(reason)
        self.code: RejectionCode = code
        self.reason = reason

    def to_rejection(self, name: str) -> Rejection:
        return Rejection(name=name, code=self.code, reason=self.reason)


def empty(name: str) -> Rejected:
    return Rejected("empty", f"{name} is empty (0 bytes) — the upload probably failed; please send it again.")


def text_file(name: str) -> Rejected:
    return Rejected("not_media", f"{name} is a text file, not a photo, video or song — it was left out.")


def not_media(name: str) -> Rejected:
    return Rejected(
        "not_media",
        f"{name} is not a photo, video or song I can read — it was left out (try JPEG, PNG, HEIC, MP4 or MP3).",
    )


def damaged(name: str, label: str) -> Rejected:
    """The first bytes say what it is, but no decoder can read the rest."""
    return Rejected(
        "corrupt", f"{name} looks like a {label} but is damaged and can't be opened — please send it again."
    )


def truncated(name: str) -> Rejected:
    return Rejected("truncated", f"{name} is cut off (incomplete download?) — please send it again.")


def bomb(name: str, width: int, height: int, limit: int) -> Rejected:
    mp = width * height / 1e6
    return Rejected(
        "bomb",
        f"{name} is too big to open safely ({width}x{height}, {mp:.0f} megapixels; the limit is "
        f"{limit / 1e6:.0f}) — please send a smaller version.",
    )


def corrupt_image(name: str) -> Rejected:
    return Rejected("corrupt", f"{name} is damaged and can't be opened as a photo — please send it again.")


def corrupt_video(name: str) -> Rejected:
    return Rejected(
        "corrupt",
        f"{name} is damaged: none of its frames could be decoded — please send it again or try another copy.",
    )


def missing_index(name: str) -> Rejected:
    return Rejected(
        "truncated",
        f"{name} is incomplete: the video's index (moov) is missing, which happens when a recording or upload is "
        "interrupted — please send it again.",
    )


def corrupt_audio(name: str) -> Rejected:
    return Rejected("corrupt", f"{name} is damaged: its sound could not be decoded — please send it again.")


def too_long(name: str, seconds: float, limit: float) -> Rejected:
    return Rejected(
        "too_large",
        f"{name} is {seconds / 60:.1f} minutes long; clips up to {limit / 60:.0f} minutes are accepted — "
        "please trim it and send it again.",
    )


def unreadable(name: str) -> Rejected:
    return Rejected(
        "unavailable", f"{name} could not be read (missing or no permission) — please send it again."
    )
