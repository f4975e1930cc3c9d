"""Keep only what the user just wrote: quoted history and signatures are cut (the raw mail is kept).

mail-parser-reply does the work for en/es (and many more) but has no Portuguese; its header patterns also
miss Gmail's habit of wrapping "On <date>, <name> <addr>\\nwrote:" over two lines. The cut below runs first
for those (pt/es/en attribution lines, "Original Message" separators, Outlook header blocks), then the
library strips signatures and whatever else it recognises. If stripping would leave nothing (a user who
answered inline, or sent only a forward), the text minus ">" lines is kept instead: losing the user's words
is worse than keeping some quote.
"""

from __future__ import annotations

import re

from mailparser_reply import EmailMessage as _ReplyMessage

_LANGS = ["en", "es", "de", "fr", "it", "nl"]

_ATTRIBUTION = re.compile(
    r"^\s*(?:"
    r"On\s.+\swrote:"  # en
    r"|El\s.+\s(?:escribió|escribio):"  # es
    r"|Em\s.+\s(?:escreveu|escrito):"  # pt
    r"|(?=.*[@\d]).{0,160}\s(?:wrote|escribió|escreveu):"  # "John Doe <j@x> wrote:" and variants
    r")\s*$",
    re.IGNORECASE,
)
_SEPARATOR = re.compile(
    r"^\s*-{2,}\s*(?:Original Message|Mensaje original|Mensagem original|Forwarded message|"
    r"Mensaje reenviado|Mensagem encaminhada)\s*-{2,}\s*$",
    re.IGNORECASE,
)
# Outlook's header block: two or more of these lines in a row ("From: ..." "Sent: ..." / "De: ..." ...).
_HEADER_LINE = re.compile(
    r"^\s*\*?(?:From|Sent|To|Subject|Date|Cc|De|Enviado|Enviada em|Enviado el|Para|Asunto|Assunto|Fecha|Data)"
    r"\*?\s*:\s*\S",
    re.IGNORECASE,
)
_OUTLOOK_RULE = re.compile(r"^\s*_{20,}\s*$")
_PT_SIGNATURE = re.compile(
    r"^\s*(?:Atenciosamente|Att\.?|Abraços|Abs\.?|Obrigad[oa]\s*[,!.]?|Cumprimentos|Enviado do meu .*)"
    r"\s*,?\s*$",
    re.IGNORECASE,
)
_SIG_DASHES = re.compile(r"^--\s*$")


def _cut_index(lines: list[str]) -> int | None:
    """Index of the first line that starts the quoted history, or None."""
    for i, line in enumerate(lines):
        if _SEPARATOR.match(line) or _OUTLOOK_RULE.match(line):
            return i
        joined = line if i + 1 >= len(lines) else f"{line} {lines[i + 1]}"
        if _ATTRIBUTION.match(line) or (
            line.strip() and not line.lstrip().startswith(">") and _ATTRIBUTION.match(joined)
            and lines[i + 1].strip().lower().rstrip(":") in ("wrote", "escribió", "escreveu")
        ):
            return i
        if _HEADER_LINE.match(line) and i + 1 < len(lines) and _HEADER_LINE.match(lines[i + 1]):
            return i
    return None


def _drop_quoted(lines: list[str]) -> list[str]:
    return [ln for ln in lines if not ln.lstrip().startswith(">")]


def _cut_signature(lines: list[str]) -> list[str]:
    """The RFC 3676 "-- " delimiter and Portuguese closings the library does not know."""
    for i, line in enumerate(lines):
        if i > 0 and (_SIG_DASHES.match(line) or _PT_SIGNATURE.match(line)):
            return lines[:i]
    return lines


def strip_reply(text: str) -> str:
    """The new part of a reply: no quoted history, no signature. Never returns "" for non-empty text."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        return ""
    lines = text.split("\n")
    cut = _cut_index(lines)
    if cut is not None:
        lines = lines[:cut]
    # ">" lines are history wherever they are (a bottom quote without attribution, or inline answers
    # interleaved with the question they answer: the user's lines are kept, in order).
    lines = _drop_quoted(lines)
    lines = _cut_signature(lines)
    head = "\n".join(lines).strip()
    if head:
        parsed = _ReplyMessage(text=head, languages=list(_LANGS), keep_hyphen_lists=True).read()
        body = parsed.replies[0].body if parsed.replies else head
        head = body.strip() or head
    if head:
        return _tidy(head)
    fallback = "\n".join(_drop_quoted(text.split("\n"))).strip()
    return _tidy(fallback or text)


def _tidy(text: str) -> str:
    """Collapse runs of blank lines left behind by the cuts."""
    return re.sub(r"\n{3,}", "\n\n", text).strip()
