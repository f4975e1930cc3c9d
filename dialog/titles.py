"""A ticket title an agent can scan: "Network and VPN: authentication failed (GlobalProtect, Windows 11)".

Built here, deterministically and offline, from what the intake already knows: the category's name, the
clause of the description that states the problem (greetings and preambles dropped), and the short answers
to the playbook's questions. The full text stays in the description; the title is only for the queue.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from dialog.text import fold

LIMIT = 90

# Preambles that carry no information for the queue, in the three languages (folded, at a clause start).
_PREAMBLE = re.compile(
    r"^(?:(?:hi|hello|hey|good (?:morning|afternoon|evening)|hola|buenas|buenos dias|buenas tardes|ola|oi|"
    r"bom dia|boa tarde|boa noite|team|equipo|pessoal|please|por favor|ahora|now|agora|y|and|e|but|pero|mas|"
    r"so|entonces|entao|also|ademas|tambem|i think|creo que|acho que|tengo un problema con|tengo un problema|"
    r"i have a problem with|i have an issue with|"
    r"estou com um problema (?:com|no|na)|tenho um problema (?:com|no|na))"
    r"\b[\s,:;!.-]*)+")
# A clause that states the problem: a negation, an error, a failure, a need.
_PROBLEM = re.compile(
    r"\b(no|not|cant|cannot|can't|won't|wont|doesn't|doesnt|didn't|nao|error|erro|fail\w*|falla\w*|falha\w*|"
    r"down|caid[oa]|fora do ar|broken|rot[oa]|quebrad[oa]|locked|bloquead[oa]|slow|lent[oa]|crash\w*|"
    r"need|necesito|preciso|expired|caduc\w*|expir\w*|stopped|dejo|parou|lost|perd\w*|stolen|robad\w*)\b")
_CLAUSES = re.compile(r"[.;!?\n]+|,\s*|\s+(?:and now|but|y ahora|pero|e agora|mas)\s+", re.IGNORECASE)
_GREETING_ONLY = re.compile(r"^(?:hi|hello|hey|hola|buenas|ola|oi|bom dia|buenos dias|good morning)\W*$")


def _clean(clause: str) -> str:
    folded = fold(clause)
    m = _PREAMBLE.match(folded)
    cut = len(m.group(0)) if m else 0
    # fold() keeps the length of plain text, so the offset applies to the original clause.
    rest = clause[cut:] if len(folded) == len(clause) else clause
    rest = rest.strip(" ,;:-")
    return rest[:1].upper() + rest[1:] if rest else ""


def problem_clause(description: str) -> str:
    clauses = [c.strip() for c in _CLAUSES.split(description) if c and c.strip()]
    clauses = [c for c in clauses if not _GREETING_ONLY.match(fold(c))]
    cleaned = [_clean(c) for c in clauses]
    cleaned = [c for c in cleaned if len(c) >= 3]
    for i, clause in enumerate(cleaned):
        if _PROBLEM.search(fold(clause)):
            return clause
        if len(clause) < 20 and i + 1 < len(cleaned):  # "My laptop, the screen is black"
            return f"{clause}, {cleaned[i + 1][:1].lower()}{cleaned[i + 1][1:]}"
    return cleaned[0] if cleaned else description.strip()


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:") + "…"


def summarize(description: str, subject: str, details: Iterable[str] = (), limit: int = LIMIT) -> str:
    """``subject: problem (detail, detail)`` within about ``limit`` characters. The problem keeps up to
    50 characters; details (most useful first) fill what is left, and those the problem already says are
    left out."""
    head = f"{subject}: " if subject else ""
    problem = problem_clause(description)
    shown = _cut(problem, max(20, min(len(problem), limit - len(head), 50 if details else limit)))
    folded_problem = fold(problem)
    extra: list[str] = []
    for detail in details:
        d = " ".join(detail.split())
        if not d or len(d) > 30 or fold(d) in folded_problem or any(fold(d) == fold(x) for x in extra):
            continue
        if len(head) + len(shown) + len(", ".join([*extra, d])) + 3 > limit:
            break
        extra.append(d)
    if not extra:
        shown = _cut(problem, max(20, limit - len(head)))
    tail = f" ({', '.join(extra)})" if extra else ""
    return f"{head}{shown}{tail}"
