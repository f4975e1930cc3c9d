"""Known outages (dialog.ports.KnownOutages) on the ticket store: which active outage a user's report is
one more symptom of, and filing the report as its child.

A report matches an outage when both hold:

- it is about the same thing: the text names the outage's service (or an alias from the alert's labels),
  folded, as a whole word; or the classifier's best category for the text is the outage's category;
- it says the same thing: the cosine similarity of character n-grams (3-4, term frequencies) between the
  report and the outage's title, or the start of its description, reaches ``threshold``.

Alerts are English, users write Spanish, Portuguese or English, so both texts are first folded and passed
through a small glossary (outages.yaml: "no carga", "fora do ar", "is down" -> "down"; stop words out).
Character n-grams then absorb the rest of the spelling differences ("aplicación"/"application"). This
needs no model, gives the same answer with the keyword stand-ins as in production, and explains itself
(``score`` returns the parts).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from atende.adapters.tickets import TicketServiceAdapter
from dialog.ports import KnownOutage, TicketDraft, TicketSummary
from dialog.text import fold
from ticket_core import TicketError, TicketStore
from ticket_core.domain import Ticket

log = logging.getLogger(__name__)

_DATA = yaml.safe_load(Path(__file__).with_name("outages.yaml").read_text(encoding="utf-8"))
_URL = re.compile(r"\bhttps?://\S+")
_NON_WORD = re.compile(r"[^0-9a-z]+")
_LABEL = re.compile(r"^[ \t]+([A-Za-z_][A-Za-z0-9_]*)=(.+)$", re.M)
#: Answers keys an alert ticket may carry other names of its service in (labels the receiver kept).
ALIAS_KEYS = ("service", "app", "application", "job", "alias", "aliases", "component", "system")
#: Characters of an outage's description compared with the report (the summary and labels come first;
#: links and runbooks after them only dilute the comparison).
DESCRIPTION_CHARS = 400


@dataclass(frozen=True, slots=True)
class Candidate:
    """What matching needs of an active outage ticket."""

    reference: str
    title: str
    description: str
    category: str
    service: str | None
    aliases: tuple[str, ...]
    since: datetime
    major: bool
    parent: str | None = None

    @classmethod
    def of(cls, t: Ticket) -> Candidate:
        names = [t.service] if t.service else []
        for key in ALIAS_KEYS:
            value = (t.answers or {}).get(key)
            if isinstance(value, str):
                names.extend(v.strip() for v in value.split(","))
        # The alert receivers list the labels in the description, one "  key=value" a line.
        names.extend(v.strip() for k, v in _LABEL.findall(t.description) if k in ALIAS_KEYS)
        aliases = tuple(dict.fromkeys(n for n in names if n and len(n) >= 2))
        return cls(t.reference, t.title, t.description, t.category, t.service, aliases, t.created_at,
                   t.major_incident, t.parent_reference)


@dataclass(frozen=True, slots=True)
class Score:
    similarity: float
    service: bool
    category: bool

    def passes(self, threshold: float) -> bool:
        return (self.service or self.category) and self.similarity >= threshold


class TextMatcher:
    """Folding, the glossary and the n-gram cosine, in es/pt/en."""

    def __init__(self, synonyms: Mapping[str, Sequence[str]] | None = None,
                 stopwords: Iterable[str] | None = None) -> None:
        table: dict[str, str] = {}
        for word, phrases in (synonyms or _DATA["synonyms"]).items():
            for phrase in phrases:
                key = " ".join(_NON_WORD.sub(" ", fold(str(phrase))).split())
                if key:
                    table.setdefault(key, str(word))
        self._table = table
        ordered = sorted(table, key=len, reverse=True)
        self._phrases = re.compile(r"(?<![0-9a-z])(" + "|".join(map(re.escape, ordered)) + r")(?![0-9a-z])")
        self._stop = frozenset(fold(str(w)) for w in (stopwords or _DATA["stopwords"]))

    def normalize(self, text: str) -> str:
        bare = fold(_URL.sub(" ", text)).replace("'", "").replace("’", "")  # "won't" -> "wont"
        plain = " ".join(_NON_WORD.sub(" ", bare).split())
        unified = self._phrases.sub(lambda m: self._table[m.group(1)], plain)
        return " ".join(w for w in unified.split() if w not in self._stop)

    def mentions(self, text: str, names: Iterable[str]) -> bool:
        """The text names one of ``names`` as whole words ("el ERP no carga" names "erp", not "erpnext")."""
        plain = f" {' '.join(_NON_WORD.sub(' ', fold(text)).split())} "
        for name in names:
            folded = " ".join(_NON_WORD.sub(" ", fold(name)).split())
            if folded and f" {folded} " in plain:
                return True
        return False

    def similarity(self, text: str, others: Sequence[str]) -> list[float]:
        """Cosine similarity of ``text`` with each of ``others``, on normalised character 3-4-grams."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        docs = [self.normalize(text), *(self.normalize(o) for o in others)]
        if not docs[0] or not any(docs[1:]):
            return [0.0 for _ in others]
        vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 4), use_idf=False,
                                     sublinear_tf=True, lowercase=False)
        try:
            matrix = vectorizer.fit_transform(docs)
        except ValueError:  # nothing left to compare (empty vocabulary)
            return [0.0 for _ in others]
        sims = (matrix[1:] @ matrix[0].T).toarray().ravel()
        return [float(s) for s in sims]

    def score(self, text: str, category: str | None, outage: Candidate,
              children: Sequence[Candidate] = ()) -> Score:
        return self.scores(text, category, [outage], {outage.reference: list(children)})[0]

    def scores(self, text: str, category: str | None, outages: Sequence[Candidate],
               children: Mapping[str, Sequence[Candidate]] | None = None) -> list[Score]:
        """Each outage's score: the best similarity with its own title and description or those of its
        active children (a major incident's title is "Major incident: ERP"; what is wrong is in its
        alerts). Computed in one pass, and only for outages about the same thing; the others score 0."""
        kids = children or {}
        gates = []
        for o in outages:
            names = [*o.aliases, *(a for c in kids.get(o.reference, ()) for a in c.aliases)]
            gates.append((self.mentions(text, names), category is not None and category == o.category))
        docs: list[str] = []
        spans: dict[str, tuple[int, int]] = {}
        for o, (service, same) in zip(outages, gates, strict=True):
            if not (service or same):
                continue
            start = len(docs)
            for c in (o, *kids.get(o.reference, ())):
                docs += [" ".join([*c.aliases, c.title]), _LABEL.sub(" ", c.description)[:DESCRIPTION_CHARS]]
            spans[o.reference] = (start, len(docs))
        sims = self.similarity(text, docs) if docs else []
        return [Score(max(sims[slice(*spans[o.reference])]) if o.reference in spans else 0.0, service, same)
                for o, (service, same) in zip(outages, gates, strict=True)]


