"""The queue's query and view-model: filters from the page's query string, named views with their counts,
rows ready for the template.

The filters map one to one onto :meth:`ticket_core.TicketStore.list_tickets` (every filter is a WHERE on an
indexed or small column, search included), so a page is two queries plus one count per view. A bad value
in the query string is the client's mistake and is named (:class:`BadFilter`), never silently widened into
"everything".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from ticket_core import PRIORITIES, STATUSES, TICKET_TYPES, Ticket, TicketStore

#: The views above the table, in order: name -> the filters that define it (``me`` is the agent).
VIEWS: tuple[str, ...] = ("open", "mine", "unassigned", "human", "all")
ASSIGNEES: tuple[str, ...] = ("anyone", "me", "unassigned")
SORTS: tuple[str, ...] = ("resolution_due", "first_response_due", "-created_at", "created_at")
LANGUAGES: tuple[str, ...] = ("es", "pt", "en")
PAGE_SIZE = 50


class BadFilter(ValueError):
    """A query-string value outside its domain; the message names the parameter."""


@dataclass(frozen=True, slots=True)
class QueueFilters:
    view: str = "open"
    status: str | None = None
    channel: str | None = None
    category: str | None = None
    priority: str | None = None
    type: str | None = None
    language: str | None = None
    assignee: str = "anyone"
    needs_human: bool = False
    q: str = ""
    sort: str = "resolution_due"  # the SLA clock: the ticket that breaches first comes first
    page: int = 1

    def query(self, **changes: Any) -> dict[str, str]:
        """These filters (with ``changes``) as query-string pairs, defaults left out: links keep the rest."""
        f = replace(self, **changes)
        pairs = {
            "view": f.view if f.view != "open" else "",
            "status": f.status or "", "channel": f.channel or "", "category": f.category or "",
            "priority": f.priority or "", "type": f.type or "", "language": f.language or "",
            "assignee": f.assignee if f.assignee != "anyone" else "",
            "needs_human": "1" if f.needs_human else "", "q": f.q,
            "sort": f.sort if f.sort != "resolution_due" else "", "page": str(f.page) if f.page > 1 else "",
        }
        return {k: v for k, v in pairs.items() if v}


def parse_filters(params: Mapping[str, str]) -> QueueFilters:
    """The filters of ``/console/?...``. Empty values mean "not filtered" (what an untouched select sends)."""

    def pick(name: str, allowed: tuple[str, ...] | None = None, max_len: int = 64) -> str | None:
        value = (params.get(name) or "").strip()
        if not value:
            return None
        if len(value) > max_len or (allowed is not None and value not in allowed):
            raise BadFilter(f"{name}: {value[:40]!r} is not a valid value")
        return value

    page = pick("page", max_len=6) or "1"
    if not page.isdigit() or int(page) < 1:
        raise BadFilter("page: must be a positive integer")
    human = pick("needs_human", ("1", "0", "true", "false", "on"))
    return QueueFilters(
        view=pick("view", VIEWS) or "open",
        status=pick("status", STATUSES),
        channel=pick("channel", max_len=32),
        category=pick("category"),
        priority=pick("priority", PRIORITIES),
        type=pick("type", TICKET_TYPES),
        language=pick("language", max_len=16),
        assignee=pick("assignee", ASSIGNEES) or "anyone",
        needs_human=human in ("1", "true", "on"),
        q=pick("q", max_len=200) or "",
        sort=pick("sort", SORTS) or "resolution_due",
        page=int(page),
    )


def view_filters(view: str, me: str) -> dict[str, Any]:
    """The store filters a named view stands for."""
    views: dict[str, dict[str, Any]] = {
        "open": {"open_only": True},
        "mine": {"open_only": True, "assignee": me},
        "unassigned": {"open_only": True, "assignee": ""},
        "human": {"open_only": True, "needs_human": True},
        "all": {},
    }
    return dict(views[view])


def store_filters(f: QueueFilters, me: str) -> dict[str, Any]:
    """``f`` as keyword arguments of ``list_tickets`` / ``count_tickets``. An explicit status wins over
    the view's "open only" (asking for resolved tickets in the open view shows the resolved ones)."""
    out = view_filters(f.view, me)
    if f.status is not None:
        out.pop("open_only", None)
        out["status"] = f.status
    for name in ("channel", "category", "priority", "type", "language"):
        if getattr(f, name) is not None:
            out[name] = getattr(f, name)
    if f.assignee == "me":
        out["assignee"] = me
    elif f.assignee == "unassigned":
        out["assignee"] = ""
    if f.needs_human:
        out["needs_human"] = True
    if f.q:
        out["q"] = f.q
    return out


@dataclass(frozen=True, slots=True)
class QueueRow:
    reference: str
    title: str
    status: str
    priority: str
    category: str
    type: str
    channel: str
    language: str | None
    requester: str
    assignee: str | None
    needs_human: bool
    created_at: datetime
    due: datetime | None  # the SLA time the sort uses
    overdue: bool


@dataclass(frozen=True, slots=True)
class QueuePage:
    filters: QueueFilters
    rows: list[QueueRow]
    total: int
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


def row(t: Ticket, now: datetime, sort: str = "resolution_due") -> QueueRow:
    target = "first_response" if sort == "first_response_due" else "resolution"
    due = t.first_response_due if target == "first_response" else t.resolution_due
    # The SLA clock's last stored state (business hours, pauses) knows of a breach the wall clock may not.
    state = (t.sla or {}).get(target)
    breached = isinstance(state, dict) and bool(state.get("breached")) and state.get("completed_at") is None
    return QueueRow(
        reference=t.reference, title=t.title, status=t.status, priority=t.priority, category=t.category,
        type=t.type, channel=t.channel, language=t.language, requester=requester_name(t),
        assignee=t.assignee, needs_human=t.needs_human, created_at=t.created_at, due=due,
        overdue=t.is_open and (breached or (due is not None and due < now)),
    )


def requester_name(t: Ticket) -> str:
    p = t.requester
    if p.display_name:
        return p.display_name
    if p.email or p.phone:
        return str(p.email or p.phone)
    if not p.identities:
        return "?"
    i = p.identities[0]  # an anonymous web-chat session id is long and means nothing to a person
    return f"{i.channel} {i.address[:10]}…" if len(i.address) > 16 else f"{i.channel} {i.address}"


def load_queue(store: TicketStore, f: QueueFilters, me: str, now: datetime) -> QueuePage:
    """One page of the queue and the count of every view (blocking: call through ``asyncio.to_thread``)."""
    where = store_filters(f, me)
    sort = f.sort if f.sort in SORTS else "resolution_due"
    tickets = store.list_tickets(**where, sort=sort, limit=PAGE_SIZE, offset=(f.page - 1) * PAGE_SIZE)
    total = store.count_tickets(**where)
    counts = {v: store.count_tickets(**view_filters(v, me)) for v in VIEWS}
    return QueuePage(filters=f, rows=[row(t, now, sort) for t in tickets], total=total, counts=counts)
