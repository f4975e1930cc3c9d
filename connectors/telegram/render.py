"""Replies -> sendMessage parameters (plain dicts, the Bot API's JSON). Pure: no aiogram, no I/O.

Options become an inline keyboard whose callback data is the option id, so a press comes back as that id
(see parse._callback). Telegram caps callback data at 64 bytes; a reply whose ids do not fit falls back to
the shared numbered list (connectors.base.render_plain), which the user answers by number or words.
Messages are sent as plain text (no parse_mode), so nothing the engine or an agent writes needs escaping;
a knowledge-base article alone is sent in the HTML parse mode, built from escaped text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from connectors.base import render_plain
from connectors.markdown import to_telegram_html
from dialog.messages import Reply

MAX_TEXT = 4096  # Telegram's limit per message (UTF-16 units; we stay below it in characters)
MAX_CALLBACK_DATA = 64


def keyboard_fits(reply: Reply) -> bool:
    return all(0 < len(o.id.encode("utf-8")) <= MAX_CALLBACK_DATA for o in reply.options)


def split_text(text: str, limit: int = MAX_TEXT - 96) -> list[str]:
    """Cut long text at line breaks (or spaces) so each piece fits one message."""
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit)
        if cut < limit // 2:
            cut = rest.rfind(" ", 0, limit)
        if cut < limit // 2:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    pieces.append(rest)
    return pieces


def render(replies: Sequence[Reply], reply_to_message_id: int | None = None) -> list[dict[str, Any]]:
    """One dict of sendMessage parameters (without chat_id) per message to send, in order.

    ``reply_to_message_id`` quotes the user's message (used in groups, where several people talk).
    """
    out: list[dict[str, Any]] = []
    for reply in replies:
        if reply.kind == "article" and not reply.options:
            formatted = to_telegram_html(reply.text)
            if len(formatted) <= MAX_TEXT - 96:  # one formatted message; longer ones go as plain pieces
                params: dict[str, Any] = {"text": formatted, "parse_mode": "HTML"}
                if reply_to_message_id is not None and not out:
                    params["reply_parameters"] = {"message_id": reply_to_message_id,
                                                  "allow_sending_without_reply": True}
                out.append(params)
                continue
        markup: dict[str, Any] | None = None
        if reply.options and keyboard_fits(reply):
            text = reply.text or "…"  # Telegram refuses an empty message
            markup = {"inline_keyboard": [[{"text": o.label[:120], "callback_data": o.id}]
                                          for o in reply.options]}
        else:
            text = render_plain(reply) or "…"
        pieces = split_text(text)
        for i, piece in enumerate(pieces):
            params = {"text": piece}
            if markup is not None and i == len(pieces) - 1:
                params["reply_markup"] = markup  # buttons under the last piece
            if reply_to_message_id is not None and not out:
                params["reply_parameters"] = {"message_id": reply_to_message_id,
                                              "allow_sending_without_reply": True}
            out.append(params)
    return out
