"""Known outages: "We know about a problem with the ERP since 08:15 (INC-000123). Is this what you are
seeing?"

When the desk already knows about a problem (a major incident, or a ticket a monitoring alert opened), a user
reporting one more symptom of it needs no diagnostic questions and no articles: the report is filed as a
child of the known ticket and the user hears when it is fixed. The question comes before anything else the
intake would ask, at most once per report; "no" continues the normal intake with the same description.

The intake (dialog/intake.py) decides *when*; this module matches, asks, reads the answer and joins.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Literal

from dialog.answers import match_choice, parse_yes_no
from dialog.messages import Option
from dialog.ports import Classification, KnownOutage, TicketDraft, TicketSummary
from dialog.state import Draft
from dialog.turn import Deps, Turn

log = logging.getLogger(__name__)

YES, NO = "outage:yes", "outage:no"
Answer = Literal["yes", "no"]


def outage_to_dict(outage: KnownOutage) -> dict[str, Any]:
    return {"reference": outage.reference, "title": outage.title, "service": outage.service,
            "since": outage.since.isoformat(), "major": outage.major}


class OutageOffer:
    def __init__(self, deps: Deps) -> None:
        self.d = deps

    def applies(self, draft: Draft) -> bool:
        """Offered once per report, never to a user who asked for a person."""
        return self.d.outages is not None and not draft.outage_offered and not draft.human

    async def find(self, turn: Turn, draft: Draft, classification: Classification) -> bool:
        """Look for a known outage matching the description; when one does, remember it and ask."""
        outages = self.d.outages
        if outages is None:
            return False
        try:
            found = await outages.match(draft.description, turn.lang, classification.category.label)
        except Exception:  # a bonus, like the articles: a broken lookup must not block the report
            log.exception("known-outage lookup failed; continuing the intake")
            return False
        if found is None:
            return False
        draft.outage, draft.outage_offered, draft.invalid = outage_to_dict(found), True, 0
        return True

    def prompt(self, turn: Turn, draft: Draft) -> None:
        d, outage = self.d, draft.outage or {}
        since = d.catalogs.format_since(turn.lang, _since(outage, turn.now), d.settings.timezone, turn.now)
        ref, service = str(outage.get("reference", "")), outage.get("service")
        if service:
            text = d.t(turn, "outage_offer_service", service=service, since=since, ref=ref)
        else:
            text = d.t(turn, "outage_offer_title", title=outage.get("title", ""), since=since, ref=ref)
        d.ask(turn, text, [Option(YES, d.t(turn, "outage.yes")), Option(NO, d.t(turn, "outage.no"))])

    def answer(self, turn: Turn) -> tuple[Answer | None, bool]:
        """The user's answer, and whether the text was more description rather than a yes or no (kept, and
        read as "no": someone who describes something else is not seeing the known problem)."""
        d = self.d
        if turn.option_id in (YES, NO):
            return ("yes" if turn.option_id == YES else "no"), False
        said = parse_yes_no(turn.text, d.catalogs)
        if said is None:
            labels = [(YES, [d.catalogs.t(lang, "outage.yes") for lang in d.catalogs.languages]),
                      (NO, [d.catalogs.t(lang, "outage.no") for lang in d.catalogs.languages])]
            chosen = match_choice(turn.text, labels)
            said = "yes" if chosen == YES else "no" if chosen == NO else None
        if said is not None:
            return ("yes" if said == "yes" else "no"), False
        if len(turn.text) >= d.settings.min_description_chars:
            return "no", True
        return None, False

    async def join(self, draft: Draft, ticket: TicketDraft) -> TicketSummary | None:
        """File the report under the offered outage; None when it is gone (resolved meanwhile) or the
        ticket core refused, so the caller continues the normal intake."""
        outages, ref = self.d.outages, str((draft.outage or {}).get("reference", ""))
        if outages is None or not ref:
            return None
        try:
            return await outages.join(ref, ticket)
        except LookupError:
            log.info("known outage %s is no longer active; normal intake", ref)
        except Exception:
            log.exception("could not file the report under %s; normal intake", ref)
        return None


def _since(outage: dict[str, Any], default: datetime) -> datetime:
    try:
        return datetime.fromisoformat(str(outage.get("since")))
    except ValueError:
        return default
