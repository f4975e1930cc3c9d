"""User messages from first message to ticket (issue 10, section 3): each report of the triage evaluation set
is played through the real DialogEngine by a scripted user, and the user's messages are counted until a
ticket (or a self-service record) comes back.

The scripted user answers the way a cooperative user would: the first message is the report's text; a
clarifying question is answered with the report's true category (or "something else" when it is not
offered); a choice question with the option whose label shares a word with the report, else its first
option (impact: "only me", urgency: "yes, but with difficulty");
a free-text question with a short plausible phrase in the report's language; an optional one is skipped;
knowledge-base articles are declined (so every report ends in a ticket: the worst case for turns); a
topic-shift question is answered "new problem". Only the first message is the report; everything else is a
button press or a short phrase, as on a chat channel.

The engine runs with its real catalogs, playbooks and taxonomy, real stores (SQLite in a temp folder) and
the real language detector; the classifier and the KB are the keyword stand-ins unless ``--classifier``
names a factory (``module:callable`` returning a Classifier port, e.g. the cold-start model of
benchmarks/triage.py), so the table says which classifier produced it.

Run: .venv/bin/python benchmarks/triage_turns.py [--data benchmarks/data/triage_eval.jsonl]
     [--classifier model|module:factory] [--kb-articles] [--show 3]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import itertools
import json
import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from atende.adapters.language import LinguaDetector
from atende.adapters.standins import KeywordClassifier, KeywordKnowledgeBase
from atende.adapters.stores import SqlConversationStore
from atende.adapters.tickets import TicketServiceAdapter
from benchmarks._common import REPO, median, pct, table
from dialog.engine import DialogEngine
from dialog.messages import Identity, InboundMessage, Reply
from dialog.text import canonical
from ticket_core import TicketStore

DEFAULT_DATA = REPO / "benchmarks" / "data" / "triage_eval.jsonl"
SIBLING_DATA = REPO.parent / "triage" / "benchmarks" / "data" / "triage_eval.jsonl"  # until it lands here
MAX_MESSAGES = 15

#: Short plausible answers to the free-text questions, per language.
TEXT_ANSWERS: dict[str, dict[str, str]] = {
    "es": {"system": "el portal de RRHH", "application": "Excel", "printer": "la de la planta 2",
           "vpn_client": "GlobalProtect en Windows 11", "service": "el ERP", "location": "la carpeta Compras",
           "what": "la licencia de Power BI", "error_message": "error 0x80070005"},
    "pt": {"system": "o portal de RH", "application": "Excel", "printer": "a do segundo andar",
           "vpn_client": "GlobalProtect no Windows 11", "service": "o ERP", "location": "a pasta Compras",
           "what": "a licença do Power BI", "error_message": "erro 0x80070005"},
    "en": {"system": "the HR portal", "application": "Excel", "printer": "the one on floor 2",
           "vpn_client": "GlobalProtect on Windows 11", "service": "the ERP",
           "location": "the Purchasing folder",
           "what": "a Power BI licence", "error_message": "error 0x80070005"},
}
MORE_DETAIL = {"es": "es el correo, no me deja enviar mensajes desde esta mañana",
               "pt": "é o e-mail, não consigo enviar mensagens desde hoje cedo",
               "en": "it's my e-mail, I can't send messages since this morning"}
NOT_SURE = {"es": "no sé", "pt": "não sei", "en": "not sure"}
PREFERRED = {"impact": "ans:impact:individual", "urgency": "ans:urgency:medium",
             "for_whom": "ans:for_whom:individual", "by_when": "ans:by_when:medium"}


@dataclass
class Played:
    report: dict[str, Any]
    messages: int = 0
    filed: bool = False
    reference: str | None = None
    clarified: bool = False
    vague_asked: bool = False
    kb_declined: bool = False
    questions: list[str] = field(default_factory=list)
    transcript: list[str] = field(default_factory=list)


def load(path: Path) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    for row in rows:  # the set writes "language"; the brief said "lang": accept both
        row["lang"] = row.get("lang") or row.get("language")
    return rows


def answer(replies: Sequence[Reply], lang: str, report: dict[str, Any], played: Played) -> str:
    """The scripted user's next message: an option id to press ('@' + id) or a text."""
    options = [o.id for r in replies for o in r.options]
    if any(o.startswith("cat:") for o in options):
        played.clarified = True
        wanted = f"cat:{report['category']}"
        return "@" + (wanted if wanted in options else "cat:other")
    if "kb:no" in options:
        played.kb_declined = True
        return "@kb:no"
    if "route:new" in options:
        return "@route:new"
    answers = [o for o in options if o.startswith("ans:")]
    if answers:
        qid = answers[0].split(":")[1]
        played.questions.append(qid)
        if qid in PREFERRED and PREFERRED[qid] in answers:
            return "@" + PREFERRED[qid]
        if f"ans:{qid}:skip" in answers:
            return "@" + f"ans:{qid}:skip"
        if len(answers) == 1 and answers[0].endswith(":unknown"):  # a free-text question
            return TEXT_ANSWERS[lang].get(qid, NOT_SURE[lang])
        return "@" + plausible(replies, answers, report["text"])
    # No options: an open question (vague or too short a first message).
    played.vague_asked = True
    return MORE_DETAIL[lang]


