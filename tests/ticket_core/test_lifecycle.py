"""The lifecycle table, checked exhaustively: every (from, to) pair is either allowed or raises."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ticket_core import STATUSES, TRANSITIONS, InvalidTransition, InvalidValue, TicketPolicy
from ticket_core.lifecycle import check_transition

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
POLICY = TicketPolicy()

ALLOWED = {
    ("new", "open"),
    ("new", "in_progress"),
    ("new", "resolved"),
    ("new", "closed"),
    ("open", "in_progress"),
    ("open", "pending_user"),
    ("open", "resolved"),
    ("open", "closed"),
    ("in_progress", "open"),
    ("in_progress", "pending_user"),
    ("in_progress", "resolved"),
    ("in_progress", "closed"),
    ("pending_user", "open"),
    ("pending_user", "in_progress"),
    ("pending_user", "resolved"),
    ("pending_user", "closed"),
    ("resolved", "open"),
    ("resolved", "closed"),
    ("self_service_resolved", "open"),
    ("self_service_resolved", "closed"),
}
PAIRS = [(a, b) for a in STATUSES for b in STATUSES]


def test_table_is_the_documented_one() -> None:
    assert {(a, b) for a, targets in TRANSITIONS.items() for b in targets} == ALLOWED
    assert set(TRANSITIONS) == set(STATUSES)


@pytest.mark.parametrize(("current", "target"), sorted(ALLOWED))
def test_valid_transition(current: str, target: str) -> None:
    check_transition(
        "INC-000001", current, target, resolved_at=NOW - timedelta(hours=1), now=NOW, policy=POLICY
    )


@pytest.mark.parametrize(("current", "target"), [p for p in PAIRS if p not in ALLOWED])
def test_invalid_transition(current: str, target: str) -> None:
    with pytest.raises(InvalidTransition) as info:
        check_transition("INC-000001", current, target, resolved_at=NOW, now=NOW, policy=POLICY)
    assert (info.value.current, info.value.target, info.value.reference) == (current, target, "INC-000001")


@pytest.mark.parametrize("current", sorted(STATUSES))
def test_every_non_closed_ticket_can_be_closed(current: str) -> None:
    if current == "closed":
        with pytest.raises(InvalidTransition, match="final"):
            check_transition("X", current, "closed", resolved_at=None, now=NOW, policy=POLICY)
    else:
        check_transition("X", current, "closed", resolved_at=None, now=NOW, policy=POLICY)


@pytest.mark.parametrize("current", ["resolved", "self_service_resolved"])
def test_reopen_window(current: str) -> None:
    inside = NOW - timedelta(days=7)
    outside = NOW - timedelta(days=7, seconds=1)
    check_transition("X", current, "open", resolved_at=inside, now=NOW, policy=POLICY)
    with pytest.raises(InvalidTransition, match="reopen window"):
        check_transition("X", current, "open", resolved_at=outside, now=NOW, policy=POLICY)


def test_reopen_window_is_configurable() -> None:
    policy = TicketPolicy.from_mapping({"reopen_window_days": 1})
    with pytest.raises(InvalidTransition):
        check_transition("X", "resolved", "open", resolved_at=NOW - timedelta(days=2), now=NOW, policy=policy)


def test_unknown_status_is_a_value_error() -> None:
    with pytest.raises(InvalidValue):
        check_transition("X", "open", "escalated", resolved_at=None, now=NOW, policy=POLICY)
