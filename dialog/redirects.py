"""Statements that contradict a question's premise, and answers that mean "I don't know".

"It's a request, not a fault", "there's no error, I just need the software", "this is not about printing",
"no es de impresora, es la red": the user is telling us we are on the wrong branch. Repeating the question
(or "please choose one of the options") traps them; the intake instead switches to the request questions,
back to the fault questions, or re-classifies without the category they rejected.
"""

from __future__ import annotations

from dataclasses import dataclass

from dialog.state import Draft
from dialog.text import canonical
from dialog.turn import Deps


@dataclass(frozen=True, slots=True)
class Redirect:
    kind: str  # "request" | "incident" | "category"
    category: str | None = None  # kind "category": the category the user named instead, if any


def redirect(d: Deps, draft: Draft, text: str) -> Redirect | None:
    """The branch a free-text answer asks for, or None when it is an ordinary answer."""
    if not text:
        return None
    if draft.type == "request" and d.says(text, "premise_incident"):
        return Redirect("incident")
    if draft.type != "request" and not d.says(text, "premise_incident") and d.says(text, "premise_request"):
        return Redirect("request")
    current = draft.category
    if current is None:
        return None
    named = d.taxonomy.named_in(text, exclude=[d.settings.fallback_category])
    if d.says(text, "wrong_category") or current in _negated(d, text):
        # "no es de impresora, es de la red": the other category named is the user's choice.
        others = [c for c in named if c != current and c not in draft.rejected]
        return Redirect("category", others[0] if others else None)
    return None


def _negated(d: Deps, text: str) -> list[str]:
    """Categories named within three words after a negation ("not about printing", "no es de impresora")."""
    words = canonical(text).split()
    found: list[str] = []
    for phrase in d.catalogs.words("negation"):
        size = len(phrase.split())
        for i in range(len(words) - size + 1):
            if " ".join(words[i:i + size]) == phrase:
                window = " ".join(words[i + size:i + size + 3])
                found.extend(d.taxonomy.named_in(window))
    return found


def is_unknown(d: Deps, text: str) -> bool:
    """"n/a", "no sé", "not sure", "sei lá": a valid answer that says nothing (never a reason to ask
    again)."""
    canon = canonical(text)
    if not canon:
        return False
    for phrase in d.catalogs.words("unknown"):
        if canon == phrase or (len(phrase) >= 5 and canon.startswith(phrase + " ")):
            return True
    return False


def is_none(d: Deps, text: str) -> bool:
    """"no", "none", "there is no error", "no hay ninguno": the answer to "what does the error say?" when
    there is none."""
    canon = canonical(text)
    return any(canon == p or canon.startswith(p + " ") for p in d.catalogs.words("none_answer"))


def scope_limited(d: Deps, text: str) -> bool:
    """"everyone in that room", "a todos los que usan esa sala": everyone, but of a place or group; the
    number of people is unknown, so the intake asks instead of assuming the whole company."""
    return d.says(text, "scope_limited")
