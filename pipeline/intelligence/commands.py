"""The refinement agent's answer made into typed EditCommands (pipeline.edits), validated one by
one: an invalid or unknown-media command is dropped, never passed on."""

from __future__ import annotations

import logging
import typing
from typing import Any

from pydantic import TypeAdapter, ValidationError

from pipeline.edits import EditCommand
from pipeline.intelligence.schemas import EditDraft
from pipeline.models import Library, MediaKind

log = logging.getLogger(__name__)

_ADAPTER: TypeAdapter[Any] = TypeAdapter(EditCommand)


def to_commands(drafts: list[EditDraft], library: Library) -> tuple[EditCommand, ...]:
    out: list[EditCommand] = []
    known = set(library.items)
    songs = {m for m, it in library.items.items() if it.kind == MediaKind.MUSIC}
    for draft in drafts:
        fields = {k: v for k, v in draft.model_dump().items() if v is not None}
        if "media_ids" in fields:
            fields["media_ids"] = tuple(m for m in fields["media_ids"] if m in known and m not in songs)
            if not fields["media_ids"]:
                continue
        if draft.op == "change_music" and fields.get("media_id") not in songs:
            fields.pop("media_id", None)  # "next song" rather than an invented one
        elif "media_id" in fields and fields["media_id"] not in known:
            continue
        if draft.op == "set_title" and "text" not in fields:
            fields["text"] = None
        try:
            command = _ADAPTER.validate_python(_only_fields_of(draft.op, fields))
        except ValidationError as e:
            log.info("refinement agent: dropped invalid %s (%s)", draft.op, e.errors()[0].get("msg"))
            continue
        out.append(command)
    return tuple(out)


def _only_fields_of(op: str, fields: dict) -> dict:
    """The flat draft carries every field; a command forbids the ones it doesn't have."""
    for cls in typing.get_args(typing.get_args(EditCommand)[0]):
        if cls.model_fields["op"].default == op:
            return {k: v for k, v in fields.items() if k in cls.model_fields}
    return fields
