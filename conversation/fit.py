"""Names shared by the core and the job that makes a smaller copy of a finished movie for a chat
whose upload limit it is over ("fit" renders: same plan, same version, a target size).

The target, the job id and the stored key all derive from the chat's limit, so the same version
delivered again to a chat with the same limit finds its copy instead of rendering it again, and
a double delivery enqueues one job."""

from __future__ import annotations

import re

FIT_SHARE = 0.95  # aim a little under the limit: the container and rate control may overshoot

# The renderer's floor in target-size mode is ~80 kb/s of video and 64 kb/s of sound plus the
# container (pipeline/render/chunks.encode_params): a movie needing more than this per second
# can't be made small enough, so it isn't worth a render.
MIN_FIT_BYTES_PER_SECOND = 20_000

_JOB_ID = re.compile(r":v\d+:fit(\d+)$")


def fit_target(limit_bytes: int) -> int:
    return int(limit_bytes * FIT_SHARE)


def fit_limit(target_bytes: int) -> int:
    """The chat limit a target was made for (what a copy must be under to be sent)."""
    return int(target_bytes / FIT_SHARE)


def fit_key(project_id: str, number: int, target_bytes: int) -> str:
    return f"{project_id}/v{number}-fit{target_bytes}.mp4"


def fit_job_id(project_id: str, number: int, target_bytes: int) -> str:
    return f"{project_id}:v{number}:fit{target_bytes}"


def fit_target_of(job_id: str) -> int | None:
    """The target size of a fit job, from its id (None: not a fit job)."""
    m = _JOB_ID.search(job_id)
    return int(m.group(1)) if m else None


def can_fit(duration: float, target_bytes: int) -> bool:
    return duration * MIN_FIT_BYTES_PER_SECOND <= target_bytes


def longest_fitting(target_bytes: int) -> int:
    """The longest movie (whole seconds) that could fit under a target."""
    return target_bytes // MIN_FIT_BYTES_PER_SECOND


def shareable(link: str | None) -> str | None:
    """A link other chat members can open: http(s) only (a local store's file:// is not)."""
    return link if link and link.startswith(("https://", "http://")) else None
