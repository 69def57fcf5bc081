"""Length, shape and style as buttons: offered after a description in words and by /settings.

Payloads are `set:<what>=<value>` (set:duration=30, set:aspect=9:16, set:style=calm); the core
routes them here. A press changes the project's request (what the next movie starts from) and
says what changed. It never starts a render on its own, with one exception: while a movie is
being made, a press remakes it with the change (the user has already asked for that movie, and
letting it finish with a setting they just changed would deliver something they no longer want).
Otherwise a "Make it" button comes with the answer.
"""

from __future__ import annotations

from conversation.actions import Button
from conversation.commands.guard import allowed
from conversation.context import Ctx
from pipeline.models import MediaKind, PlanRequest

DURATIONS: tuple[tuple[str, float | None], ...] = (
    ("Auto", None),
    ("30 s", 30.0),
    ("45 s", 45.0),
    ("60 s", 60.0),
)
ASPECTS: tuple[tuple[str, str], ...] = (("16:9", "16:9"), ("9:16", "9:16"), ("1:1", "1:1"))
ASPECT_WORDS = {"16:9": "16:9 (wide)", "9:16": "9:16 (vertical)", "1:1": "1:1 (square)"}
# six styles: more than fit in one Discord row of buttons, so Discord shows them as a select menu
STYLES = ("upbeat", "calm", "cinematic", "nostalgic", "energetic", "dreamy")
MAKE_IT = Button(label="▶ Make it", payload="cmd:make")
CHECK = "✓ "

Rows = tuple[tuple[Button, ...], ...]


def _mark(label: str, on: bool) -> str:
    return CHECK + label if on else label


def rows(request: PlanRequest, *, make: bool = False) -> Rows:
    """Three rows of choices (the current ones ticked), and a Make it button when `make`."""
    durations = tuple(
        Button(label=_mark(label, request.duration == value), payload=f"set:duration={_num(value)}")
        for label, value in DURATIONS
    )
    aspects = tuple(
        Button(label=_mark(label, request.aspect == value), payload=f"set:aspect={value}")
        for label, value in ASPECTS
    )
    styles = tuple(
        Button(label=_mark(style.capitalize(), request.mood == style), payload=f"set:style={style}")
        for style in STYLES
    )
    out: Rows = (durations, aspects, styles)
    return (*out, (MAKE_IT,)) if make else out


def _num(value: float | None) -> str:
    return "auto" if value is None else f"{value:g}"


def _duration_words(value: float | None) -> str:
    return "from the song" if value is None else f"{value:g} s"


def _style_words(mood: str) -> str:
    return "auto" if mood == "auto" else mood


def parse(rest: str) -> dict[str, object] | None:
    """'duration=30' -> {'duration': 30.0}; None for a payload this version doesn't offer."""
    what, _, value = rest.partition("=")
    if what == "duration":
        if value == "auto":
            return {"duration": None}
        if value in {_num(v) for _, v in DURATIONS if v is not None}:
            return {"duration": float(value)}
    elif what == "aspect" and value in ASPECT_WORDS:
        return {"aspect": value}
    elif what == "style" and value in STYLES:
        return {"mood": value}
    return None


def changes(old: PlanRequest, new: PlanRequest) -> list[str]:
    """What differs in length, shape or style, in words: ['length 30 s (was from the song)']."""
    out = []
    if old.duration != new.duration:
        out.append(f"length {_duration_words(new.duration)} (was {_duration_words(old.duration)})")
    if old.aspect != new.aspect:
        out.append(f"shape {ASPECT_WORDS[new.aspect]} (was {old.aspect})")
    if old.mood != new.mood:
        out.append(f"style {_style_words(new.mood)} (was {_style_words(old.mood)})")
    return out


async def press(ctx: Ctx, rest: str) -> None:
    if not await allowed(ctx, "edit"):
        return
    assert ctx.project is not None
    update = parse(rest)
    if update is None:
        await ctx.say("That button is out of date. /settings shows the choices.")
        return
    from conversation.commands.movie import running_versions, start_version

    running = await running_versions(ctx)
    if running:
        newest = running[-1]
        request = newest.request.model_copy(update=update)
        said = changes(newest.request, request)
        if not said:
            await ctx.say(f"v{newest.number} is already being made like that.")
            return
        parent = await ctx.store.get_version(ctx.project.id, newest.parent) if newest.parent else None
        summary = ", ".join(x for x in (newest.summary, *said) if x and x != "first cut") or "first cut"
        await ctx.say(f"Changed {'; '.join(said)}. Remaking v{newest.number} with it…")
        await start_version(ctx, request, parent=parent, summary=summary)
        return
    old = ctx.project.request
    request = old.model_copy(update=update)
    said = changes(old, request)
    if not said:
        await ctx.say(f"The {_what(rest)} is already that.", (((MAKE_IT,),) if await _has_media(ctx) else ()))
        return
    await ctx.update_project(request=request)
    if not await _has_media(ctx):
        await ctx.say(f"Changed {'; '.join(said)}. Send photos, clips and a song, then Make it.")
        return
    nxt = "the next version" if ctx.project.current_version is not None else "the movie"
    await ctx.say(
        f"Changed {'; '.join(said)}. It applies to {nxt}: press Make it when you're ready.", ((MAKE_IT,),)
    )


def _what(rest: str) -> str:
    return {"duration": "length", "aspect": "shape", "style": "style"}.get(rest.partition("=")[0], "setting")


async def _has_media(ctx: Ctx) -> bool:
    assert ctx.project is not None
    return any(r.item.kind != MediaKind.MUSIC for r in await ctx.store.list_media(ctx.project.id))


def with_pending(ctx: Ctx, base: PlanRequest) -> PlanRequest:
    """`base` with the length/shape/style pressed since the current movie (they wait in the
    project's request for the next version; a refinement in words must not drop them)."""
    assert ctx.project is not None
    r = ctx.project.request
    return base.model_copy(update={"duration": r.duration, "aspect": r.aspect, "mood": r.mood})
