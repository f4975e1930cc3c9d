"""Keyword stand-ins for the Classifier and KnowledgeBase ports, and an in-memory ConversationStore.

They exist so the whole intake runs before the trained classifier (classifier/) and the hybrid index
(kb_search/) are wired in, and as a fallback when those artifacts are missing. They are deliberately simple
and named as such; the engine only knows the ports and never imports this module.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from dialog.ports import ArticleSuggestion, Classification, Prediction
from dialog.text import fold

#: The IT taxonomy's category ids (dialog/taxonomy/it.yaml) with keywords in en/es/pt, folded (lowercase,
#: no accents). Categories of an edited taxonomy that are missing here simply get no keyword hits.
CATEGORY_KEYWORDS: Mapping[str, tuple[str, ...]] = {
    "access": (
        "password", "locked out", "account locked", "mfa", "2fa", "two factor", "authenticator", "permission",
        "permissions", "access denied", "login", "log in", "sign in", "contrasena", "clave", "bloqueada",
        "bloqueado", "doble factor", "permisos", "acceso denegado", "iniciar sesion", "usuario", "senha",
        "permissao", "acesso negado", "autenticador", "usuario bloqueado",
    ),
    "email": (
        "email", "e-mail", "outlook", "mailbox", "inbox", "calendar", "distribution list", "correo",
        "buzon", "calendario", "bandeja", "caixa de entrada", "caixa compartilhada", "agenda",
    ),
    "network": (
        "vpn", "wifi", "wi-fi", "network", "internet", "connection", "ethernet", "globalprotect",
        "forticlient", "red", "conexion", "rede", "conexao", "sin internet", "sem internet",
    ),
    "hardware": (
        "laptop", "computer", "pc", "monitor", "screen", "keyboard", "mouse", "headset", "dock", "battery",
        "charger", "webcam", "portatil", "ordenador", "computadora", "pantalla", "teclado", "raton",
        "auriculares", "bateria", "cargador", "notebook", "computador", "tela", "carregador", "no enciende",
        "nao liga",
    ),
    "printing": (
        "printer", "print", "printing", "toner", "scanner", "paper jam", "impresora", "imprimir", "imprime",
        "escaner", "atasco", "impressora", "impressao", "digitalizar",
    ),
    "software": (
        "install", "installed", "licence", "license", "application", "app", "program", "excel", "teams",
        "office", "sap", "update", "instalar", "instalen", "licencia", "aplicacion", "programa",
        "actualizacion", "licenca", "aplicativo", "atualizacao", "instalem",
    ),
    "security": (
        "phishing", "virus", "malware", "suspicious", "hacked", "stolen", "lost my", "ransomware",
        "sospechoso", "robaron", "perdi", "hackearon", "suspeito", "roubaram", "invadiram", "golpe",
    ),
    "outage": (
        "down for everyone", "outage", "nobody can", "everyone", "whole office", "all users", "caido",
        "caida", "nadie puede", "todos", "fora do ar", "ninguem consegue", "todo mundo",
    ),
    "data": (
        "shared drive", "shared folder", "onedrive", "backup", "restore", "deleted", "file", "files",
        "quota", "storage", "carpeta compartida", "copia de seguridad", "restaurar", "borre", "archivo",
        "archivos", "pasta compartilhada", "arquivo", "arquivos", "apaguei",
    ),
    "other": (
        "question", "information", "training", "hours", "pregunta", "informacion", "duda", "formacion",
        "horario", "duvida", "informacao", "treinamento",
    ),
}
_SPECIFIC_FIRST = frozenset({"security", "outage", "printing"})
_REQUEST = (
    "need",
    "request",
    "would like",
    "new account",
    "install",
    "necesito",
    "quiero",
    "solicito",
    "quisiera",
    "preciso",
    "gostaria",
    "solicitar",
    "instalar",
)
_URGENT = (
    "urgent",
    "asap",
    "everyone",
    "whole company",
    "urgente",
    "todos",
    "nadie",
    "todo mundo",
    "ninguem",
    "cannot work",
    "no puedo trabajar",
    "nao consigo trabalhar",
)
_MINOR = ("when you can", "no rush", "not urgent", "cuando puedan", "sin prisa", "quando puder", "sem pressa")


def _hits(folded: str, keywords: Iterable[str]) -> int:
    return sum(1 for kw in keywords if re.search(rf"(?<!\w){re.escape(kw)}(?!\w)", folded))


class KeywordClassifier:
    """Stand-in Classifier: counts category keywords (en/es/pt). Confidence is the smoothed share of the
    best category's hits, so one clear keyword is "confident" (0.55) and no keyword at all is not (0.1)."""

    def __init__(self, keywords: Mapping[str, Sequence[str]] | None = None, smoothing: float = 0.1) -> None:
        source = keywords or CATEGORY_KEYWORDS
        self._keywords = {c: tuple(fold(k) for k in kws) for c, kws in source.items()}
        self._smoothing = smoothing

    @property
    def version(self) -> str:
        return "keyword-standin-1"

    @property
    def categories(self) -> Sequence[str]:
        return tuple(self._keywords)

    async def classify(self, text: str, language: str | None = None) -> Classification:
        folded = fold(text)
        hits = {c: _hits(folded, kws) for c, kws in self._keywords.items()}
        total = sum(hits.values()) + self._smoothing * len(hits)
        probs = {c: (h + self._smoothing) / total for c, h in hits.items()}
        # Ties: the more specific category first (a phishing e-mail is security, a printer scan to e-mail
        # is printing), then the declared order.
        ranked = sorted(probs.items(), key=lambda cp: (-cp[1], cp[0] not in _SPECIFIC_FIRST))
        top = tuple((c, round(p, 4)) for c, p in ranked)
        category = Prediction(ranked[0][0], round(ranked[0][1], 4), top)
        is_request = _hits(folded, _REQUEST) > 0
        first, second = ("request", "incident") if is_request else ("incident", "request")
        kind = Prediction(first, 0.6, ((first, 0.6), (second, 0.4)))
        level = "high" if _hits(folded, _URGENT) else "low" if _hits(folded, _MINOR) else "medium"
        priority = Prediction(level, 0.5, ((level, 0.5),))
        return Classification(category, kind, priority, self.version)


