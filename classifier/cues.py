"""Type (incident / request) and priority-prior heads of the cold-start model, from phrasing cues.

The taxonomy's examples carry no type label, and the type is mostly a matter of phrasing: "X is broken /
I can't / error" is an incident, "I need / please install / can you give me" is a request. So the type
head weighs fault cues against request cues and falls back to the category's ``default_type`` when the
text has neither (or both, equally). Problem and change records are for agents: this head never predicts
them. The priority head is only a prior (the dialog sets priority from the user's impact and urgency
answers): urgency words and "everyone / whole team" raise it, "no rush" lowers it.

Cues are matched on lowercase accent-free text; patterns are regular expressions on word boundaries.
"""

from __future__ import annotations

import math
import re
import unicodedata

# A fault: something that worked does not, or shows an error.
_FAULT = [
    (
        r"no (?:me )?(?:funciona|funcionan|anda|carga|abre|arranca|enciende|conecta|"
        r"imprime|sale|deja|puedo|llega|llegan|entra|entran|aparece|responde)"
    ),
    (
        r"nao (?:funciona|funcionam|carrega|abre|liga|conecta|imprime|sai|deixa|consigo|"
        r"chega|chegam|aparece|responde|segura)"
    ),
    (
        r"(?:doesn'?t|don'?t|won'?t|can'?t|cannot|isn'?t|aren'?t|didn'?t|not) (?:work|"
        r"working|load|open|start|boot|connect|print|let|get|arrive|show|respond|charge|"
        r"receiving|printing|syncing)"
    ),
    r"no longer",
    r"stopped",
    r"dejo de",
    r"parou",
    r"errors?",
    r"erro",
    r"fall[oa]",
    r"falha",
    r"crash\w*",
    r"freez\w*",
    r"se (?:cierra|cuelga|congela|apaga|corta|desconecta|cayo|borro)",
    r"(?:fecha|trava|desliga|cai|caiu) sozinh\w*",
    r"caid[oa]",
    r"caiu",
    r"fora do ar",
    r"\bdown\b",
    r"broken",
    r"roto",
    r"quebrad\w*",
    r"bloquead\w*",
    r"locked",
    r"sumi\w*",
    r"desaparec\w*",
    r"disappeared",
    r"gone",
    r"missing",
    r"perd\w*",
    r"lost",
    r"robad\w*|roubad\w*|stolen|robaron|roubaram",
    r"virus|malware|phishing|hack\w*|sospechos\w*|suspeit\w*|suspicious|fake|falso|fraud\w*|golpe",
    r"lent\w*|slow",
    r"bounce\w*|rebot\w*|devuelve|volta",
    r"stuck|atasc\w*|atolad\w*|enroscad\w*|preso",
    r"borrad\w*|apagad\w*|deleted|borre|apaguei",
    r"expired|caduc\w*|expirou",
    r"invalid\w*|incorrect\w*|denegado|negado|denied",
    r"dies|dead|muert\w*",
    r"parpadea|pisca\w*|flicker\w*",
    r"ruido|barulho|noise",
]
# A request: the user wants something new, changed or granted.
_REQUEST = [
    r"necesito que",
    r"preciso que",
    (
        r"(?:please|pls|could you|can you|podrian|podrias|pueden|puedes|podem|poderiam|"
        r"pode) (?:\w+ ){0,2}(?:install|add|create|give|set ?up|configure|enable|restore|"
        r"increase|instal\w*|agreg\w*|anad\w*|adicion\w*|cri\w*|crear|dar|darme|"
        r"configur\w*|habilit\w*|liber\w*|restaur\w*|aument\w*)"
    ),
    (
        r"(?:necesito|preciso|need|quiero|quero|want|would like|gostaria|"
        r"me gustaria) (?:de )?(?:un|una|uno|um|uma|a|an|mas|more|mais|otro|outra|outro|"
        r"another|new|nuevo|nueva|novo|nova|acceso|acesso|access|permis\w*|licen\w*|"
        r"instalar|install|que)"
    ),
    r"solicit\w*",
    r"request\w*",
    r"pido|peco|pedir",
    r"alta de",
    r"dar de alta|dar de baja",
    r"for (?:a )?new (?:starter|hire|employee|joiner)",
    (
        r"(?:para|pro) (?:el|la|o|a) (?:nuev[oa]|nov[oa]) (?:emplead\w*|funcionari\w*|"
        r"colaborador\w*|becari\w*|estagiari\w*)"
    ),
    r"(?:empieza|comienza|comeca|starts) (?:manana|amanha|tomorrow|el lunes|segunda|on monday|next)",
    r"(?:me hace falta|me falta|i need|we need|hace falta)",
    r"how (?:do|can) i|como (?:puedo|hago|peco|pido|faco|posso)",
    r"(?:queria|quisiera|gostaria de|would like to|wondering) (?:saber|know)",
    r"\?\s*$",
    r"duda|duvida|question|pregunta|pergunta|consulta",
    r"horario|hours",
    r"curso|course|training|formacion|treinamento",
]
_URGENT = [
    r"urgent\w*",
    r"asap",
    r"lo antes posible|o mais rapido possivel|as soon as possible",
    (
        r"nadie|ninguem|nobody|no one|everyone|everybody|todo el mundo|todo mundo|"
        r"all my colleagues|todos (?:los|os)"
    ),
    (
        r"whole (?:team|office|company|department|floor|building)|toda la oficina|"
        r"todo el departamento|todo o escritorio|setor inteiro|departamento inteiro"
    ),
    r"no puedo trabajar|nao consigo trabalhar|can'?t work|cannot work",
    r"clientes?|customers?",
]
_MINOR = [
    (
        r"no es urgente|not urgent|nao e urgente|sin prisa|sem pressa|no rush|when you can|"
        r"cuando puedan|quando puder"
    ),
]


def _compile(patterns: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(rf"(?<![\w])(?:{p})(?![\w])" for p in patterns))


_FAULT_RE = _compile(_FAULT)
_REQUEST_RE = _compile(_REQUEST)
_URGENT_RE = _compile(_URGENT)
_MINOR_RE = _compile(_MINOR)


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def type_request_probability(text: str, default_type: str) -> float:
    """P(request) from cue counts and the category's default type. Scale: one net cue moves the odds
    by e^1.2 (about 3x); the default type alone gives 0.73 for its side."""
    flat = fold(text)
    faults = len(_FAULT_RE.findall(flat))
    requests = len(_REQUEST_RE.findall(flat))
    prior = 1.0 if default_type == "request" else -1.0
    logit = 1.2 * (min(requests, 3) - min(faults, 3)) + prior
    return 1.0 / (1.0 + math.exp(-logit))


def priority_prior(text: str) -> dict[str, float]:
    """A soft prior over low / medium / high (the dialog's impact and urgency answers decide)."""
    flat = fold(text)
    if _MINOR_RE.search(flat):
        return {"low": 0.6, "medium": 0.3, "high": 0.1}
    hits = len(_URGENT_RE.findall(flat))
    if hits:
        high = min(0.5 + 0.15 * hits, 0.8)
        return {"high": high, "medium": 1.0 - high - 0.05, "low": 0.05}
    return {"medium": 0.6, "low": 0.25, "high": 0.15}
