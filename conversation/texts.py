"""User-facing wording, in one place so every front end says the same thing."""

from __future__ import annotations

HELP = """Here's what I understand:
/new <title> - start a new movie project in this chat
/add <files> - add photos, clips and a song (or just send them)
/make - make the movie (or describe it: "40 seconds, upbeat, end on the sunset")
/status - where things are   /versions - every version
/revert <n> - go back to version n   /undo - back to the previous version
/cancel - stop the movie being made
/settings duration 40 | aspect vertical | style nostalgic | music <song>
/remove <photo> | /keep <photo> - leave a photo out / always use it
/remove my photos - take back everything you sent
/vote [a b] - let the group pick between two versions
/comment at 0:23 too fast - leave a note on the movie
/lock | /unlock | /handover @name | /delete - owner only
After a movie, just reply in words: "slower at the start, drop the one with the car, vertical"."""

NO_PROJECT = "No project in this chat yet. Start one with /new <title> (for example /new Lisbon trip)."
STARTED = "New project “{title}”. Send photos, clips and a song, then tell me what you'd like (or /make)."
ALREADY = "This chat already has “{title}”. /delete it first (owner only), or keep going."
NEED_MEDIA = "I need at least one photo or clip first. Send some, then /make."
BUSY = "v{n} is still being made ({stage}). Wait for it or /cancel it."
SOMETHING_WRONG = "Something went wrong (ref {ref}). Please try again."
DELETED = "Deleted “{title}” and all its files."
CONFIRM_DELETE = "Delete “{title}” with all its files and versions? This can't be undone."
# when the bot is added to a group; platform-neutral (privacy mode / unaddressed messages)
GROUP_WELCOME = (
    "Hi! Send your photos, clips and a song here, then tell me what you'd like (“40 seconds, upbeat”) "
    "or say /make, and I'll turn them into a memory movie ({owner} owns this project).\n"
    "I may not see everything said in a group: reply to my message with your photos so I see them "
    "(or make me an admin)."
)
FULL_QUALITY_HINT = "Tip: sending photos as files (not as photos) keeps their full quality."

ROLE_REFUSED = {
    "edit": "Sorry {name}, you're a viewer here: you can comment and /vote, but only editors change the cut.",
    "locked": "The owner locked the cut, so only they can change it now. You can still comment and /vote.",
    "contribute": "Sorry {name}, viewers can't add files here. Ask the owner to make you an editor.",
    "manage": "Only the owner ({owner}) can do that.",
}
QUICK_ACTIONS = (
    ("Shorter", "say:shorter"),
    ("Longer", "say:longer"),
    ("Faster", "say:faster"),
    ("Slower", "say:slower"),
    ("Vertical", "say:vertical"),
    ("New music", "say:different song"),
    ("Undo", "cmd:undo"),
)
NOT_UNDERSTOOD = (
    "I didn't understand “{text}”. Try things like “slower at the start”, “30 seconds”, "
    "“vertical”, “drop the 3rd shot”, “end on the sunset”, “different song”."
)
SUGGESTIONS = (
    ("Shorter", "say:shorter"),
    ("Slower", "say:slower"),
    ("Faster", "say:faster"),
    ("Vertical", "say:vertical"),
    ("New music", "say:different song"),
)


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


def mb(n: int) -> str:
    return f"{n / 1_000_000:.0f} MB" if n >= 10_000_000 else f"{n / 1_000_000:.1f} MB"


def seconds(s: float) -> str:
    s = round(s)
    return f"{s // 60}:{s % 60:02d}" if s >= 60 else f"{s} s"