@dataclass(frozen=True, slots=True)
class KeywordArticle:
    article_id: str
    title: str
    language: str
    summary: str
    keywords: tuple[str, ...]
    category: str | None = None
    body: str = ""
    url: str | None = None


def _demo(
    aid: str, category: str, keywords: Sequence[str], texts: Mapping[str, tuple[str, str]]
) -> list[KeywordArticle]:
    return [
        KeywordArticle(f"{aid}-{lang}", title, lang, summary, tuple(keywords), category)
        for lang, (title, summary) in texts.items()
    ]


#: A few demo articles (one topic, three languages) so the deflection step can be tried out of the box.
DEMO_ARTICLES: tuple[KeywordArticle, ...] = (
    *_demo(
        "kb-password-reset",
        "access",
        (
            "password",
            "forgot",
            "reset",
            "contrasena",
            "olvide",
            "restablecer",
            "senha",
            "esqueci",
            "redefinir",
        ),
        {
            "en": (
                "Reset your password",
                "Open the self-service portal, choose 'Forgot password' and follow the e-mail link.",
            ),
            "es": (
                "Restablecer tu contraseña",
                "Abre el portal de autoservicio, elige 'Olvidé mi contraseña' y sigue el enlace.",
            ),
            "pt": (
                "Redefinir a sua senha",
                "Abra o portal de autoatendimento, escolha 'Esqueci minha senha' e siga o link.",
            ),
        },
    ),
    *_demo(
        "kb-vpn",
        "network",
        ("vpn", "remote", "remoto", "conectar", "connect"),
        {
            "en": (
                "Connecting to the VPN",
                "Restart the VPN client, check your internet connection and sign in again.",
            ),
            "es": (
                "Conectarse a la VPN",
                "Reinicia el cliente VPN, comprueba tu conexión a internet y vuelve a iniciar sesión.",
            ),
            "pt": (
                "Conectar à VPN",
                "Reinicie o cliente VPN, verifique sua conexão com a internet e entre novamente.",
            ),
        },
    ),
    *_demo(
        "kb-printer",
        "printing",
        ("printer", "print", "impresora", "imprimir", "impressora"),
        {
            "en": (
                "Printer shows offline",
                "Turn the printer off and on, check the cable or Wi-Fi, then remove and re-add it.",
            ),
            "es": (
                "La impresora aparece sin conexión",
                "Apaga y enciende la impresora, revisa el cable o el wifi y vuelve a agregarla.",
            ),
            "pt": (
                "Impressora aparece offline",
                "Desligue e ligue a impressora, verifique o cabo ou o Wi-Fi e adicione-a novamente.",
            ),
        },
    ),
)


Feedback = Literal["shown", "accepted", "rejected", "reopened"]


class KeywordKnowledgeBase:
    """Stand-in KnowledgeBase: articles sharing at least ``min_hits`` keywords with the query, the user's
    language first. Feedback is kept in memory (``events``) for tests and the terminal chat."""

    def __init__(self, articles: Iterable[KeywordArticle] = DEMO_ARTICLES, min_hits: int = 1) -> None:
        self.articles = [
            KeywordArticle(
                a.article_id,
                a.title,
                a.language,
                a.summary,
                tuple(fold(k) for k in a.keywords),
                a.category,
                a.body,
                a.url,
            )
            for a in articles
        ]
        self.min_hits = min_hits
        self.events: list[tuple[str, str, str]] = []

    async def suggest(
        self, query: str, language: str, category: str | None = None, k: int = 3
    ) -> list[ArticleSuggestion]:
        folded = fold(query)
        scored = [(hits, a) for a in self.articles if (hits := _hits(folded, a.keywords)) >= self.min_hits]
        in_language = [(h, a) for h, a in scored if a.language == language]
        chosen = in_language or scored
        chosen.sort(key=lambda ha: (-ha[0], ha[1].category != category, ha[1].article_id))
        return [
            ArticleSuggestion(a.article_id, a.title, a.language, a.summary, float(h), a.body, a.url)
            for h, a in chosen[:k]
        ]

    async def record_feedback(self, article_id: str, event: Feedback, requester: str) -> None:
        self.events.append((article_id, event, requester))
