"""Canned responses: the desk's reply texts per language, with a fixed set of placeholders.

Admins keep them; agents insert one into the reply box and edit it before sending. The placeholders are a
closed set (``{requester_name}``, ``{reference}``) filled by plain replacement, never ``str.format``: a
canned text with other braces (a path, a JSON snippet) is sent as written and cannot reach attributes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ticket_core import values
from ticket_core.domain import CannedResponse, InvalidValue
from ticket_core.engine import writer
from ticket_core.schema import CannedResponseRow

PLACEHOLDERS: tuple[str, ...] = ("requester_name", "reference")
LANGUAGES: tuple[str, ...] = ("es", "pt", "en")


def fill(body: str, fields: Mapping[str, str]) -> str:
    """``body`` with each known ``{placeholder}`` replaced by ``fields[placeholder]`` (empty when absent)."""
    for name in PLACEHOLDERS:
        body = body.replace("{" + name + "}", fields.get(name, ""))
    return body


class CannedResponses:
    """Storage of canned responses on the ticket database (table ``canned_responses``, revision 0007)."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime]) -> None:
        self._reads = sessionmaker(bind=engine, expire_on_commit=False)
        self._writes = sessionmaker(bind=writer(engine), expire_on_commit=False)
        self._clock = clock

    def list(self, language: str | None = None) -> list[CannedResponse]:
        """All of them (or one language's), by language then title."""
        stmt = select(CannedResponseRow).order_by(CannedResponseRow.language, CannedResponseRow.title)
        if language is not None:
            stmt = stmt.where(CannedResponseRow.language == language)
        with self._reads() as s:
            return [_value(r) for r in s.scalars(stmt).all()]

    def get(self, canned_id: int) -> CannedResponse | None:
        with self._reads() as s:
            row = s.get(CannedResponseRow, canned_id)
            return _value(row) if row is not None else None

    def save(self, title: str, language: str, body: str, actor: str, canned_id: int | None = None
             ) -> CannedResponse:
        """Add one (``canned_id`` None) or replace one's title, language and body. A second one with the same
        title in the same language is refused: agents pick them by title."""
        title = values.text(title, "title", 120)
        language = values.one_of(language, LANGUAGES, "language")
        body = values.text(body, "body", 20000)
        actor = values.text(actor, "actor", 200)
        try:
            with self._writes() as s, s.begin():
                row = CannedResponseRow() if canned_id is None else s.get(CannedResponseRow, canned_id)
                if row is None:
                    raise InvalidValue(f"no canned response {canned_id}")
                row.title, row.language, row.body = title, language, body
                row.updated_by, row.updated_at = actor, values.aware(self._clock(), "clock()")
                s.add(row)
                s.flush()
                return _value(row)
        except IntegrityError:
            raise InvalidValue(f"a canned response titled {title!r} exists in {language}") from None

    def delete(self, canned_id: int) -> bool:
        with self._writes() as s, s.begin():
            return _delete(s, canned_id)


def _delete(s: Session, canned_id: int) -> bool:
    row = s.get(CannedResponseRow, canned_id)
    if row is None:
        return False
    s.delete(row)
    return True


def _value(row: CannedResponseRow) -> CannedResponse:
    return CannedResponse(
        id=row.id, title=row.title, language=row.language, body=row.body, updated_by=row.updated_by,
        updated_at=row.updated_at,
    )
