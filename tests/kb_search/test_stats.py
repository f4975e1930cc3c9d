from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kb_search.stats import DeflectionStats

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def test_counters_and_reopened_within_seven_days(tmp_path: Path) -> None:
    s = DeflectionStats(tmp_path / "stats.db")
    # u1: shown + accepted, comes back with the same problem 3 days later -> reopened (re-reported)
    s.record("vpn-connect", "shown", "u1", T0)
    s.record("vpn-connect", "accepted", "u1", T0)
    s.record("vpn-connect", "shown", "u1", T0 + timedelta(days=3))
    # u2: accepted, ticket reopened after 9 days -> outside the window
    s.record("vpn-connect", "shown", "u2", T0)
    s.record("vpn-connect", "accepted", "u2", T0)
    s.record("vpn-connect", "reopened", "u2", T0 + timedelta(days=9))
    # u3: accepted, explicitly reopened the next day
    s.record("vpn-connect", "shown", "u3", T0)
    s.record("vpn-connect", "accepted", "u3", T0)
    s.record("vpn-connect", "reopened", "u3", T0 + timedelta(days=1))
    # u4: rejected
    s.record("vpn-connect", "shown", "u4", T0)
    s.record("vpn-connect", "rejected", "u4", T0)
    s.record("password-reset", "shown", "u1", T0)

    vpn = s.article("vpn-connect")
    assert (vpn.shown, vpn.accepted, vpn.rejected, vpn.reopened) == (5, 3, 1, 2)
    assert vpn.deflected == 1 and vpn.deflection_rate == pytest.approx(1 / 5)
    assert [a.article_id for a in s.stats()] == ["password-reset", "vpn-connect"]
    assert s.article("unknown").shown == 0
    s.close()
    # Persistent: a new instance (another process) reads the same counters; sqlite:/// URLs work too.
    again = DeflectionStats(f"sqlite:///{tmp_path / 'stats.db'}")
    assert again.article("vpn-connect").accepted == 3
    assert again.stats(since=T0 + timedelta(days=2))[0].shown == 1


def test_rejects_bad_events_and_other_databases() -> None:
    s = DeflectionStats(":memory:")
    with pytest.raises(ValueError, match="unknown event"):
        s.record("a", "clicked", "u1")
    with pytest.raises(ValueError, match="required"):
        s.record("", "shown", "u1")
    s.record("a", "shown", "u1")  # "now" by default
    assert s.article("a").shown == 1
    with pytest.raises(ValueError, match="SQLite only"):
        DeflectionStats("postgresql://x/y")