def best_match(matcher: TextMatcher, text: str, category: str | None, outages: Sequence[Candidate],
               threshold: float) -> tuple[Candidate, Score] | None:
    """The outage the report most likely describes. A child of another active outage stands back for its
    parent (the user joins the major incident, not one of its alerts), lending it its text; ties go to a
    major incident, then to the newest."""
    active = {o.reference for o in outages}
    children: dict[str, list[Candidate]] = {}
    for o in outages:
        if o.parent is not None and o.parent in active:
            children.setdefault(o.parent, []).append(o)
    eligible = [o for o in outages if o.parent is None or o.parent not in active]
    best: tuple[tuple[float, bool, datetime], Candidate, Score] | None = None
    for outage, found in zip(eligible, matcher.scores(text, category, eligible, children), strict=True):
        if not found.passes(threshold):
            continue
        rank = (found.similarity + (0.1 if found.service else 0.0), outage.major, outage.since)
        if best is None or rank > best[0]:
            best = (rank, outage, found)
    return (best[1], best[2]) if best is not None else None


class StoreOutages:
    """KnownOutages on the TicketStore. ``banner`` is what the web chat shows while a major incident is
    active (no titles or descriptions: the page is public, an alert's text may name internal hosts)."""

    def __init__(self, store: TicketStore, tickets: TicketServiceAdapter, threshold: float = 0.25,
                 matcher: TextMatcher | None = None, banner_seconds: float = 10.0) -> None:
        self.store = store
        self.tickets = tickets
        self.threshold = threshold
        self.matcher = matcher or TextMatcher()
        self.banner_seconds = banner_seconds
        self._banner: tuple[float, list[dict[str, Any]]] | None = None

    async def candidates(self) -> list[Candidate]:
        return [Candidate.of(t) for t in await asyncio.to_thread(self.store.active_outages)]

    async def match(self, text: str, language: str, category: str | None) -> KnownOutage | None:
        outages = await self.candidates()
        if not outages:
            return None
        found = await asyncio.to_thread(best_match, self.matcher, text, category, outages, self.threshold)
        if found is None:
            return None
        outage, score = found
        log.info("report matches known outage %s (similarity %.2f, service %s, category %s)",
                 outage.reference, score.similarity, score.service, score.category)
        return KnownOutage(outage.reference, outage.title, _since(outage, outages), outage.service,
                           outage.major)

    async def join(self, reference: str, draft: TicketDraft) -> TicketSummary:
        """File the report and link it under the outage. The filing carries the message's idempotency key
        (a redelivery finds it), and the link is idempotent, so processing the message twice joins once."""
        parent = await asyncio.to_thread(self.store.get, reference)
        if parent is None or not parent.is_open:
            raise LookupError(f"{reference} is not an active outage")
        child = await self.tickets.create_ticket(replace(draft, category=parent.category,
                                                         service=parent.service))
        try:
            await asyncio.to_thread(self.store.link_parent, child.reference, parent.reference, "bot")
        except TicketError:
            # The outage was resolved between the check and the link: the report stays a ticket of its own
            # (the agents see it), which is what the user was promised anyway: an answer when it is fixed.
            log.warning("could not link %s under %s", child.reference, parent.reference, exc_info=True)
        return child

    async def banner(self) -> list[dict[str, Any]]:
        """Active major incidents for the web chat's banner, cached briefly (every open page polls)."""
        now = time.monotonic()
        if self._banner is not None and now - self._banner[0] < self.banner_seconds:
            return self._banner[1]
        outages = await self.candidates()
        rows = [{"reference": o.reference, "service": o.service, "since": _since(o, outages).isoformat()}
                for o in outages if o.major]
        self._banner = (now, rows)
        return rows


def _since(outage: Candidate, outages: Sequence[Candidate]) -> datetime:
    """When the problem started: a major incident is filed when its second alert fires, its first alert
    (an active child) may be older."""
    return min([outage.since, *(o.since for o in outages if o.parent == outage.reference)])
