"""Telegram updates (the Bot API's JSON, as a dict) -> InboundMessage. Pure: no aiogram, no I/O.

Working on the raw dict keeps this module free of aiogram's 3-second import and lets the same function serve
the webhook and long polling (whose aiogram Update objects are dumped back to the API's JSON).

What becomes a message: text, captions, photos, documents, voice notes, audio, video, a shared contact, and
presses on our inline keyboard (callback queries, the option id is the callback data). In private chats
everything counts; in groups only messages that mention the bot, address a command to it, or reply to it,
so the bot never reacts to the group's small talk. Everything else (edits, channel posts, member updates,
other bots) is ignored by returning None.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from dialog.messages import Attachment, Identity, InboundMessage

CHANNEL = "telegram"
GROUP_TYPES = ("group", "supergroup")


class MalformedUpdate(ValueError):
    """The body is not a Telegram update we can read (answered with 400, nothing stored)."""


@dataclass(frozen=True, slots=True)
class BotIdentity:
    """Who the bot is (from getMe): needed to tell whether a group message is addressed to it."""

    id: int
    username: str | None


def conversation_key(chat_id: int, chat_type: str, user_id: int) -> str:
    """Private chat: "telegram:<chat>"; group: "telegram:<chat>:<user>" so two colleagues reporting in the
    same group never share one intake conversation. The Outbound sends to the chat (first number)."""
    if chat_type in GROUP_TYPES:
        return f"{CHANNEL}:{chat_id}:{user_id}"
    return f"{CHANNEL}:{chat_id}"


def chat_id_from_key(key: str) -> int:
    parts = key.split(":")
    if len(parts) not in (2, 3) or parts[0] != CHANNEL:
        raise ValueError(f"not a Telegram conversation key: {key!r}")
    return int(parts[1])


def needs_bot_identity(update: Mapping[str, Any]) -> bool:
    """True when parsing this update depends on knowing the bot (a group message)."""
    msg = update.get("message")
    if isinstance(msg, Mapping):
        chat = msg.get("chat")
        return isinstance(chat, Mapping) and chat.get("type") in GROUP_TYPES
    return False


def callback_query_id(update: Mapping[str, Any]) -> str | None:
    """Every callback query must be answered (or the user's button keeps spinning), even ignored ones."""
    cq = update.get("callback_query")
    if isinstance(cq, Mapping) and isinstance(cq.get("id"), str):
        return str(cq["id"])
    return None


def parse_update(update: Any, bot: BotIdentity | None = None) -> InboundMessage | None:
    """One update -> an InboundMessage, or None when it is not for the bot. Raises MalformedUpdate."""
    if not isinstance(update, Mapping):
        raise MalformedUpdate("an update is a JSON object")
    update_id = update.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool):
        raise MalformedUpdate("update_id is missing or not an integer")
    if "message" in update:
        return _message(update_id, _obj(update["message"], "message"), bot)
    if "callback_query" in update:
        return _callback(update_id, _obj(update["callback_query"], "callback_query"))
    return None


