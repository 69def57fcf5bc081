"""Bot API objects -> conversation events: who, where, what was said or sent. Pure functions,
except that media files are described here and fetched in downloads.py."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Chat, Message, User

from conversation.events import ChatRef, CommandReceived, TextReceived, UserRef

PLATFORM = "telegram"


@dataclass(frozen=True)
class FileSpec:
    """One file attached to a message, before it is downloaded."""

    file_id: str
    name: str
    size: int | None
    mime: str | None
    as_document: bool  # sent as a file: Telegram kept the original bytes


def chat_ref(chat: Chat, message: Message | None = None) -> ChatRef:
    # only forum topics are separate conversations; in other supergroups message_thread_id marks
    # a reply chain, which stays in the chat's one project
    thread = message.message_thread_id if message is not None and message.is_topic_message else None
    return ChatRef(
        platform=PLATFORM,
        chat_id=str(chat.id),
        thread_id=str(thread) if thread else None,
        is_group=chat.type in (Chat.GROUP, Chat.SUPERGROUP),
    )


def user_ref(user: User, *, is_admin: bool = False) -> UserRef:
    return UserRef(platform=PLATFORM, user_id=str(user.id), name=user.full_name or user.username or "",
                   is_chat_admin=is_admin)  # fmt: skip


def event_id(message: Message) -> str:
    # message ids are unique per chat only; a redelivered update carries the same pair
    return f"{message.chat_id}:{message.message_id}"


def reply_target(message: Message) -> str | None:
    """The message the user replied to, if it is a real reply (not a forum topic's root)."""
    replied = message.reply_to_message
    if replied is None or replied.forum_topic_created is not None:
        return None
    if message.is_topic_message and replied.message_id == message.message_thread_id:
        return None
    return str(replied.message_id)


def strip_mention(text: str, bot_username: str) -> str:
    """Privacy mode makes group users write "@bot make it vertical": the mention is addressing only."""
    if not bot_username:
        return text
    return " ".join(w for w in text.split(" ") if w.lower() != f"@{bot_username.lower()}").strip()


def parse_command(text: str, bot_username: str) -> tuple[str, str] | None:
    """("make", "40 seconds") for "/make@bot 40 seconds"; None for text or another bot's command."""
    if not text.startswith("/"):
        return None
    head, _, args = text[1:].partition(" ")
    name, _, addressee = head.partition("@")
    if addressee and bot_username and addressee.lower() != bot_username.lower():
        return None
    if not name:
        return None
    return name.lower(), args.strip()


def text_event(
    message: Message, chat: ChatRef, user: UserRef, bot_username: str
) -> TextReceived | CommandReceived | None:
    text = message.text or ""
    if not text.strip():
        return None
    reply_to = reply_target(message)
    command = parse_command(text, bot_username)
    if command is not None:
        return CommandReceived(chat=chat, user=user, event_id=event_id(message), name=command[0],
                               args=command[1], reply_to=reply_to, message_id=str(message.message_id))  # fmt: skip
    if text.startswith("/"):
        return None  # addressed to another bot in the group
    quote = message.quote.text if message.quote is not None else None
    return TextReceived(chat=chat, user=user, event_id=event_id(message), text=strip_mention(text, bot_username),
                        reply_to=reply_to, quote=quote, message_id=str(message.message_id))  # fmt: skip


def _ext(mime: str | None, default: str) -> str:
    known = {"video/mp4": "mp4", "video/quicktime": "mov", "audio/mpeg": "mp3", "audio/ogg": "ogg",
             "audio/mp4": "m4a", "audio/x-wav": "wav", "audio/wav": "wav", "image/jpeg": "jpg",
             "image/png": "png", "image/heic": "heic"}  # fmt: skip
    return known.get(mime or "", default)


def file_specs(message: Message) -> list[FileSpec]:
    """Every media file on a message; empty for stickers, text and the like."""
    specs: list[FileSpec] = []
    if message.photo:
        # Telegram offers several sizes of a compressed photo; the last is the largest
        best = message.photo[-1]
        specs.append(
            FileSpec(best.file_id, f"photo_{best.file_unique_id}.jpg", best.file_size, "image/jpeg", False)
        )
    if message.document is not None:
        d = message.document
        name = d.file_name or f"file_{d.file_unique_id}.{_ext(d.mime_type, 'bin')}"
        specs.append(FileSpec(d.file_id, name, d.file_size, d.mime_type, True))
    if message.video is not None:
        v = message.video
        name = v.file_name or f"video_{v.file_unique_id}.{_ext(v.mime_type, 'mp4')}"
        specs.append(FileSpec(v.file_id, name, v.file_size, v.mime_type or "video/mp4", False))
    if message.animation is not None:
        gif = message.animation
        name = gif.file_name or f"animation_{gif.file_unique_id}.mp4"
        specs.append(FileSpec(gif.file_id, name, gif.file_size, gif.mime_type or "video/mp4", False))
    if message.video_note is not None:
        n = message.video_note
        specs.append(
            FileSpec(n.file_id, f"video_note_{n.file_unique_id}.mp4", n.file_size, "video/mp4", False)
        )
    if message.audio is not None:
        a = message.audio
        fallback = " - ".join(x for x in (a.performer, a.title) if x) or f"audio_{a.file_unique_id}"
        name = a.file_name or f"{fallback}.{_ext(a.mime_type, 'mp3')}"
        specs.append(FileSpec(a.file_id, name, a.file_size, a.mime_type, False))
    if message.voice is not None:
        voice = message.voice
        name = f"voice_{voice.file_unique_id}.ogg"
        specs.append(FileSpec(voice.file_id, name, voice.file_size, voice.mime_type or "audio/ogg", False))
    return specs
