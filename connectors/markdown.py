"""Knowledge-base answers arrive as Markdown (replies of kind "article"); each channel renders them.

HTML (the web chat) comes from markdown-it-py with raw HTML turned off, so nothing an article says can
become markup of its own and link targets pass markdown-it's URL validation. Plain text (SMS, WhatsApp,
e-mail, Telegram) and Slack mrkdwn are small rewrites of the few constructs articles use: headings, bold,
italics, code, links and lists.
"""

from __future__ import annotations

import html as _html
import re

_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s]+)\)")
_BOLD = re.compile(r"\*\*([^*\n]+)\*\*|__([^_\n]+)__")
_ITALIC = re.compile(r"(?<![\w*])[_*]([^_*\n]+)[_*](?![\w*])")
_CODE = re.compile(r"`([^`\n]+)`")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


def to_html(text: str) -> str:
    from markdown_it import MarkdownIt

    return str(MarkdownIt("commonmark", {"html": False}).render(text))


def to_plain(text: str) -> str:
    text = _HEADING.sub(lambda m: m.group(1).upper() if len(m.group(1)) < 60 else m.group(1), text)
    text = _LINK.sub(lambda m: f"{m.group(1)}: {m.group(2)}", text)
    text = _BOLD.sub(lambda m: m.group(1) or m.group(2), text)
    text = _ITALIC.sub(r"\1", text)
    return _CODE.sub(r"\1", text)


def to_mrkdwn(escaped: str) -> str:
    """Slack mrkdwn from Markdown whose &, < and > are already escaped for Slack."""
    text = _HEADING.sub(r"*\1*", escaped)
    text = _LINK.sub(lambda m: f"<{m.group(2)}|{m.group(1)}>", text)
    text = _BOLD.sub(lambda m: f"*{m.group(1) or m.group(2)}*", text)
    return re.sub(r"(?<![\w*])_([^_\n]+)_(?![\w*])", r"_\1_", text)


def to_plain_within(text: str, limit: int) -> str:
    """Plain text of one message of at most ``limit`` characters: the steps as far as they fit, then the
    article's link (the first line with an http(s) URL) so the rest can still be read."""
    plain = to_plain(text)
    if len(plain) <= limit:
        return plain
    link = next((line for line in plain.splitlines() if "http://" in line or "https://" in line), "")
    room = limit - len(link) - 3
    head = plain[:room]
    cut = head.rfind("\n")
    head = head[:cut] if cut > room // 2 else head
    return f"{head.rstrip()}\n…\n{link}".rstrip()[:limit]


def summary(text: str) -> str:
    """What a voice channel reads: the article's title and its first plain paragraph (no steps)."""
    blocks = [b.strip() for b in text.split("\n\n") if b.strip()]
    title = next((b for b in blocks if b.startswith("**") and b.endswith("**")), "")
    after = blocks[blocks.index(title) + 1:] if title else blocks
    first = next((b for b in after if not b.startswith(("#", "-", "*", "1.", "[", "_"))), "")
    return to_plain(" ".join(p for p in (title, first) if p))


def to_telegram_html(text: str) -> str:
    """Telegram's HTML parse mode (b, i, code, a): everything else is escaped text; lists stay numbered
    lines, headings become bold lines."""
    out = _html.escape(text, quote=False)
    out = _HEADING.sub(r"<b>\1</b>", out)
    out = _LINK.sub(lambda m: f'<a href="{m.group(2)}">{m.group(1)}</a>' if '"' not in m.group(2)
                    else m.group(0), out)
    out = _BOLD.sub(lambda m: f"<b>{m.group(1) or m.group(2)}</b>", out)
    out = _ITALIC.sub(r"<i>\1</i>", out)
    return _CODE.sub(r"<code>\1</code>", out)
