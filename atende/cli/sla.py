"""`atende sla check` validates the SLA data file and shows when a ticket filed now would be due;
`atende sla recompute` replays every ticket's log on the current file after a calendar or target edit."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

sla_app = typer.Typer(help="The SLA data file: check it, recompute tickets after editing it.",
                      no_args_is_help=True)


@sla_app.command("check")
def check(file: Annotated[Path | None, typer.Argument(help="default: ATENDE_SLA_FILE")] = None) -> None:
    """Load and validate the SLA data file; print each calendar and the due times of a ticket filed now."""
    from atende.settings import load_settings
    from ticket_core import PRIORITIES, InvalidValue, TicketPolicy
    from ticket_core.sla import SlaConfig

    path = file or load_settings().sla_file
    try:
        config = SlaConfig.load(path)
    except InvalidValue as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    now = datetime.now(UTC)
    typer.echo(f"{path or 'default SLA file'}: OK; warnings at {', '.join(map(str, config.warnings))}%; "
               f"paused in {', '.join(sorted(config.pausing))}")
    for name in config.calendars:
        policy = TicketPolicy(sla_config=replace(config, default_calendar=name))
        typer.echo(f"calendar {name} ({config.calendars[name].timezone}):")
        for priority in PRIORITIES:
            first, resolution = policy.due_times(priority, now)
            typer.echo(f"  {priority}: first response by {first:%Y-%m-%d %H:%M} UTC, "
                       f"resolution by {resolution:%Y-%m-%d %H:%M} UTC")


@sla_app.command("recompute")
def recompute(open_only: Annotated[bool, typer.Option(help="only tickets still open")] = False) -> None:
    """Replay every ticket's log on the current SLA file and store the state and due times."""
    from atende.runtime import build_policy
    from atende.settings import load_settings
    from ticket_core import TicketStore
    from ticket_core.sla_ledger import SlaLedger

    settings = load_settings()
    with TicketStore.open(settings.resolved_database_url, build_policy(settings)) as store:
        count = SlaLedger(store).recompute(open_only=open_only)
    typer.echo(f"recomputed the SLA of {count} tickets")


def register(app: typer.Typer) -> None:
    app.add_typer(sla_app, name="sla")
