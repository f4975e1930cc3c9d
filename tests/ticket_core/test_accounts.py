"""AccountStore: agents, lockout, server-side sessions with idle and absolute expiry, API tokens."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from tests.ticket_core.conftest import Clock
from ticket_core import InvalidValue, TicketStore
from ticket_core.accounts import AccountExists, AccountStore, AgentNotFound

IDLE = timedelta(minutes=60)
H64 = "a" * 64


@pytest.fixture()
def accounts(store: TicketStore, clock: Clock) -> Iterator[AccountStore]:
    yield AccountStore(store.engine, clock=clock)


def test_agents_are_unique_by_normalised_email(accounts: AccountStore) -> None:
    ana = accounts.add_agent(" Ana@Example.COM ", "Ana", "agent", "hash", "es")
    assert ana.email == "ana@example.com" and ana.language == "es" and not ana.is_admin
    with pytest.raises(AccountExists):
        accounts.add_agent("ana@example.com", "Other", "admin", "hash")
    assert accounts.find_agent("ANA@example.com") == ana
    for bad in ({"role": "root"}, {"language": "fr"}, {"email": "no-at-sign"}, {"name": " "}):
        args = {"email": "x@example.com", "name": "X", "role": "agent", "password_hash": "h",
                "language": "en"}
        with pytest.raises(InvalidValue):
            accounts.add_agent(**{**args, **bad})
    with pytest.raises(AgentNotFound):
        accounts.set_disabled("nobody@example.com")


def test_failures_lock_the_account_for_a_while(accounts: AccountStore, clock: Clock) -> None:
    ana = accounts.add_agent("ana@example.com", "Ana", "agent", "hash")
    for _ in range(2):
        ana = accounts.login_failed(ana.id, 3, timedelta(minutes=15))
    assert not accounts.is_locked(ana) and ana.failed_logins == 2
    ana = accounts.login_failed(ana.id, 3, timedelta(minutes=15))
    assert accounts.is_locked(ana)
    clock.advance(minutes=16)
    assert not accounts.is_locked(ana)
    accounts.login_succeeded(ana.id)
    fresh = accounts.agent(ana.id)
    assert fresh is not None and fresh.failed_logins == 0 and fresh.last_login_at == clock.now


def test_sessions_expire_when_idle_and_absolutely(accounts: AccountStore, clock: Clock) -> None:
    ana = accounts.add_agent("ana@example.com", "Ana", "agent", "hash")
    accounts.create_session("s1", ana.id, "csrf1", timedelta(hours=2))
    found = accounts.session("s1", IDLE)
    assert found is not None and found[0].csrf_secret == "csrf1" and found[1].email == "ana@example.com"
    for _ in range(2):  # kept alive by use past the idle limit ...
        clock.advance(minutes=40)
        assert accounts.session("s1", IDLE) is not None
    clock.advance(minutes=41)  # ... but not past the absolute limit (2 h)
    assert accounts.session("s1", IDLE) is None
    accounts.create_session("s2", ana.id, "csrf2", timedelta(hours=2))
    clock.advance(minutes=61)
    assert accounts.session("s2", IDLE) is None
    assert accounts.session("s2", IDLE) is None  # deleted, not merely refused


def test_disabling_or_a_new_password_ends_every_session(accounts: AccountStore) -> None:
    ana = accounts.add_agent("ana@example.com", "Ana", "agent", "hash")
    accounts.create_session("s1", ana.id, "c", timedelta(hours=2))
    accounts.create_session("s2", ana.id, "c", timedelta(hours=2))
    accounts.set_disabled("ana@example.com")
    assert accounts.session("s1", IDLE) is None and accounts.session("s2", IDLE) is None
    accounts.set_disabled("ana@example.com", False)
    accounts.create_session("s3", ana.id, "c", timedelta(hours=2))
    accounts.set_password("ana@example.com", "new hash")
    assert accounts.session("s3", IDLE) is None
    accounts.create_session("s4", ana.id, "c", timedelta(hours=2))
    accounts.end_session("s4")
    assert accounts.session("s4", IDLE) is None


def test_tokens_revoked_or_of_a_disabled_agent_are_refused(accounts: AccountStore) -> None:
    ana = accounts.add_agent("ana@example.com", "Ana", "agent", "hash")
    bo = accounts.add_agent("bo@example.com", "Bo", "agent", "hash")
    t_ana = accounts.create_token(ana.id, "ci", "a" * 64)
    t_bo = accounts.create_token(bo.id, "ci", "b" * 64)
    service = accounts.create_token(None, "monitoring", "c" * 64)
    found = accounts.token("a" * 64)
    assert found is not None and found[1] is not None and found[1].id == ana.id
    found = accounts.token("c" * 64)
    assert found is not None and found[0].id == service.id and found[1] is None  # a service token
    assert accounts.list_tokens(everyone=True)[2].last_used_at is not None
    assert not accounts.revoke_token(t_ana.id, owner=bo.id)  # not Bo's to revoke
    assert accounts.revoke_token(t_ana.id, owner=ana.id)
    assert not accounts.revoke_token(t_ana.id)  # already revoked
    assert accounts.token("a" * 64) is None and accounts.token("b" * 64) is not None
    accounts.set_disabled("bo@example.com")
    assert accounts.token("b" * 64) is None and accounts.token("c" * 64) is not None
    assert [t.id for t in accounts.list_tokens(bo.id)] == [t_bo.id]
    assert {t.id for t in accounts.list_tokens(everyone=True)} == {t_ana.id, t_bo.id, service.id}
    with pytest.raises(InvalidValue):
        accounts.create_token(ana.id, "x", "short")
    with pytest.raises(AgentNotFound):
        accounts.create_token(999, "x", H64)
