"""`atende people import FILE.csv`: load the organisation's directory so identities link across channels.

A person who opens a ticket by e-mail and later writes on WhatsApp is one person only if something vouches
that the e-mail address and the phone number belong together. The channels verify one each; the directory
(an HR or LDAP export the service desk trusts) verifies both at once.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated

import typer

people_app = typer.Typer(help="The people directory: link e-mail addresses and phone numbers.",
                         no_args_is_help=True)


def import_directory(store: object, path: Path) -> tuple[int, list[str]]:
    """Upsert one person per CSV row (columns: email, phone, name; either email or phone required).

    Returns the number of rows imported and one message per refused row (line number and reason)."""
    from ticket_core import TicketError

    imported, problems = 0, []
    with path.open(newline="", encoding="utf-8-sig") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            email = (row.get("email") or "").strip() or None
            phone = (row.get("phone") or "").strip() or None
            name = (row.get("name") or "").strip() or None
            if not email and not phone:
                problems.append(f"line {line}: needs an email or a phone")
                continue
            try:
                store.upsert_person("directory", (email or phone or "").lower(),  # type: ignore[attr-defined]
                                    display_name=name, email=email, phone=phone)
            except TicketError as exc:
                problems.append(f"line {line}: {exc}")
                continue
            imported += 1
    return imported, problems


@people_app.command("import")
def import_command(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)]) -> None:
    """Import a CSV with columns email, phone, name (an HR/LDAP export)."""
    from atende.runtime import build_policy
    from atende.settings import load_settings
    from ticket_core import TicketStore

    settings = load_settings()
    with TicketStore.open(settings.resolved_database_url, build_policy(settings)) as store:
        count, problems = import_directory(store, file)
    for p in problems:
        typer.echo(f"skipped {p}", err=True)
    typer.echo(f"imported {count} people")


def register(app: typer.Typer) -> None:
    app.add_typer(people_app, name="people")
