"""Typed edit commands: what a refinement means, whoever understood it.

The offline parser (conversation) and the AI refinement agent (pipeline.intelligence) both
produce these; `apply_edits` turns them into the next PlanRequest, which the planner re-plans
with the parent plan as its starting point. References ("the one with the car", "the 3rd shot",
"bob's photos") are resolved to media ids before a command is built.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from pipeline.models import Aspect, Frozen, Order, PaceSection, PlanRequest, TransitionStyle


class SetDuration(Frozen):
    op: Literal["set_duration"] = "set_duration"
    seconds: float = Field(gt=0, le=600)


class ScaleDuration(Frozen):
    """'shorter' / 'longer' without a number."""

    op: Literal["scale_duration"] = "scale_duration"
    factor: float = Field(gt=0)


class SetAspect(Frozen):
    op: Literal["set_aspect"] = "set_aspect"
    aspect: Aspect


class ChangePace(Frozen):
    """factor > 1 = slower (longer shots) in that part of the movie."""

    op: Literal["change_pace"] = "change_pace"
    section: PaceSection = "all"
    factor: float = Field(gt=0)


class Exclude(Frozen):
    op: Literal["exclude"] = "exclude"
    media_ids: tuple[str, ...]


class Include(Frozen):
    """Bring back / keep media even if the planner would leave it out."""

    op: Literal["include"] = "include"
    media_ids: tuple[str, ...]


class SetOpening(Frozen):
    op: Literal["set_opening"] = "set_opening"
    media_id: str


class SetClosing(Frozen):
    op: Literal["set_closing"] = "set_closing"
    media_id: str


class SetOrder(Frozen):
    op: Literal["set_order"] = "set_order"
    order: Order


class SetTransitions(Frozen):
    op: Literal["set_transitions"] = "set_transitions"
    style: TransitionStyle


class ChangeMusic(Frozen):
    """media_id None = the next song in the library (or none if there's only one)."""

    op: Literal["change_music"] = "change_music"
    media_id: str | None = None


class SetTitle(Frozen):
    op: Literal["set_title"] = "set_title"
    text: str | None  # None removes it


class SetCaption(Frozen):
    op: Literal["set_caption"] = "set_caption"
    media_id: str
    text: str | None


class SetMood(Frozen):
    op: Literal["set_mood"] = "set_mood"
    mood: str


class SetClipAudio(Frozen):
    op: Literal["set_clip_audio"] = "set_clip_audio"
    mode: Literal["auto", "mute", "keep", "duck"]


EditCommand = Annotated[
    SetDuration
    | ScaleDuration
    | SetAspect
    | ChangePace
    | Exclude
    | Include
    | SetOpening
    | SetClosing
    | SetOrder
    | SetTransitions
    | ChangeMusic
    | SetTitle
    | SetCaption
    | SetMood
    | SetClipAudio,
    Field(discriminator="op"),
]


def apply_edits(
    request: PlanRequest,
    commands: list[EditCommand] | tuple[EditCommand, ...],
    *,
    current_duration: float | None = None,
    music_ids: tuple[str, ...] = (),
    current_music: str | None = None,
) -> PlanRequest:
    """The request after `commands`, applied in order. Pure: the input is not changed.

    `current_duration` is what the parent movie actually lasted (for "shorter" when the request
    left the duration to the planner); `music_ids`/`current_music` let "new music" pick the next song.
    """
    r = request
    for c in commands:
        match c:
            case SetDuration(seconds=s):
                r = r.model_copy(update={"duration": round(s, 2)})
            case ScaleDuration(factor=f):
                base = r.duration or current_duration or 30.0
                r = r.model_copy(update={"duration": round(min(600.0, max(5.0, base * f)), 2)})
            case SetAspect(aspect=a):
                r = r.model_copy(update={"aspect": a})
            case ChangePace(section=sec, factor=f):
                # "all" is its own factor, multiplied with the section's by the planner
                pace = {**r.pace, sec: round(min(4.0, max(0.25, r.pace.get(sec, 1.0) * f)), 3)}
                r = r.model_copy(update={"pace": pace})
            case Exclude(media_ids=ids):
                r = r.model_copy(
                    update={
                        "exclude": r.exclude | set(ids),
                        "include": r.include - set(ids),
                        "opening_id": None if r.opening_id in ids else r.opening_id,
                        "closing_id": None if r.closing_id in ids else r.closing_id,
                    }
                )
            case Include(media_ids=ids):
                r = r.model_copy(update={"include": r.include | set(ids), "exclude": r.exclude - set(ids)})
            case SetOpening(media_id=m):
                r = r.model_copy(update={"opening_id": m, "exclude": r.exclude - {m}})
            case SetClosing(media_id=m):
                r = r.model_copy(update={"closing_id": m, "exclude": r.exclude - {m}})
            case SetOrder(order=o):
                r = r.model_copy(update={"order": o})
            case SetTransitions(style=s):
                r = r.model_copy(update={"transition_style": s})
            case ChangeMusic(media_id=m):
                r = r.model_copy(update={"music_id": m if m is not None else _next_song(music_ids, current_music)})
            case SetTitle(text=t):
                r = r.model_copy(update={"title": t or None})
            case SetCaption(media_id=m, text=t):
                captions = {k: v for k, v in r.captions.items() if k != m}
                if t:
                    captions[m] = t
                r = r.model_copy(update={"captions": captions})
            case SetMood(mood=m):
                r = r.model_copy(update={"mood": m})
            case SetClipAudio(mode=m):
                r = r.model_copy(update={"clip_audio": m})
    return r


def _next_song(music_ids: tuple[str, ...], current: str | None) -> str | None:
    if not music_ids:
        return None
    if current not in music_ids:
        return music_ids[0]
    return music_ids[(music_ids.index(current) + 1) % len(music_ids)]
