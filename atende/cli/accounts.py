"""`atende agents ...` and `atende tokens ...`: console accounts and personal/service API tokens.

The first admin can only come from here (``atende agents add you@example.com --name You --role admin``);
after that admins manage agents in the console too. Passwords come from a hidden prompt (typed twice) or,
for scripts, the first line of stdin with ``--password-stdin``; never from the command line, where other
users of the machine could read them.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer

agents_app = typer.Typer(help="Console accounts: add, list, disable, reset passwords.", no_args_is_help=True)
STDIN_HELP = "read the password from the first line of stdin"
tokens_app = typer.Typer(help="API tokens: personal (an agent's) or service tokens.", no_args_is_help=True)


@contextmanager
def _accounts() -> Iterator[Any]:
    from atende.runtime import build_policy
    from atende.settings import SettingsError, load_settings
    from ticket_core import TicketStore
    from ticket_core.accounts import AccountStore

    try:
        settings = load_settings()
    except SettingsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    with TicketStore.open(settings.resolved_database_url, build_policy(settings)) as store:
        yield AccountStore(store.engine)


def _password(from_stdin: bool) -> str:
    from atende.console.auth import MIN_PASSWORD

    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < MIN_PASSWORD:
        typer.echo(f"error: the password needs at least {MIN_PASSWORD} characters", err=True)
        raise typer.Exit(2)
    return password


def _fail(exc: Exception) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(1)


@agents_app.command("add")
def add(
    email: str,
    name: Annotated[str, typer.Option(help="the agent's name as the console shows it")],
    role: Annotated[str, typer.Option(help="agent or admin")] = "agent",
    language: Annotated[str, typer.Option(help="console language: es, pt or en")] = "en",
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help=STDIN_HELP)] = False,
) -> None:
    """Add a console account."""
    from atende.console.auth import hash_password
    from ticket_core import TicketError

    password = _password(password_stdin)
    with _accounts() as accounts:
        try:
            agent = accounts.add_agent(email, name, role, hash_password(password), language)
        except TicketError as exc:
            raise _fail(exc) from None
    typer.echo(f"added {agent.role} {agent.email} (id {agent.id})")


@agents_app.command("list")
def list_agents() -> None:
    """Every console account: id, e-mail, role, state, name."""
    with _accounts() as accounts:
        for a in accounts.list_agents():
            state = "disabled" if a.disabled else ("locked" if accounts.is_locked(a) else "active")
            typer.echo(f"{a.id}\t{a.email}\t{a.role}\t{state}\t{a.name}")


@agents_app.command("disable")
def disable(
    email: str, enable: Annotated[bool, typer.Option("--enable", help="enable the account again")] = False,
) -> None:
    """Disable an account: its sessions end and its tokens stop working at once."""
    from ticket_core import TicketError

    with _accounts() as accounts:
        try:
            agent = accounts.set_disabled(email, not enable)
        except TicketError as exc:
            raise _fail(exc) from None
    typer.echo(f"{'enabled' if enable else 'disabled'} {agent.email}")


@agents_app.command("reset-password")
def reset_password(
    email: str,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help=STDIN_HELP)] = False,
) -> None:
    """Set a new password (ends the agent's sessions and lifts a lockout)."""
    from atende.console.auth import hash_password
    from ticket_core import TicketError

    password = _password(password_stdin)
    with _accounts() as accounts:
        try:
            agent = accounts.set_password(email, hash_password(password))
        except TicketError as exc:
            raise _fail(exc) from None
    typer.echo(f"password reset for {agent.email}")


@tokens_app.command("create")
def create_token(
    name: Annotated[str, typer.Option(help="what the token is for (shown in lists)")],
    agent: Annotated[str | None, typer.Option(help="the agent's e-mail: a personal token")] = None,
    service: Annotated[bool, typer.Option("--service", help="a service token (no agent)")] = False,
) -> None:
    """Create a token and print it once (only its SHA-256 is stored)."""
    from atende.console.auth import digest
    from atende.console.pages import new_api_token

    if (agent is None) == (not service):
        typer.echo("error: give --agent EMAIL (a personal token) or --service", err=True)
        raise typer.Exit(2)
    token = new_api_token()
    with _accounts() as accounts:
        owner = None
        if agent is not None:
            found = accounts.find_agent(agent)
            if found is None:
                raise _fail(LookupError(f"no agent {agent}"))
            owner = found.id
        info = accounts.create_token(owner, name, digest(token))
    typer.echo(f"token {info.id} created; it is shown only now:", err=True)
    typer.echo(token)


@tokens_app.command("list")
def list_tokens(agent: Annotated[str | None, typer.Option(help="only this agent's tokens")] = None) -> None:
    """Tokens: id, owner (or "service"), state, name, created, last used."""
    with _accounts() as accounts:
        if agent is not None:
            found = accounts.find_agent(agent)
            tokens = accounts.list_tokens(found.id) if found is not None else []
        else:
            tokens = accounts.list_tokens(everyone=True)
        for tok in tokens:
            state = "revoked" if tok.revoked_at else "active"
            used = tok.last_used_at.isoformat(timespec="seconds") if tok.last_used_at else "never"
            typer.echo(f"{tok.id}\t{tok.agent_email or 'service'}\t{state}\t{tok.name}\t"
                       f"{tok.created_at.isoformat(timespec='seconds')}\t{used}")


@tokens_app.command("revoke")
def revoke(token_id: int) -> None:
    """Revoke a token: it is refused from the next request on."""
    with _accounts() as accounts:
        if not accounts.revoke_token(token_id):
            typer.echo(f"error: no active token {token_id}", err=True)
            raise typer.Exit(1)
    typer.echo(f"revoked token {token_id}")


def register(app: typer.Typer) -> None:
    app.add_typer(agents_app, name="agents")
    app.add_typer(tokens_app, name="tokens")
