"""The alert channel's processor: the Dispatcher hands it each recorded alert (channel ``alert``) instead of
the dialog engine. It applies the rules, lets ticket_core open, count, resolve or group in one transaction,
and tells the requesters whose tickets that resolved or reopened (a user's report linked under an alert or a
major incident) through the Notifier, like any other status change.

It also runs the stale sweep: firing alerts whose resolution never came, once a period, under the runtime's
lease in the scaled mode so that one process does it cluster-wide.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from atende.alerts.payloads import AlertIn
from atende.alerts.rules import Rules
from dialog.messages import InboundMessage
from ticket_core import ALERT_CHANNEL, AlertOutcome, AlertSignal, NewTicket, RequesterIdentity, TicketStore

if TYPE_CHECKING:
    from atende.notify import Notifier

log = logging.getLogger(__name__)

#: How a source names itself as the requester of the tickets it opens.
SOURCE_NAMES: Mapping[str, str] = {
    "alertmanager": "Alertmanager", "grafana": "Grafana", "generic": "Monitoring",
}

_WORDS: Mapping[str, Mapping[str, str]] = {
    "en": {"major": "Major incident: {service}", "major_body": "Several alerts for {service} within minutes: "
           "each alert ticket is a child of this one. Resolving it resolves them and tells every user "
           "linked to them.", "labels": "Labels", "links": "Links", "since": "Firing since",
           "on": "{alert} on {service}"},
    "es": {"major": "Incidente mayor: {service}", "major_body": "Varias alertas de {service} en pocos "
           "minutos: cada ticket de alerta es hijo de este. Al resolverlo se resuelven y se avisa a "
           "cada usuario vinculado.", "labels": "Etiquetas", "links": "Enlaces", "since": "Activa desde",
           "on": "{alert} en {service}"},
    "pt": {"major": "Incidente grave: {service}", "major_body": "Vários alertas de {service} em poucos "
           "minutos: cada ticket de alerta é filho deste. Ao resolvê-lo, eles são resolvidos e cada usuário "
           "vinculado é avisado.", "labels": "Rótulos", "links": "Links", "since": "Disparado desde",
           "on": "{alert} em {service}"},
}


class AlertProcessor:
    def __init__(self, tickets: TicketStore, rules: Rules, notifier: Notifier | None = None) -> None:
        self.tickets = tickets
        self.rules = rules
        self.notifier = notifier
        self.outcomes: dict[str, int] = {}  # action -> count, for the metrics and the benchmark

    def conversation_key(self, alert: AlertIn) -> str:
        """Alerts of one service share a conversation, so the Dispatcher applies them one at a time (their
        grouping into a major incident never races); alerts without a service are keyed by fingerprint."""
        service = self.rules.service(alert.labels)
        return f"alert:svc:{service}" if service else f"alert:fp:{alert.source}:{alert.fingerprint}"

    async def handle(self, message: InboundMessage) -> None:
        """The Dispatcher's handler for channel ``alert``: safe to run twice for one message (ticket_core
        keeps the message's key on the alert row and changes nothing the second time)."""
        alert = AlertIn.from_json(message.extras["alert"])
        signal = self.signal(alert)
        outcome = await asyncio.to_thread(
            self.tickets.apply_alert, signal, self.rules.policy, message.idempotency_key
        )
        self._count(outcome)
        await self._notify(outcome)
        if outcome.action not in ("seen_again", "duplicate"):
            log.info("alert %s %s: %s %s", alert.fingerprint, alert.status, outcome.action,
                     outcome.ticket.reference if outcome.ticket else "-")

    async def sweep_stale(self) -> list[AlertOutcome]:
        outcomes = await asyncio.to_thread(self.tickets.mark_stale_alerts, self.rules.policy)
        for outcome in outcomes:
            self._count(outcome)
            await self._notify(outcome)
        if outcomes:
            log.info("%d alerts went stale (no resolution arrived)", len(outcomes))
        return outcomes

    async def stale_loop(self, period: float, lease: Any = None) -> None:
        """Every ``period`` seconds; with a lease (scaled mode), only in the process that holds it."""
        while True:
            await asyncio.sleep(period)
            try:
                if lease is not None and not await lease.acquire("alerts-stale", period * 1.5):
                    continue
                await self.sweep_stale()
            except Exception:
                log.exception("stale alert sweep failed")

    def signal(self, alert: AlertIn) -> AlertSignal:
        rules = self.rules
        labels = alert.labels
        service = rules.service(labels)
        impact, urgency, severity = rules.impact_urgency(labels)
        priority = rules.floor(self.tickets.policy.priority(impact, urgency), severity)
        words = _WORDS[rules.language]
        name = labels.get("alertname") or alert.fingerprint
        title = (alert.annotations.get("summary") or alert.annotations.get("title")
                 or (words["on"].format(alert=name, service=service) if service else name))
        requester = RequesterIdentity(ALERT_CHANNEL, alert.source, display_name=SOURCE_NAMES[alert.source])
        ticket = NewTicket(
            title=title, description=self._description(alert), category=rules.category(labels),
            type="incident", impact=impact, urgency=urgency, channel=ALERT_CHANNEL, requester=requester,
            language=rules.language, priority=priority, service=service,
            answers={"alert": {"source": alert.source, "fingerprint": alert.fingerprint,
                               "severity": severity or None}},
        )
        major = None
        if service:
            major = NewTicket(
                title=words["major"].format(service=service), description=words["major_body"].format(
                    service=service), category=rules.category(labels), type="incident",
                impact=rules.major_impact, urgency=rules.major_urgency, channel=ALERT_CHANNEL,
                requester=requester, language=rules.language, service=service,
            )
        return AlertSignal(
            fingerprint=f"{alert.source}:{alert.fingerprint}", source=alert.source, status=alert.status,
            ticket=ticket, labels=labels, annotations=alert.annotations, starts_at=alert.starts(),
            ends_at=alert.ends(), major_ticket=major, actor=f"alert:{alert.source}",
        )

    def _description(self, alert: AlertIn) -> str:
        words = _WORDS[self.rules.language]
        parts = [alert.annotations.get("description") or alert.annotations.get("message") or ""]
        if alert.starts_at:
            parts.append(f"{words['since']}: {alert.starts_at}")
        labels = "\n".join(f"  {k}={v}" for k, v in sorted(alert.labels.items()))
        parts.append(f"{words['labels']}:\n{labels}")
        if alert.links:
            links = "\n".join(f"  {k}: {v}" for k, v in sorted(alert.links.items()))
            parts.append(f"{words['links']}:\n{links}")
        return "\n\n".join(p for p in parts if p)

    def _count(self, outcome: AlertOutcome) -> None:
        self.outcomes[outcome.action] = self.outcomes.get(outcome.action, 0) + 1

    async def _notify(self, outcome: AlertOutcome) -> None:
        if self.notifier is None:
            return
        for ticket in outcome.changed:
            try:
                await self.notifier.status_changed(ticket)
            except Exception:  # the alert is applied; a failed push is logged on the tickets themselves
                log.exception("notifying the change of %s failed", ticket.reference)
