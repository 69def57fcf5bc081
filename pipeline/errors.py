"""Errors a user may see versus everything else.

A `UserFacingError` carries a message that is safe and useful to show in the chat ("dv9.mp4 is
longer than 10 minutes: send a shorter clip"). Anything else is a bug or an outage: it is logged
with an error id and the chat gets "something went wrong (ref ab12)".
"""


class UserFacingError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotEnoughMedia(UserFacingError):
    pass


class RenderFailed(Exception):
    """ffmpeg failed: a bug or a broken input that intake let through."""