def plausible(replies: Sequence[Reply], answers: Sequence[str], text: str) -> str:
    """The option whose label shares a word with the report ("wifi" for a Wi-Fi report), else the first."""
    words = {w for w in canonical(text).split() if len(w) >= 4}
    for reply in replies:
        for option in reply.options:
            if option.id in answers and not option.id.endswith(":unknown") \
                    and words & {w for w in canonical(option.label).split() if len(w) >= 4}:
                return option.id
    return answers[0]


async def play(engine: DialogEngine, report: dict[str, Any], n: int) -> Played:
    lang = report["lang"]
    who = Identity("web", f"bench-{n}", "Ana")
    played = Played(report)
    said: str = report["text"]
    ids = itertools.count()
    while played.messages < MAX_MESSAGES:
        option = said[1:] if said.startswith("@") else None
        msg = InboundMessage(channel="web", conversation_key=who.key, sender=who, text="" if option else said,
                             option_id=option, provider_message_id=f"b{n}-{next(ids)}")
        played.messages += 1
        replies = await engine.handle(msg)
        played.transcript.append(f"user: {said}")
        played.transcript.extend(f"  bot: {r.text[:120]!r} {[o.id for o in r.options]}" for r in replies)
        tickets = [r.ticket for r in replies if r.ticket]
        if tickets:
            played.filed, played.reference = True, tickets[0]
            return played
        said = answer(replies, lang, report, played)
    return played


async def make_classifier(spec: str | None) -> Any:
    """``None``: the keyword stand-in; ``model``: the shipped model as ``atende serve`` loads it (the
    cold-start triage model of the classifier work, reading the same taxonomy file); ``module:factory``:
    anything else that returns a Classifier port."""
    if not spec:
        return KeywordClassifier()
    if spec == "model":
        from atende.adapters.ml import ModelClassifier
        from atende.settings import Settings

        settings = Settings()
        model = ModelClassifier(settings.resolved_model_dir, fallback=KeywordClassifier(),
                                taxonomy_file=settings.resolved_taxonomy_file)
        await model.ready()
        return model
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name or "build")()


async def run(args: argparse.Namespace) -> None:
    data = Path(args.data) if args.data else (DEFAULT_DATA if DEFAULT_DATA.exists() else SIBLING_DATA)
    reports = load(data)
    classifier = await make_classifier(args.classifier)
    with tempfile.TemporaryDirectory() as tmp:
        tickets = TicketStore.open(f"sqlite:///{tmp}/t.db")
        store = SqlConversationStore(f"sqlite:///{tmp}/c.db")
        kb = KeywordKnowledgeBase() if args.kb_articles else KeywordKnowledgeBase(())
        engine = DialogEngine(classifier, kb, TicketServiceAdapter(tickets), store, LinguaDetector())
        results = [await play(engine, report, n) for n, report in enumerate(reports)]
        by_ref = {t.reference: t for t in tickets.list_tickets(limit=10_000)}
        store.close()
        tickets.close()
    rows: list[list[object]] = []
    groups: dict[str, list[Played]] = defaultdict(list)
    for p in results:
        groups[p.report["lang"]].append(p)
        groups["all"].append(p)
    for lang in ("es", "pt", "en", "all"):
        group = groups.get(lang, [])
        if not group:
            continue
        turns = [float(p.messages) for p in group if p.filed]
        filed = [by_ref[p.reference] for p in group if p.reference in by_ref]
        type_right = sum(1 for p in group if p.reference in by_ref
                         and by_ref[p.reference].type == p.report.get("type"))
        cat_right = sum(1 for p in group if p.reference in by_ref
                        and by_ref[p.reference].category == p.report.get("category"))
        rows.append([lang, len(group), len(filed), median(turns), pct(turns, 90), max(turns or [0]),
                     sum(p.clarified for p in group) / len(group),
                     sum(p.vague_asked for p in group) / len(group),
                     type_right / max(1, len(filed)), cat_right / max(1, len(filed)),
                     sum(len(p.questions) for p in group) / len(group)])
    print(f"data: {data} ({len(reports)} reports); classifier: {getattr(classifier, 'version', '?')}; "
          f"KB: {'demo articles' if args.kb_articles else 'none'} (declined when offered)")
    print(table(["lang", "reports", "filed", "median msgs", "p90 msgs", "max", "clarify rate", "open-q rate",
                 "type right", "category right", "questions/report"], rows))
    asked = Counter(q for p in results for q in p.questions)
    print("questions asked (count): " + ", ".join(f"{q}={c}" for q, c in asked.most_common()))
    worst = sorted(results, key=lambda p: -p.messages)[: args.show]
    for p in worst:
        label = f"{p.report['category']}/{p.report.get('type')}"
        print(f"\n[{p.report.get('id')}] {p.messages} messages, {label}")
        print("\n".join(p.transcript))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", help="evaluation set (jsonl: text, language|lang, category, type)")
    ap.add_argument("--classifier", help="'model' (the shipped model) or module:factory returning a "
                    "Classifier (default: the keyword stand-in)")
    ap.add_argument("--kb-articles", action="store_true", help="offer the demo KB articles (declined)")
    ap.add_argument("--show", type=int, default=3, help="print the transcripts of the N longest")
    asyncio.run(run(ap.parse_args()))


if __name__ == "__main__":
    main()
