"""Slack payloads (Events API envelopes, block_actions, slash commands) -> InboundMessage. Pure, no I/O.

What becomes a message: direct messages to the bot (message events with channel_type "im", files
included), app mentions in channels, presses on our Block Kit buttons, and the /ticket command. Never:
bot messages (bot_id, subtype bot_message, our own user), edits and deletions (other subtypes), so the bot
cannot answer itself into a loop.

Conversation keys say where to answer: "slack:<channel>" for a direct message written at the top level (a
DM is already private, threading every message would split the dialog), "slack:<channel>:<thread_ts>" for
a thread: mentions in channels are always answered in the thread of the mention.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from dialog.messages import Attachment, Identity, InboundMessage

CHANNEL = "slack"
OPTION_ACTION_PREFIX = "atende_option_"
_KEEP_SUBTYPES = (None, "file_share", "thread_broadcast")


class MalformedPayload(ValueError):
    """Not a Slack payload we can read (answered with 400, nothing stored)."""


def conversation_key(channel: str, thread_ts: str | None) -> str:
    return f"{CHANNEL}:{channel}:{thread_ts}" if thread_ts else f"{CHANNEL}:{channel}"


def address_from_key(key: str) -> tuple[str, str | None]:
    """conversation key -> (channel id, thread_ts or None) for chat.postMessage."""
    parts = key.split(":")
    if len(parts) not in (2, 3) or parts[0] != CHANNEL or not parts[1]:
        raise ValueError(f"not a Slack conversation key: {key!r}")
    return parts[1], (parts[2] if len(parts) == 3 and parts[2] else None)


def _str(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise MalformedPayload(f"{what} is missing or not a string")
    return value


def _obj(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise MalformedPayload(f"{what} is not an object")
    return value


def _ts_time(ts: str | None) -> datetime:
    try:
        return datetime.fromtimestamp(float(ts), UTC) if ts else datetime.now(UTC)
    except (TypeError, ValueError, OverflowError):
        return datetime.now(UTC)


_LINK = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")


def decode_text(text: str, bot_user_id: str | None = None) -> str:
    """Slack's wire format -> what the user typed: our own mention dropped, <@U..>, <#C..|name>, links and
    mailto unwrapped, &amp; &lt; &gt; unescaped."""

    def one(m: re.Match[str]) -> str:
        target, label = m.group(1), m.group(2)
        if target.startswith("@"):
            return "" if bot_user_id and target[1:] == bot_user_id else f"@{label or target[1:]}"
        if target.startswith("#"):
            return f"#{label or target[1:]}"
        if target.startswith("!"):
            return f"@{label or target[1:].split('^')[0]}"
        if target.startswith("mailto:"):
            return label or target[len("mailto:"):]
        return target if not label or label == target else f"{label} ({target})"

    text = _LINK.sub(one, text)
    return re.sub(r"[ \t]{2,}", " ", html.unescape(text)).strip()


def _files(event: Mapping[str, Any]) -> tuple[list[Attachment], list[dict[str, Any]]]:
    attachments: list[Attachment] = []
    refs: list[dict[str, Any]] = []
    files = event.get("files")
    for f in files if isinstance(files, list) else []:
        if not isinstance(f, Mapping) or f.get("mode") in ("external", "tombstone", "hidden_by_limit"):
            continue  # links to Google Drive etc., deleted files, files over the free plan's limit
        url = f.get("url_private_download") or f.get("url_private")
        if not isinstance(f.get("id"), str) or not isinstance(url, str):
            continue
        name = str(f.get("name") or f.get("title") or f["id"])
        ctype = str(f.get("mimetype") or "application/octet-stream")
        raw_size = f.get("size")
        size = raw_size if isinstance(raw_size, int) else 0
        attachments.append(Attachment(name=name, content_type=ctype, size=size))
        refs.append({"id": f["id"], "url": url, "name": name, "size": size})
    return attachments, refs


def parse_event(envelope: Any, bot_user_id: str | None = None) -> InboundMessage | None:
    """An event_callback envelope -> InboundMessage, or None when the event is not for the intake."""
    envelope = _obj(envelope, "body")
    event_id = _str(envelope.get("event_id"), "event_id")
    event = _obj(envelope.get("event"), "event")
    bot_user_id = bot_user_id or _authorized_bot(envelope)
    kind = event.get("type")
    if kind not in ("message", "app_mention"):
        return None
    if event.get("bot_id") or event.get("subtype") not in _KEEP_SUBTYPES or event.get("hidden"):
        return None
    user = event.get("user")
    if not isinstance(user, str) or not user or user == bot_user_id:
        return None
    if kind == "message" and event.get("channel_type") != "im":
        return None  # channel chatter; mentions in channels arrive as app_mention
    channel = _str(event.get("channel"), "event.channel")
    ts = _str(event.get("ts"), "event.ts")
    thread_ts = event.get("thread_ts") if isinstance(event.get("thread_ts"), str) else None
    if kind == "app_mention":
        thread_ts = thread_ts or ts  # always answer a mention in its thread
    raw_text = event.get("text")
    text = decode_text(raw_text if isinstance(raw_text, str) else "", bot_user_id)
    attachments, refs = _files(event)
    if not text and not attachments:
        return None
    team = event.get("team") or envelope.get("team_id")
    extras: dict[str, Any] = {"slack_channel": channel, "slack_ts": ts, "slack_thread_ts": thread_ts,
                              "slack_event_type": kind, "slack_team": team}
    if refs:
        extras["slack_files"] = tuple(refs)
    return InboundMessage(
        channel=CHANNEL, conversation_key=conversation_key(channel, thread_ts),
        sender=Identity(channel=CHANNEL, native_id=user), text=text, attachments=tuple(attachments),
        provider_message_id=event_id, received_at=_ts_time(ts), extras=extras)


def _authorized_bot(envelope: Mapping[str, Any]) -> str | None:
    auths = envelope.get("authorizations")
    if isinstance(auths, list):
        for auth in auths:
            if isinstance(auth, Mapping) and auth.get("is_bot") and isinstance(auth.get("user_id"), str):
                return str(auth["user_id"])
    return None


def parse_interaction(payload: Any) -> InboundMessage | None:
    """A block_actions payload with one of our option buttons -> InboundMessage (option_id = the value)."""
    payload = _obj(payload, "payload")
    if payload.get("type") != "block_actions":
        return None
    actions = payload.get("actions")
    action = next((a for a in actions if isinstance(a, Mapping)
                   and str(a.get("action_id", "")).startswith(OPTION_ACTION_PREFIX)), None) \
        if isinstance(actions, list) else None
    if action is None:
        return None
    value = _str(action.get("value"), "actions[].value")
    user = _obj(payload.get("user"), "user")
    user_id = _str(user.get("id"), "user.id")
    container = payload.get("container") if isinstance(payload.get("container"), Mapping) else {}
    message = payload.get("message") if isinstance(payload.get("message"), Mapping) else {}
    channel_obj = payload.get("channel") if isinstance(payload.get("channel"), Mapping) else {}
    channel = _str(channel_obj.get("id") or container.get("channel_id"), "channel.id")
    message_ts = message.get("ts") or container.get("message_ts")
    thread_ts = message.get("thread_ts") or container.get("thread_ts")
    thread_ts = thread_ts if isinstance(thread_ts, str) and thread_ts else None
    action_ts = action.get("action_ts")
    unique = payload.get("trigger_id") or f"{message_ts}:{action_ts}:{user_id}"
    label = action.get("text", {}).get("text") if isinstance(action.get("text"), Mapping) else None
    team = payload.get("team", {}).get("id") if isinstance(payload.get("team"), Mapping) else None
    extras: dict[str, Any] = {"slack_channel": channel, "slack_ts": message_ts, "slack_thread_ts": thread_ts,
                              "slack_event_type": "block_actions", "slack_team": team,
                              "slack_action_block": action.get("block_id")}
    name = user.get("name") or user.get("username")
    name = name if isinstance(name, str) else None
    return InboundMessage(
        channel=CHANNEL, conversation_key=conversation_key(channel, thread_ts),
        sender=Identity(channel=CHANNEL, native_id=user_id, display_name=name),
        text=label if isinstance(label, str) else value, option_id=value,
        provider_message_id=f"action:{unique}", received_at=_ts_time(action_ts), extras=extras)


def command_text(form: Mapping[str, str]) -> str:
    return decode_text(form.get("text", ""))


def parse_command(form: Mapping[str, str], dm_channel: str) -> InboundMessage:
    """``/ticket status`` or ``/ticket <description>``, answered in the user's DM with the bot."""
    user_id = _str(form.get("user_id"), "user_id")
    trigger = form.get("trigger_id") or f"{user_id}:{form.get('command')}:{form.get('text')}"
    extras = {"slack_channel": dm_channel, "slack_thread_ts": None, "slack_event_type": "command",
              "slack_command": form.get("command"), "slack_team": form.get("team_id"),
              "slack_invoked_in": form.get("channel_id")}
    name = form.get("user_name")
    return InboundMessage(
        channel=CHANNEL, conversation_key=conversation_key(dm_channel, None),
        sender=Identity(channel=CHANNEL, native_id=user_id, display_name=name or None),
        text=command_text(form), provider_message_id=f"command:{trigger}", extras=extras)
