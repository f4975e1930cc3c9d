"""Alerts to tickets in the store (issue 12 §2): one ticket per fingerprint, repeats only count, the same
message applied twice changes nothing, resolution, flapping, staleness and major incidents. Runs on SQLite
and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.ticket_core.conftest import Clock
from ticket_core import AlertPolicy, AlertSignal, InvalidValue, NewTicket, RequesterIdentity, TicketStore
from ticket_core.schema import TicketRow

POLICY = AlertPolicy(flap_window=timedelta(minutes=30), major_window=timedelta(minutes=15),
                     stale_after=timedelta(hours=24))


def signal(fp: str = "abc", status: str = "firing", service: str | None = "erp",
           **extra: object) -> AlertSignal:
    ticket = NewTicket(title=f"{service} alert {fp}", description="down", category="outage", type="incident",
                       impact="team", urgency="high", channel="alert",
                       requester=RequesterIdentity("alert", "alertmanager"), service=service)
    major = NewTicket(title=f"Major incident: {service}", description="several alerts", category="outage",
                      type="incident", impact="organization", urgency="high", channel="alert",
                      requester=RequesterIdentity("alert", "alertmanager"), service=service)
    values: dict[str, object] = {"fingerprint": f"alertmanager:{fp}", "source": "alertmanager",
                                 "status": status, "ticket": ticket, "major_ticket": major,
                                 "labels": {"alertname": "Down", "service": service}}
    values.update(extra)
    return AlertSignal(**values)  # type: ignore[arg-type]


def _tickets(store: TicketStore) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(TicketRow)).scalar_one())


def test_one_ticket_per_fingerprint_repeats_only_count(store: TicketStore) -> None:
    first = store.apply_alert(signal(), POLICY, "m1")
    assert first.action == "opened" and first.ticket is not None
    assert first.ticket.channel == "alert" and first.ticket.service == "erp"
    assert first.ticket.category == "outage"
    for i in range(2, 12):
        again = store.apply_alert(signal(), POLICY, f"m{i}")
        assert again.action == "seen_again" and again.ticket is not None
        assert again.ticket.reference == first.ticket.reference
    assert _tickets(store) == 1
    info = store.get_alert("alertmanager:abc")
    assert info is not None and info.seen_count == 11 and info.status == "firing"
    kinds = [e.kind for e in store.events(first.ticket.reference)]
    assert kinds.count("alert") == 1  # repeats add nothing to the log


def test_the_same_message_applied_twice_changes_nothing(store: TicketStore) -> None:
    a = store.apply_alert(signal(), POLICY, "m1")
    b = store.apply_alert(signal(), POLICY, "m1")  # a crash before the inbox row was marked processed
    assert b.action == "duplicate" and a.ticket and b.ticket and a.ticket.reference == b.ticket.reference
    assert store.get_alert("alertmanager:abc").seen_count == 1  # type: ignore[union-attr]
    r1 = store.apply_alert(signal(status="resolved"), POLICY, "m2")
    r2 = store.apply_alert(signal(status="resolved"), POLICY, "m2")
    assert r1.action == "resolved" and r2.action == "duplicate" and _tickets(store) == 1


def test_resolution_notes_and_resolves_then_repeats_count(store: TicketStore) -> None:
    ref = store.apply_alert(signal(), POLICY, "m1").ticket.reference  # type: ignore[union-attr]
    out = store.apply_alert(signal(status="resolved"), POLICY, "m2")
    assert out.action == "resolved" and [t.reference for t in out.changed] == [ref]
    t = store.get(ref)
    assert t is not None and t.status == "resolved"
    last = [e for e in store.events(ref) if e.kind == "status_changed"][-1]
    assert last.payload["reason"] == "alert_resolved"
    notes = [e.payload["action"] for e in store.events(ref) if e.kind == "alert"]
    assert notes == ["opened", "resolved"]
    assert store.apply_alert(signal(status="resolved"), POLICY, "m3").action == "seen_again"
    unknown = store.apply_alert(signal(fp="never-seen", status="resolved"), POLICY, "m4")
    assert unknown.action == "unknown" and _tickets(store) == 1


def test_resolution_only_notes_when_configured(store: TicketStore) -> None:
    policy = AlertPolicy(resolve_on_resolved=False)
    ref = store.apply_alert(signal(), policy, "m1").ticket.reference  # type: ignore[union-attr]
    assert store.apply_alert(signal(status="resolved"), policy, "m2").action == "noted"
    assert store.get(ref).status == "new"  # type: ignore[union-attr]
    again = store.apply_alert(signal(), policy, "m3")
    assert again.action == "refired" and again.ticket.reference == ref  # type: ignore[union-attr]


def test_flapping_reopens_the_same_ticket_and_later_firing_opens_a_new_one(
    store: TicketStore, clock: Clock
) -> None:
    ref = store.apply_alert(signal(), POLICY, "m1").ticket.reference  # type: ignore[union-attr]
    store.apply_alert(signal(status="resolved"), POLICY, "m2")
    clock.advance(minutes=10)
    flap = store.apply_alert(signal(), POLICY, "m3")
    assert flap.action == "reopened" and flap.ticket.reference == ref  # type: ignore[union-attr]
    assert flap.ticket.status == "open" and [t.reference for t in flap.changed] == [ref]  # type: ignore[union-attr]
    store.apply_alert(signal(status="resolved"), POLICY, "m4")
    clock.advance(hours=2)
    later = store.apply_alert(signal(), POLICY, "m5")
    assert later.action == "opened" and later.ticket.reference != ref  # type: ignore[union-attr]
    info = store.get_alert("alertmanager:abc")
    assert info is not None and info.reference == later.ticket.reference and info.seen_count == 1  # type: ignore[union-attr]
    assert store.get(ref).status == "resolved"  # type: ignore[union-attr]


def test_an_alert_whose_resolution_never_comes_goes_stale(store: TicketStore, clock: Clock) -> None:
    with_end = store.apply_alert(signal(fp="e", ends_at=clock.now + timedelta(minutes=5)), POLICY, "m1")
    without = store.apply_alert(signal(fp="n", service="mail"), POLICY, "m2")
    assert not store.mark_stale_alerts(POLICY)
    clock.advance(minutes=6)
    stale = store.mark_stale_alerts(POLICY)
    assert [o.alert.fingerprint for o in stale] == ["alertmanager:e"]  # type: ignore[union-attr]
    t = store.get(with_end.ticket.reference)  # type: ignore[union-attr]
    assert t is not None and t.status == "resolved"
    assert [e.payload.get("action") for e in store.events(t.reference) if e.kind == "alert"][-1] == "stale"
    assert store.get_alert("alertmanager:e").status == "stale"  # type: ignore[union-attr]
    clock.advance(hours=25)
    assert [o.alert.fingerprint for o in store.mark_stale_alerts(POLICY)] == ["alertmanager:n"]  # type: ignore[union-attr]
    assert store.get(without.ticket.reference).status == "resolved"  # type: ignore[union-attr]
    assert store.mark_stale_alerts(POLICY) == []


def test_two_alerts_of_one_service_make_a_major_incident_with_both_as_children(
    store: TicketStore, clock: Clock
) -> None:
    a = store.apply_alert(signal(fp="a"), POLICY, "m1")
    assert a.major is None
    store.apply_alert(signal(fp="other", service="mail"), POLICY, "m2")
    clock.advance(minutes=5)
    b = store.apply_alert(signal(fp="b"), POLICY, "m3")
    assert b.major is not None and b.major.major_incident and b.major.service == "erp"
    parent = b.major.reference
    clock.advance(minutes=1)
    c = store.apply_alert(signal(fp="c"), POLICY, "m4")
    assert c.major is not None and c.major.reference == parent  # joins the open major incident
    kids = [t.reference for t in store.children(parent)]
    assert kids == [a.ticket.reference, b.ticket.reference, c.ticket.reference]  # type: ignore[union-attr]
    assert store.get(a.ticket.reference).parent_reference == parent  # type: ignore[union-attr]
    outages = [t.reference for t in store.active_outages()]
    assert parent in outages and a.ticket.reference in outages  # type: ignore[union-attr]
    # the agent resolves the parent: every child follows
    store.transition(parent, "resolved", "marta")
    assert {store.get(k).status for k in kids} == {"resolved"}  # type: ignore[union-attr]


def test_alerts_outside_the_window_do_not_group(store: TicketStore, clock: Clock) -> None:
    store.apply_alert(signal(fp="a"), POLICY, "m1")
    clock.advance(minutes=20)
    assert store.apply_alert(signal(fp="b"), POLICY, "m2").major is None
    assert store.apply_alert(signal(fp="x", service=None), POLICY, "m3").major is None


def test_bad_signals_are_refused(store: TicketStore) -> None:
    with pytest.raises(InvalidValue):
        store.apply_alert(signal(source="nagios"), POLICY, "m1")
    with pytest.raises(InvalidValue):
        store.apply_alert(signal(status="pending"), POLICY, "m1")
    with pytest.raises(InvalidValue):
        store.apply_alert(signal(fingerprint=""), POLICY, "m1")
    assert _tickets(store) == 0


def test_rejections_are_kept_with_their_digest(store: TicketStore) -> None:
    digest = store.record_alert_rejection("generic", "missing title", b'{"status": "firing"}' + b"x" * 10000)
    [kept] = store.alert_rejections()
    assert kept["body_sha256"] == digest and kept["reason"] == "missing title"
    assert len(kept["body_excerpt"]) == 4096
