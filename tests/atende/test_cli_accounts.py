"""`atende agents` and `atende tokens`: the first admin comes from here, and tokens are printed once."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from atende.cli import app
from atende.console.auth import check_password, digest
from ticket_core import TicketStore
from ticket_core.accounts import AccountStore


@pytest.fixture()
def env(tmp_path: Path) -> dict[str, str]:
    return {"ATENDE_DATA_DIR": str(tmp_path / "data"), "ATENDE_DATABASE_URL": ""}


def run(env: dict[str, str], *args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), input=stdin, env=env)
    return result.exit_code, result.output


def accounts(env: dict[str, str]) -> tuple[TicketStore, AccountStore]:
    store = TicketStore.open(f"sqlite:///{env['ATENDE_DATA_DIR']}/atende.db")
    return store, AccountStore(store.engine)


def test_add_the_first_admin_from_stdin_and_list(env: dict[str, str]) -> None:
    code, out = run(env, "agents", "add", "Boss@Example.com", "--name", "The Boss", "--role", "admin",
                    "--password-stdin", stdin="a long enough password\n")
    assert code == 0, out
    assert "added admin boss@example.com" in out
    code, out = run(env, "agents", "list")
    assert code == 0 and "boss@example.com\tadmin\tactive\tThe Boss" in out
    store, acc = accounts(env)
    with store:
        agent = acc.find_agent("boss@example.com")
        assert agent is not None and check_password(agent.password_hash, "a long enough password")
        assert "a long enough password" not in agent.password_hash


def test_the_password_prompt_asks_twice_and_refuses_short_ones(env: dict[str, str]) -> None:
    code, out = run(env, "agents", "add", "ana@example.com", "--name", "Ana",
                    stdin="another good password\nanother good password\n")
    assert code == 0, out
    code, out = run(env, "agents", "add", "bo@example.com", "--name", "Bo", "--password-stdin",
                    stdin="short\n")
    assert code == 2 and "at least" in out
    code, out = run(env, "agents", "add", "ana@example.com", "--name", "Ana", "--password-stdin",
                    stdin="another good password\n")
    assert code == 1 and "exists already" in out
    code, out = run(env, "agents", "add", "cy@example.com", "--name", "Cy", "--role", "root",
                    "--password-stdin", stdin="another good password\n")
    assert code == 1 and "role" in out


def test_disable_and_reset_password(env: dict[str, str]) -> None:
    run(env, "agents", "add", "ana@example.com", "--name", "Ana", "--password-stdin",
        stdin="first password!\n")
    assert run(env, "agents", "disable", "ana@example.com")[0] == 0
    assert "\tdisabled\t" in run(env, "agents", "list")[1]
    assert run(env, "agents", "disable", "ana@example.com", "--enable")[0] == 0
    code, out = run(env, "agents", "reset-password", "ana@example.com", "--password-stdin",
                    stdin="second password!\n")
    assert code == 0, out
    assert run(env, "agents", "disable", "nobody@example.com")[0] == 1
    store, acc = accounts(env)
    with store:
        agent = acc.find_agent("ana@example.com")
        assert agent is not None and not agent.disabled
        assert check_password(agent.password_hash, "second password!")


def test_tokens_create_list_revoke(env: dict[str, str]) -> None:
    run(env, "agents", "add", "ana@example.com", "--name", "Ana", "--password-stdin",
        stdin="first password!\n")
    code, out = run(env, "tokens", "create", "--agent", "ana@example.com", "--name", "ci")
    assert code == 0, out
    token = out.strip().splitlines()[-1]
    assert token.startswith("atd_")
    code, out = run(env, "tokens", "create", "--service", "--name", "monitoring")
    assert code == 0
    assert run(env, "tokens", "create", "--name", "neither")[0] == 2
    assert run(env, "tokens", "create", "--agent", "nobody@example.com", "--name", "x")[0] == 1
    code, out = run(env, "tokens", "list")
    assert "1\tana@example.com\tactive\tci" in out and "2\tservice\tactive\tmonitoring" in out
    assert token not in out
    store, acc = accounts(env)
    with store:
        found = acc.token(digest(token))
        assert found is not None and found[1] is not None and found[1].email == "ana@example.com"
    assert run(env, "tokens", "revoke", "1")[0] == 0
    assert run(env, "tokens", "revoke", "1")[0] == 1
    assert "1\tana@example.com\trevoked\tci" in run(env, "tokens", "list")[1]
    store, acc = accounts(env)
    with store:
        assert acc.token(digest(token)) is None
