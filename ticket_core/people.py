"""Requesters and their channel identities.

One person may write from WhatsApp, e-mail and Slack. Identities are linked only through contact data the
channel verified (the e-mail From address, a Twilio caller id, a Slack profile e-mail): a new identity that
carries an e-mail or phone already known attaches to that person. Nothing is ever merged after the fact,
so a ticket never changes owner behind the requester's back.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from ticket_core import values
from ticket_core.schema import IdentityRow, PersonRow


def upsert_person(
    session: Session,
    channel: str,
    address: str,
    *,
    display_name: str | None,
    email: str | None,
    phone: str | None,
    now: datetime,
) -> PersonRow:
    """The person behind ``channel:address``, created or linked as needed, enriched with contact data it
    lacked. Call inside a write transaction; a concurrent insert of the same identity, e-mail or phone shows
    up as an IntegrityError at flush, and the caller retries the whole transaction."""
    channel = values.text(channel, "channel", 32)
    address = values.text(address, "address", 320)
    display_name = values.optional_text(display_name, "display_name", 200)
    email = values.email(email)
    phone = values.phone(phone)

    identity = session.scalar(
        select(IdentityRow).where(IdentityRow.channel == channel, IdentityRow.address == address)
    )
    if identity is not None:
        person = identity.person
    else:
        found = _find_by_contact(session, email, phone)
        if found is None:
            # Contact data goes in with the INSERT: if a concurrent first contact claims the same e-mail or
            # phone, the unique index fails this transaction and the retry links to that person instead.
            found = PersonRow(display_name=display_name, email=email, phone=phone, created_at=now)
            session.add(found)
        person = found
        person.identities.append(IdentityRow(channel=channel, address=address, created_at=now))
    if display_name and not person.display_name:
        person.display_name = display_name
    if email and person.email is None and not _taken(session, PersonRow.email == email):
        person.email = email
    if phone and person.phone is None and not _taken(session, PersonRow.phone == phone):
        person.phone = phone
    session.flush()
    return person


def person_id_for(session: Session, channel: str, address: str) -> int | None:
    return session.scalar(
        select(IdentityRow.person_id).where(
            IdentityRow.channel == channel, IdentityRow.address == address.strip()
        )
    )


def _taken(session: Session, condition: ColumnElement[bool]) -> bool:
    return session.scalar(select(PersonRow.id).where(condition)) is not None


def _find_by_contact(session: Session, email: str | None, phone: str | None) -> PersonRow | None:
    if email:
        person = session.scalar(select(PersonRow).where(PersonRow.email == email))
        if person is not None:
            return person
    if phone:
        return session.scalar(select(PersonRow).where(PersonRow.phone == phone))
    return None