def _obj(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise MalformedUpdate(f"{what} is not an object")
    return value


def _int(value: Any, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise MalformedUpdate(f"{what} is missing or not an integer")
    return value


def _identity(user: Mapping[str, Any], phone: str | None = None) -> Identity:
    names = [str(user[k]) for k in ("first_name", "last_name") if user.get(k)]
    name = " ".join(names) or (f"@{user['username']}" if user.get("username") else None)
    return Identity(channel=CHANNEL, native_id=str(_int(user.get("id"), "from.id")), display_name=name,
                    phone=phone)


def _received_at(msg: Mapping[str, Any]) -> datetime:
    date = msg.get("date")
    if isinstance(date, int) and date > 0:
        return datetime.fromtimestamp(date, UTC)
    return datetime.now(UTC)


def _message(update_id: int, msg: Mapping[str, Any], bot: BotIdentity | None) -> InboundMessage | None:
    chat = _obj(msg.get("chat"), "message.chat")
    chat_id = _int(chat.get("id"), "message.chat.id")
    chat_type = str(chat.get("type", ""))
    sender = msg.get("from")
    if not isinstance(sender, Mapping) or sender.get("is_bot") or chat_type == "channel":
        return None  # channel posts, anonymous admins, other bots (and ourselves): never answered
    user_id = _int(sender.get("id"), "message.from.id")

    text = msg.get("text") if isinstance(msg.get("text"), str) else msg.get("caption")
    text = text if isinstance(text, str) else ""
    entities = msg.get("entities") if "text" in msg else msg.get("caption_entities")
    entities = [e for e in entities if isinstance(e, Mapping)] if isinstance(entities, list) else []

    if chat_type in GROUP_TYPES and not _addressed_to_bot(msg, text, entities, bot):
        return None
    text, command = _clean_text(text, entities, bot)

    files = _files(msg)
    phone = None
    contact = msg.get("contact")
    if isinstance(contact, Mapping) and contact.get("user_id") == user_id and contact.get("phone_number"):
        # Telegram only lets a user share *their own* number with user_id set to themselves via the
        # request_contact button: that is a verified phone, which links identities across channels.
        phone = "+" + str(contact["phone_number"]).lstrip("+")
    if not text and not files and command is None and phone is None:
        return None  # stickers, locations, polls, service messages

    extras: dict[str, Any] = {"chat_id": chat_id, "chat_type": chat_type,
                              "message_id": msg.get("message_id")}
    if chat_type in GROUP_TYPES and chat.get("title"):
        extras["chat_title"] = chat["title"]
    if command is not None:
        extras["telegram_command"] = command
        if command == "status" and not text:
            text = "status"
    if files:
        extras["telegram_files"] = tuple(f["ref"] for f in files)
    if phone:
        extras["shared_contact"] = True
    return InboundMessage(
        channel=CHANNEL, conversation_key=conversation_key(chat_id, chat_type, user_id),
        sender=_identity(sender, phone), text=text.strip(),
        attachments=tuple(f["attachment"] for f in files), provider_message_id=str(update_id),
        received_at=_received_at(msg), locale_hint=_locale(sender), extras=extras)


def _callback(update_id: int, cq: Mapping[str, Any]) -> InboundMessage | None:
    sender = _obj(cq.get("from"), "callback_query.from")
    data = cq.get("data")
    msg = cq.get("message")
    if not isinstance(data, str) or not data or not isinstance(msg, Mapping):
        return None  # game buttons, inline-mode messages: nothing for the intake
    chat = _obj(msg.get("chat"), "callback_query.message.chat")
    chat_id = _int(chat.get("id"), "callback_query.message.chat.id")
    chat_type = str(chat.get("type", ""))
    user_id = _int(sender.get("id"), "callback_query.from.id")
    label = _button_label(msg, data)
    extras: dict[str, Any] = {"chat_id": chat_id, "chat_type": chat_type, "message_id": msg.get("message_id"),
                              "callback_query_id": cq.get("id")}
    return InboundMessage(
        channel=CHANNEL, conversation_key=conversation_key(chat_id, chat_type, user_id),
        sender=_identity(sender), text=label or data, option_id=data, provider_message_id=str(update_id),
        locale_hint=_locale(sender), extras=extras)


def _locale(user: Mapping[str, Any]) -> str | None:
    code = user.get("language_code")
    return code if isinstance(code, str) and code else None


def _button_label(msg: Mapping[str, Any], data: str) -> str | None:
    """The label of the pressed button, so the transcript reads "Only me" rather than an option id."""
    markup = msg.get("reply_markup")
    rows = markup.get("inline_keyboard") if isinstance(markup, Mapping) else None
    for row in rows if isinstance(rows, list) else []:
        for button in row if isinstance(row, list) else []:
            if isinstance(button, Mapping) and button.get("callback_data") == data:
                label = button.get("text")
                return label if isinstance(label, str) else None
    return None


def _utf16_slice(text: str, offset: Any, length: Any) -> str:
    """Entity offsets count UTF-16 code units (an emoji counts two), not Python characters."""
    if not isinstance(offset, int) or not isinstance(length, int):
        return ""
    raw = text.encode("utf-16-le")
    return raw[2 * offset: 2 * (offset + length)].decode("utf-16-le", errors="ignore")


def _addressed_to_bot(msg: Mapping[str, Any], text: str, entities: list[Mapping[str, Any]],
                      bot: BotIdentity | None) -> bool:
    if bot is None:
        return False
    reply_to = msg.get("reply_to_message")
    if isinstance(reply_to, Mapping):
        author = reply_to.get("from")
        if isinstance(author, Mapping) and author.get("id") == bot.id:
            return True
    handle = f"@{bot.username}".lower() if bot.username else None
    for ent in entities:
        kind = ent.get("type")
        piece = _utf16_slice(text, ent.get("offset"), ent.get("length")).lower()
        if kind == "mention" and handle and piece == handle:
            return True
        if kind == "bot_command" and handle and piece.endswith(handle):
            return True
        if kind == "text_mention":
            user = ent.get("user")
            if isinstance(user, Mapping) and user.get("id") == bot.id:
                return True
    return False


_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]+))?(?:\s+|$)")


def _clean_text(text: str, entities: list[Mapping[str, Any]],
                bot: BotIdentity | None) -> tuple[str, str | None]:
    """Drop our @mention and split off a leading /command (kept in extras, never packed into the text)."""
    if bot and bot.username:
        text = re.sub(rf"(?i)@{re.escape(bot.username)}\b", "", text)
    command = None
    m = _COMMAND.match(text.lstrip())
    if m and any(e.get("type") == "bot_command" and e.get("offset") == 0 for e in entities):
        command = m.group(1).lower()
        text = text.lstrip()[m.end():]
    return re.sub(r"[ \t]{2,}", " ", text).strip(), command


_KINDS = {
    # kind: (default content type, default extension)
    "document": ("application/octet-stream", ""),
    "voice": ("audio/ogg", ".ogg"),
    "audio": ("audio/mpeg", ".mp3"),
    "video": ("video/mp4", ".mp4"),
    "video_note": ("video/mp4", ".mp4"),
}


def _files(msg: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The files of a message, described (the connector downloads them; parse does no I/O)."""
    found: list[tuple[str, Mapping[str, Any], str, str]] = []
    photos = msg.get("photo")
    if isinstance(photos, list) and photos and isinstance(photos[-1], Mapping):
        found.append(("photo", photos[-1], "image/jpeg", ".jpg"))  # the last size is the largest
    for kind, (ctype, ext) in _KINDS.items():
        item = msg.get(kind)
        if isinstance(item, Mapping):
            found.append((kind, item, str(item.get("mime_type") or ctype), ext))
    out = []
    for kind, item, ctype, ext in found:
        file_id = item.get("file_id")
        if not isinstance(file_id, str):
            raise MalformedUpdate(f"message.{kind}.file_id is missing")
        unique = str(item.get("file_unique_id") or file_id)
        raw_name, raw_size = item.get("file_name"), item.get("file_size")
        name = raw_name if isinstance(raw_name, str) and raw_name else f"{kind}_{unique}{ext}"
        size = raw_size if isinstance(raw_size, int) else 0
        out.append({"attachment": Attachment(name=name, content_type=ctype, size=size),
                    "ref": {"file_id": file_id, "file_unique_id": unique, "name": name, "size": size}})
    return out
