"""Discord API payload builders for the fake server (shapes checked against discord.py 2.7's parsers).

Only what discord.py reads is filled in, plus the fields the real API always sends that the
library indexes with `data[...]` (a missing one is a KeyError inside the client, not a test failure).
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

DISCORD_EPOCH_MS = 1420070400000
DEFAULT_LIMIT = 10 * 1024 * 1024  # 10 MiB: premium tiers 0 and 1
TIER_LIMITS = {0: DEFAULT_LIMIT, 1: DEFAULT_LIMIT, 2: 50 * 1024 * 1024, 3: 100 * 1024 * 1024}

_counter = itertools.count(1)


def snowflake() -> str:
    """A real-looking, increasing snowflake (discord.py derives `created_at` from it)."""
    ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
    return str((ms << 22) | (next(_counter) & 0x3FFFFF))


def iso_now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class FakeUser:
    username: str
    id: str = field(default_factory=snowflake)
    bot: bool = False

    def payload(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "username": self.username,
            "global_name": self.username,
            "discriminator": "0",
            "avatar": None,
            "bot": self.bot,
            "public_flags": 0,
        }

    def member(self, *, permissions: int | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "user": self.payload(),
            "nick": None,
            "roles": [],
            "joined_at": iso_now(),
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
        }
        if permissions is not None:  # interaction members carry their resolved permissions
            data["permissions"] = str(permissions)
        return data


def role_everyone(guild_id: str) -> dict[str, Any]:
    return {
        "id": guild_id,
        "name": "@everyone",
        "permissions": str((1 << 41) - 1 & ~8),  # everything but administrator
        "position": 0,
        "color": 0,
        "hoist": False,
        "managed": False,
        "mentionable": False,
        "flags": 0,
    }


def text_channel(
    guild_id: str, name: str, *, channel_id: str | None = None, position: int = 0
) -> dict[str, Any]:
    return {
        "id": channel_id or snowflake(),
        "type": 0,
        "guild_id": guild_id,
        "name": name,
        "position": position,
        "permission_overwrites": [],
        "nsfw": False,
        "parent_id": None,
        "topic": None,
        "last_message_id": None,
        "rate_limit_per_user": 0,
    }


def thread_channel(
    guild_id: str, parent_id: str, name: str, owner_id: str, *, thread_id: str | None = None
) -> dict[str, Any]:
    return {
        "id": thread_id or snowflake(),
        "type": 11,  # public thread
        "guild_id": guild_id,
        "parent_id": parent_id,
        "owner_id": owner_id,
        "name": name,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "message_count": 0,
        "member_count": 1,
        "flags": 0,
        "thread_metadata": {
            "archived": False,
            "auto_archive_duration": 1440,
            "archive_timestamp": iso_now(),
            "locked": False,
        },
    }


def message(
    *,
    channel_id: str,
    guild_id: str | None,
    author: dict[str, Any],
    content: str = "",
    attachments: list[dict[str, Any]] | None = None,
    components: list[dict[str, Any]] | None = None,
    reference: dict[str, Any] | None = None,
    member: dict[str, Any] | None = None,
    webhook_id: str | None = None,
    message_id: str | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": message_id or snowflake(),
        "type": 19 if reference else 0,
        "channel_id": channel_id,
        "author": author,
        "content": content,
        "timestamp": iso_now(),
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": attachments or [],
        "embeds": [],
        "components": components or [],
        "pinned": False,
        "flags": 0,
    }
    if guild_id is not None:
        data["guild_id"] = guild_id
    if member is not None:
        data["member"] = member
    if reference is not None:
        data["message_reference"] = reference
    if webhook_id is not None:
        data["webhook_id"] = webhook_id
    return data


def attachment(
    *, url: str, filename: str, size: int, content_type: str | None, att_id: str | None = None
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": att_id or snowflake(),
        "filename": filename,
        "size": size,
        "url": url,
        "proxy_url": url,
    }
    if content_type:
        data["content_type"] = content_type
    return data


def guild_create(
    *,
    guild_id: str,
    name: str,
    owner_id: str,
    premium_tier: int,
    channels: list[dict[str, Any]],
    members: list[dict[str, Any]],
    threads: list[dict[str, Any]],
) -> dict[str, Any]:
    return {
        "id": guild_id,
        "name": name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "owner_id": owner_id,
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "roles": [role_everyone(guild_id)],
        "emojis": [],
        "stickers": [],
        "features": [],
        "mfa_level": 0,
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "vanity_url_code": None,
        "description": None,
        "banner": None,
        "premium_tier": premium_tier,
        "premium_subscription_count": 0,
        "preferred_locale": "en-US",
        "public_updates_channel_id": None,
        "nsfw_level": 0,
        "premium_progress_bar_enabled": False,
        "joined_at": iso_now(),
        "large": False,
        "unavailable": False,
        "member_count": len(members),
        "voice_states": [],
        "members": members,
        "channels": channels,
        "threads": threads,
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
    }
