"""The SLA clock through the real store: pause and resume, reopen, first response by an agent only, priority
changes, and the stored state always equal to a replay of the log (after a calendar edit too).

T0 is Monday 2 March 2026 09:00 UTC, the office opens 09:00-18:00 on weekdays. A P3 ticket (individual
impact, high urgency) has 4 business hours to a first response and 24 to resolution: Monday 9 + Tuesday 9 +
Wednesday 6 hours, i.e. due Wednesday 15:00.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.ticket_core.conftest import T0, Clock, new_ticket
from tests.ticket_core.sla.conftest import office_config
from ticket_core import TicketPolicy, TicketStore
from ticket_core.sla import SlaConfig, replay
from ticket_core.sla_ledger import SlaLedger

H = timedelta(hours=1)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def p3(store: TicketStore, **fields: object) -> str:
    return store.create_ticket(new_ticket(impact="individual", urgency="high", **fields)).reference


def test_due_times_are_business_deadlines(sla_store: TicketStore) -> None:
    ticket = sla_store.get(p3(sla_store))
    assert ticket is not None and ticket.priority == "P3"
    assert ticket.first_response_due == at(2, 13)
    assert ticket.resolution_due == at(4, 15)
    assert ticket.sla is not None and ticket.sla["resolution"]["target_s"] == 24 * 3600
    assert ticket.sla["calendar"] == "office" and ticket.sla["active"] is True


def test_p1_runs_on_the_24x7_clock_through_the_weekend(sla_store: TicketStore, clock: Clock) -> None:
    clock.now = at(6, 22)  # Friday night
    ref = sla_store.create_ticket(new_ticket(impact="organization", urgency="high")).reference
    ticket = sla_store.get(ref)
    assert ticket is not None and ticket.priority == "P1"
    assert (ticket.first_response_due, ticket.resolution_due) == (at(6, 22, 15), at(7, 2))


def test_pause_in_pending_user_and_resume_on_the_users_reply(sla_store: TicketStore, clock: Clock) -> None:
    ref = p3(sla_store)
    clock.advance(hours=2)
    sla_store.record_event(ref, "agent_reply", {"text": "Which VPN client?"}, "alice")
    sla_store.transition(ref, "open", "alice")
    sla_store.transition(ref, "pending_user", "alice")  # Monday 11:00
    clock.advance(hours=5)  # Monday 16:00: five paused hours
    state = sla_store.sla_state(ref)
    assert state.paused and state.resolution.paused and not state.resolution.running
    assert state.resolution.elapsed == 2 * H
    assert state.first_response.met is True and state.first_response.elapsed == 2 * H
    sla_store.add_message(ref, "in", "FortiClient 7", "web", "requester")  # resumes: status back to open
    ticket = sla_store.get(ref)
    assert ticket is not None and ticket.status == "open"
    # The five paused hours push the deadline from Wednesday 15:00 to Thursday 11:00.
    assert ticket.resolution_due == at(5, 11)
    clock.advance(hours=1)
    state = sla_store.sla_state(ref)
    assert not state.paused and state.resolution.running and state.resolution.elapsed == 3 * H
    assert state.resolution.due_at == at(5, 11)


def test_a_reopen_resumes_the_resolution_clock_and_does_not_instantly_breach(
    sla_store: TicketStore, clock: Clock
) -> None:
    ref = p3(sla_store)
    clock.advance(hours=4)
    sla_store.record_event(ref, "agent_reply", {"text": "Fixed, please check"}, "alice")
    sla_store.transition(ref, "resolved", "alice")  # Monday 13:00: 4 business hours used
    clock.now = at(5, 12)  # Thursday noon: past the original Wednesday 15:00 deadline
    resolved = sla_store.sla_state(ref)
    assert resolved.resolution.met is True and resolved.resolution.elapsed == 4 * H
    sla_store.transition(ref, "open", "requester")
    state = sla_store.sla_state(ref)
    assert not state.resolution.breached and state.resolution.met is None
    assert state.resolution.elapsed == 4 * H and state.resolution.remaining == 20 * H
    # 20 business hours from Thursday 12:00: Thursday 6 + Friday 9 + Monday 5 -> Monday 9 March 14:00.
    ticket = sla_store.get(ref)
    assert ticket is not None and ticket.resolution_due == at(9, 14)
    clock.now = at(9, 14, 1)
    assert sla_store.sla_state(ref).resolution.breached


def test_the_bot_never_meets_the_first_response_an_agent_does(sla_store: TicketStore, clock: Clock) -> None:
    ref = p3(sla_store)
    clock.advance(hours=1)
    sla_store.record_event(ref, "agent_reply", {"text": "Automatic: we got it"}, "bot")
    sla_store.add_message(ref, "out", "Anything else?", "web", "bot")
    sla_store.record_event(ref, "agent_reply", {"text": "note to self", "internal": True}, "alice")
    clock.advance(hours=4)  # Monday 14:00: 5 business hours, target 4
    state = sla_store.sla_state(ref)
    assert state.first_response.breached and state.first_response.met is None
    assert state.first_response.breached_at == at(2, 13)
    sla_store.record_event(ref, "agent_reply", {"text": "Sorry for the wait"}, "alice")
    state = sla_store.sla_state(ref)
    assert state.first_response.met is False and state.first_response.completed_at == at(2, 14)
    ticket = sla_store.get(ref)
    assert ticket is not None and ticket.first_responded_at == at(2, 14)


def test_a_priority_change_retargets_against_the_elapsed_time(sla_store: TicketStore, clock: Clock) -> None:
    ref = p3(sla_store)
    clock.advance(hours=3)
    ticket = sla_store.update(ref, "alice", priority="P2")  # 1h / 8h business
    assert ticket.first_response_due == at(2, 10) and ticket.resolution_due == at(2, 17)
    state = sla_store.sla_state(ref)
    assert state.priority == "P2" and state.first_response.breached and not state.resolution.breached


def test_a_self_service_resolution_starts_its_sla_only_when_reopened(
    sla_store: TicketStore, clock: Clock
) -> None:
    ref = p3(sla_store, status="self_service_resolved", kb_article_id="kb-vpn")
    ticket = sla_store.get(ref)
    assert ticket is not None and ticket.resolution_due is None and ticket.sla is not None
    assert ticket.sla["active"] is False
    clock.advance(days=1)  # Tuesday 09:00
    reopened = sla_store.transition(ref, "open", "requester")
    assert reopened.first_response_due == at(3, 13) and reopened.resolution_due == at(5, 15)


def test_the_calendar_is_chosen_per_category_and_requester_group(database_url: str, clock: Clock) -> None:
    config = office_config(
        calendars={
            "office": {"timezone": "UTC", "hours": {"mon-fri": "09:00-18:00"}},
            "madrid": {"timezone": "Europe/Madrid", "hours": {"mon-fri": "08:00-11:00"}},
            "vip": {"timezone": "UTC", "hours": {"mon-sun": "00:00-24:00"}},
        },
        groups={"board": {"emails": ["ceo@example.com"], "domains": []}},
        calendar_rules=[{"group": "board", "calendar": "vip"}, {"category": "network", "calendar": "madrid"}],
    )
    clock.now = at(2, 17)  # Monday 17:00 UTC, 18:00 in Madrid
    with TicketStore.open(database_url, TicketPolicy(sla_config=config), clock=clock) as store:
        net = store.get(p3(store, category="network"))
        ceo = store.get(p3(store, category="network", email="ceo@example.com", address="ceo"))
        hw = store.get(p3(store, category="hardware", address="other"))
    assert net is not None and ceo is not None and hw is not None
    # Madrid opens 08:00-11:00 CET (07:00-10:00 UTC): 3 hours on Tuesday, the 4th on Wednesday.
    assert (net.sla or {})["calendar"] == "madrid" and net.first_response_due == at(4, 8)
    assert (ceo.sla or {})["calendar"] == "vip" and ceo.first_response_due == at(2, 21)
    assert (hw.sla or {})["calendar"] == "office" and hw.first_response_due == at(3, 12)


def test_recomputing_after_a_calendar_edit_equals_a_replay(database_url: str, clock: Clock) -> None:
    with TicketStore.open(database_url, TicketPolicy(sla_config=office_config()), clock=clock) as store:
        ref = p3(store)
        clock.advance(hours=2)
        store.transition(ref, "open", "alice")
        store.transition(ref, "pending_user", "alice")
        clock.advance(hours=1)
        store.add_message(ref, "in", "here you go", "web", "requester")
        clock.advance(hours=1)
    # The desk declares Tuesday a holiday and shortens Wednesday.
    edited = office_config(calendars={"office": {
        "timezone": "UTC", "hours": {"mon-fri": "09:00-18:00", "wed": "09:00-12:00"},
        "holidays": {"dates": ["2026-03-03"]}}})
    with TicketStore.open(database_url, TicketPolicy(sla_config=edited), clock=clock) as store:
        refreshed = store.refresh_sla(ref)
        replayed = edited.state(store.events(ref), clock.now, category="network", priority="P3")
        assert refreshed.sla == replayed.to_json()
        assert refreshed.resolution_due == replayed.resolution.due_at
        # 24 - 3 = 21 business hours left at Monday 13:00: Monday 5, Wednesday 3, Thursday 9, Friday 4.
        assert refreshed.resolution_due == at(6, 13)
        assert store.sla_state(ref).to_json() == replayed.to_json()
        # `atende sla recompute` does the same for every ticket at once.
        other = p3(store, address="other")
        clock.advance(hours=1)
        assert SlaLedger(store).recompute() == 2
        for reference in (ref, other):
            stored = store.get(reference)
            assert stored is not None
            assert stored.sla == edited.state(store.events(reference), clock.now, category="network",
                                              priority="P3").to_json()


STEPS = st.lists(
    st.tuples(
        st.sampled_from(["advance", "pending", "reply_user", "agent_reply", "bot_reply", "resolve", "reopen",
                         "priority", "progress"]),
        st.integers(min_value=1, max_value=40 * 60),
        st.sampled_from(["P1", "P2", "P3", "P4", "P5"]),
    ),
    max_size=12,
)


@pytest.fixture
def sqlite_sla_store(sqlite_template: Path, tmp_path: Path, clock: Clock) -> Iterator[TicketStore]:
    """SQLite only: the property test below runs dozens of histories, PostgreSQL adds nothing to the rule."""
    path = tmp_path / "tickets.db"
    shutil.copyfile(sqlite_template, path)
    with TicketStore.open(f"sqlite:///{path}", TicketPolicy(sla_config=office_config()), clock=clock) as s:
        yield s


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
def test_the_stored_state_is_always_a_replay_of_the_log(
    sqlite_sla_store: TicketStore, clock: Clock, steps: list[tuple[str, int, str]]
) -> None:
    """Whatever happens to a ticket, the state the store wrote at each step equals a replay of the log up to
    that moment, and elapsed time never runs backwards while the target keeps its clock (a move to or from
    the 24x7 P1 re-measures it)."""
    sla_store = sqlite_sla_store
    clock.now = T0
    config: SlaConfig = sla_store.policy.sla_setup
    ref = p3(sla_store, address=f"s{abs(hash(tuple(steps)))}")
    last_elapsed = {"first_response": (timedelta(0), "business"), "resolution": (timedelta(0), "business")}
    for action, minutes, priority in steps:
        clock.advance(minutes=minutes)
        ticket = sla_store.get(ref)
        assert ticket is not None
        try:
            if action == "pending" and ticket.status in ("open", "in_progress"):
                sla_store.transition(ref, "pending_user", "alice")
            elif action == "reply_user":
                sla_store.add_message(ref, "in", "hi", "web", "requester")
            elif action == "agent_reply":
                sla_store.record_event(ref, "agent_reply", {"text": "x"}, "alice")
            elif action == "bot_reply":
                sla_store.record_event(ref, "agent_reply", {"text": "x"}, "bot")
            elif action == "resolve" and ticket.status not in ("resolved", "closed"):
                sla_store.transition(ref, "resolved", "alice")
            elif action == "reopen" and ticket.status == "resolved":
                sla_store.transition(ref, "open", "requester")
            elif action == "priority":
                sla_store.update(ref, "alice", priority=priority)
            elif action == "progress" and ticket.status in ("new", "open", "pending_user"):
                sla_store.transition(ref, "in_progress", "alice")
        except Exception as exc:  # only lifecycle refusals are expected
            assert type(exc).__name__ == "InvalidTransition", exc
        stored = sla_store.get(ref)
        assert stored is not None and stored.sla is not None
        computed_at = datetime.fromisoformat(stored.sla["computed_at"])
        events = sla_store.events(ref)
        assert stored.sla == replay(events, config.targets, config.calendar_for("network"), computed_at,
                                    pausing=config.pausing).to_json()
        live = sla_store.sla_state(ref)
        created = stored.created_at
        for name in ("first_response", "resolution"):
            target = live.target(name)  # type: ignore[arg-type]
            # Never more than the open time since filing: paused, resolved and closed hours do not count.
            clock_of = config.calendar_for("network") if target.mode == "business" else None
            ceiling = clock_of.business_time(created, clock.now) if clock_of else clock.now - created
            assert target.elapsed <= ceiling
            before, mode = last_elapsed[name]
            assert target.elapsed >= before or target.mode != mode
            last_elapsed[name] = (target.elapsed, target.mode)
