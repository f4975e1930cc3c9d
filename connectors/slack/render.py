"""Replies -> chat.postMessage arguments (text + Block Kit). Pure: no SDK, no I/O.

Options become buttons in an actions block: the button's value is the option id (what comes back in the
block_actions payload), its action_id "atende_option_<n>" marks it as ours. ``text`` is always set too: it
is what notifications and screen readers show. Whatever the engine or an agent wrote is escaped (&, <, >),
so a reply can never ping @channel or forge a link.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from connectors.base import render_plain
from connectors.markdown import to_mrkdwn
from connectors.slack.parse import OPTION_ACTION_PREFIX
from dialog.messages import Option, Reply

MAX_SECTION = 3000  # characters of a section block's text
MAX_BUTTONS = 25  # elements per actions block
MAX_LABEL = 75  # characters of a button's text
MAX_VALUE = 2000  # characters of a button's value


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _sections(text: str) -> list[dict[str, Any]]:
    blocks = []
    rest = text
    while rest:
        piece = rest[:MAX_SECTION]
        if len(rest) > MAX_SECTION:
            cut = piece.rfind("\n")
            piece = piece[:cut] if cut > MAX_SECTION // 2 else piece
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": piece}})
        rest = rest[len(piece):].lstrip("\n")
    return blocks


def buttons(options: Sequence[Option], start_block: int = 0) -> list[dict[str, Any]]:
    blocks = []
    for b, first in enumerate(range(0, len(options), MAX_BUTTONS)):
        chunk = options[first:first + MAX_BUTTONS]
        blocks.append({"type": "actions", "block_id": f"atende_options_{start_block + b}", "elements": [
            {"type": "button", "action_id": f"{OPTION_ACTION_PREFIX}{first + i}",
             "text": {"type": "plain_text", "text": o.label[:MAX_LABEL] or o.id[:MAX_LABEL], "emoji": True},
             "value": o.id}
            for i, o in enumerate(chunk)]})
    return blocks


def render(replies: Sequence[Reply]) -> list[dict[str, Any]]:
    """One dict of chat.postMessage arguments (without channel/thread_ts) per reply, in order."""
    out: list[dict[str, Any]] = []
    for reply in replies:
        native = bool(reply.options) and all(0 < len(o.id) <= MAX_VALUE for o in reply.options)
        text = escape(reply.text if native or not reply.options else render_plain(reply))
        if reply.kind == "article" and not reply.options:
            text = to_mrkdwn(text)
        blocks = _sections(text) if text else []
        if native:
            blocks += buttons(reply.options)
        out.append({"text": text or " ", "blocks": blocks})
    return out


def answered(blocks: Sequence[Any], label: str) -> list[dict[str, Any]]:
    """The blocks of a question once answered: buttons replaced by the choice, so nobody presses twice."""
    kept = [b for b in blocks if isinstance(b, dict) and b.get("type") != "actions"]
    kept.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"→ *{escape(label)}*"}]})
    return kept
