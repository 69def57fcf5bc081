"""Mapping between discord.py objects and the conversation's platform-neutral refs and buttons.

Discord limits that shape the mapping (not product choices): a message holds 2000 characters,
5 rows of components, 5 buttons per row, 25 options per select; labels are at most 80 characters
and a custom_id at most 100. A row with more choices than fit as buttons becomes a select menu.
"""

from __future__ import annotations

import re
from pathlib import Path

import discord

from conversation.actions import Button
from conversation.events import ChatRef, UserRef

PLATFORM = "discord"
MAX_CONTENT = 2000
MAX_ROWS = 5
MAX_BUTTONS_PER_ROW = 5
MAX_SELECT_OPTIONS = 25
SELECT_PREFIX = "mm-select:"


def chat_for(channel: object) -> ChatRef:
    """Threads are chats of their own (a movie lives in one); DMs are private chats."""
    if isinstance(channel, discord.Thread):
        return ChatRef(
            platform=PLATFORM, chat_id=str(channel.parent_id), thread_id=str(channel.id), is_group=True
        )
    if isinstance(channel, discord.DMChannel):
        return ChatRef(platform=PLATFORM, chat_id=str(channel.id), is_group=False)
    channel_id = getattr(channel, "id", None)
    is_group = getattr(channel, "guild", None) is not None or isinstance(channel, discord.GroupChannel)
    return ChatRef(platform=PLATFORM, chat_id=str(channel_id), is_group=is_group)


def needs_fetch(channel: object) -> bool:
    """A channel discord.py doesn't have cached: we can't tell a thread from a channel yet."""
    return isinstance(channel, discord.PartialMessageable | discord.Object) or channel is None


def user_for(user: discord.abc.User, permissions: discord.Permissions | None = None) -> UserRef:
    """`is_chat_admin`: may manage the server (Discord's closest match to a group admin)."""
    if permissions is None and isinstance(user, discord.Member):
        permissions = user.guild_permissions
    admin = bool(permissions and (permissions.administrator or permissions.manage_guild))
    return UserRef(platform=PLATFORM, user_id=str(user.id), name=user.display_name, is_chat_admin=admin)


def chunks(text: str, limit: int = MAX_CONTENT) -> list[str]:
    """Split long text at line breaks (or spaces) so each part fits in one message."""
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit)
        if cut <= 0:
            cut = rest.rfind(" ", 0, limit)
        if cut <= 0:
            cut = limit
        parts.append(rest[:cut])
        rest = rest[cut:].lstrip("\n ")
    if rest or not parts:
        parts.append(rest)
    return parts


def view_for(rows: tuple[tuple[Button, ...], ...]) -> discord.ui.View | None:
    """Buttons whose custom_id is the core's payload, so a press comes back as that payload."""
    if not rows:
        return None
    view = discord.ui.View(timeout=None)
    for index, row in enumerate(rows[:MAX_ROWS]):
        if len(row) <= MAX_BUTTONS_PER_ROW:
            for button in row:
                view.add_item(
                    discord.ui.Button(
                        label=button.label[:80],
                        custom_id=button.payload[:100],
                        style=discord.ButtonStyle.secondary,
                        row=index,
                    )
                )
        else:
            options = [
                discord.SelectOption(label=b.label[:100], value=b.payload[:100])
                for b in row[:MAX_SELECT_OPTIONS]
            ]
            view.add_item(discord.ui.Select(custom_id=f"{SELECT_PREFIX}{index}", options=options, row=index))
    return view


def choice_payload(data: dict[str, object]) -> str | None:
    """The core's payload from a component interaction: a button's custom_id or a select's value."""
    custom_id = str(data.get("custom_id") or "")
    if custom_id.startswith(SELECT_PREFIX):
        values = data.get("values")
        return str(values[0]) if isinstance(values, list) and values else None
    return custom_id or None


_UNSAFE = re.compile(r"[^\w.\- ]+")


def safe_filename(name: str, index: int) -> str:
    """A local file name for an attachment: no paths, no odd characters, unique within a message."""
    base = _UNSAFE.sub("_", Path(name).name).strip(" .") or "file"
    return f"{index:02d}-{base[:120]}"
