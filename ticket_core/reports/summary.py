"""The desk's report over a period, computed by the database: five aggregate queries over the tickets
created in the period (GROUP BY local day or priority, EXISTS sub-queries on the event log and on the
requester's other tickets), never a ticket loaded into Python. docs/reports.md defines every figure.

The cohort is the tickets *created* in the period; each figure says what it counts of them. Rates are
fractions in 0..1 rounded to 4 places, and ``None`` when their denominator is 0.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, Interval, and_, case, func, literal, not_, or_, select, true
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from ticket_core.domain import NON_AGENT_ACTORS, OPEN_STATUSES, PRIORITIES
from ticket_core.reports.period import Period, day_of, iso_week, local_day
from ticket_core.schema import EventRow, TicketRow

#: The channel of tickets a monitoring alert opened (not a person): kept out of the user-facing rates.
ALERT_CHANNEL = "alert"
#: How long after a ticket a new one from the same requester counts as "coming back".
WINDOW = timedelta(days=7)
UNKNOWN_LANGUAGE = "unknown"
BACKLOG_BUCKETS = ("lt_1d", "1_3d", "3_7d", "gt_7d")
CSAT_SCORES = ("1", "2", "3", "4", "5")

T = TicketRow
Later = aliased(TicketRow, name="later")


def rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def summary(engine: Engine, period: Period) -> dict[str, Any]:
    dialect = engine.dialect.name
    with engine.connect() as conn:
        if dialect == "postgresql":
            # The estimated cost (a sub-plan per ticket) makes PostgreSQL JIT-compile the plan, which takes
            # seconds for a query that runs in a fraction of one; and the sorts fit in memory with a little
            # more than the default 4 MB. SET LOCAL: for this read-only transaction only.
            conn.exec_driver_sql("SET LOCAL jit = off")
            conn.exec_driver_sql("SET LOCAL work_mem = '64MB'")
        cohort = conn.execute(_cohort_query(period, dialect)).all()
        ratings = conn.execute(_sla_csat_query(period)).all()
        backlog = conn.execute(_backlog_query(period)).all()
    out: dict[str, Any] = {
        "from": period.first.isoformat(),
        "to": period.last.isoformat(),
        "tz": period.zone.key,
        "generated_at": period.now.isoformat(),
    }
    out.update(_volume(period, cohort))
    out.update(_outcomes(period, cohort))
    out.update(_sla(ratings))
    out.update(_csat(ratings))
    out.update(_backlog(backlog))
    return out


# -- queries ------------------------------------------------------------------------------------------
def _created_in(period: Period) -> ColumnElement[bool]:
    return and_(T.created_at >= period.start, T.created_at < period.end)


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _agent(actor: Any) -> ColumnElement[bool]:
    return and_(actor.not_in(sorted(NON_AGENT_ACTORS)), not_(actor.like("requester:%")))


def _cohort_query(period: Period, dialect: str) -> Any:
    """Per (local day, channel, category, language): tickets created, category corrections, first-contact
    resolutions and their base, deflections. One pass over the cohort feeds the volume series and the rates.

    The event log is read once: one pass over the cohort's events of three kinds, grouped per ticket into
    flags (``_event_flags``), joined back to the tickets. The requester's later tickets are looked up last
    (an EXISTS on the (requester, created_at) index), and only for the tickets that still qualify."""
    flags = _event_flags(period)
    user = T.channel != ALERT_CHANNEL
    resolved_once, reopened = flags.c.resolved_once == 1, func.coalesce(flags.c.reopened, 0) == 1
    came_back = (
        select(literal(1))
        .where(
            Later.requester_id == T.requester_id,
            Later.created_at > T.created_at,
            Later.created_at <= _plus(T.resolved_at, WINDOW, dialect),
        )
        .exists()
    )
    reported_again = (
        select(literal(1))
        .where(
            Later.requester_id == T.requester_id,
            Later.created_at > T.created_at,
            Later.created_at <= _plus(T.created_at, WINDOW, dialect),
            Later.category == T.category,
        )
        .exists()
    )
    day = local_day(T.created_at, period, dialect).label("day")
    language = func.coalesce(T.language, UNKNOWN_LANGUAGE).label("language")
    return (
        select(
            day,
            T.channel,
            T.category,
            language,
            func.count().label("n"),
            _count_if(flags.c.corrected == 1).label("corrected"),
            _count_if(resolved_once).label("fcr_base"),
            _count_if(
                and_(user, resolved_once, not_(reopened), T.resolved_at.is_not(None), not_(came_back))
            ).label("fcr"),
            _count_if(and_(user, flags.c.accepted == 1, not_(reopened), not_(reported_again))).label(
                "deflected"
            ),
        )
        .select_from(T)
        .outerjoin(flags, flags.c.ticket_id == T.id)
        .where(_created_in(period))
        .group_by(day, T.channel, T.category, language)
    )


def _event_flags(period: Period) -> Any:
    """Per ticket of the cohort with a relevant event: corrected by an agent, ever resolved by a status
    change, reopened (a resolution moved back to open), a knowledge-base article accepted."""
    kind, payload = EventRow.kind, EventRow.payload

    def flag(*condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.max(case((and_(*condition), 1), else_=0))

    status_to = payload["to"].as_string()
    return (
        select(
            EventRow.ticket_id,
            flag(kind == "field_changed", payload["field"].as_string() == "category", _agent(EventRow.actor))
            .label("corrected"),
            flag(kind == "status_changed", status_to == "resolved").label("resolved_once"),
            flag(
                kind == "status_changed",
                status_to == "open",
                payload["from"].as_string().in_(("resolved", "self_service_resolved")),
            ).label("reopened"),
            flag(kind == "kb_linked", payload["solved"].as_boolean() == true()).label("accepted"),
        )
        .join(T, T.id == EventRow.ticket_id)
        .where(_created_in(period), kind.in_(("field_changed", "status_changed", "kb_linked")))
        .group_by(EventRow.ticket_id)
        .subquery("flags")
    )


def _plus(column: Any, delta: timedelta, dialect: str) -> ColumnElement[Any]:
    """``column + delta`` in the column's own stored form, so the comparison it is used in keeps its index.
    SQLite stores ``YYYY-MM-DD HH:MM:SS.ffffff`` text: the shifted seconds, then the original fraction."""
    if dialect == "sqlite":
        seconds = f"+{int(delta.total_seconds())} seconds"
        return func.strftime("%Y-%m-%d %H:%M:%S", column, seconds).op("||")(func.substr(column, 20))
    shifted: ColumnElement[Any] = column + literal(delta, Interval())
    return shifted


def _sla_csat_query(period: Period) -> Any:
    """Per (priority, CSAT score): first-response and resolution targets that have an outcome (met, or
    breached: past due without it) and how many were met. Targets still running are not counted yet."""
    now = period.now
    responded = T.first_responded_at
    done = func.coalesce(T.resolved_at, T.closed_at)
    fr_due = T.first_response_due.is_not(None)
    res_due = T.resolution_due.is_not(None)
    return (
        select(
            T.priority,
            T.csat_score,
            func.count().label("n"),
            _count_if(and_(fr_due, or_(responded.is_not(None), T.first_response_due < now))).label("fr"),
            _count_if(and_(fr_due, responded.is_not(None), responded <= T.first_response_due)).label(
                "fr_met"
            ),
            _count_if(and_(res_due, or_(done.is_not(None), T.resolution_due < now))).label("res"),
            _count_if(and_(res_due, done.is_not(None), done <= T.resolution_due)).label("res_met"),
        )
        .where(_created_in(period))
        .group_by(T.priority, T.csat_score)
    )


def _backlog_query(period: Period) -> Any:
    """Tickets still open now that were created before the period's end, by age now."""
    now = period.now
    bucket = case(
        (T.created_at > now - timedelta(days=1), BACKLOG_BUCKETS[0]),
        (T.created_at > now - timedelta(days=3), BACKLOG_BUCKETS[1]),
        (T.created_at > now - timedelta(days=7), BACKLOG_BUCKETS[2]),
        else_=BACKLOG_BUCKETS[3],
    ).label("bucket")
    return (
        select(bucket, func.count().label("n"))
        .where(T.status.in_(sorted(OPEN_STATUSES)), T.created_at < min(period.end, now))
        .group_by(bucket)
    )


# -- shaping --------------------------------------------------------------------------------------------
def _volume(period: Period, rows: Sequence[Any]) -> dict[str, Any]:
    first = period.days[0].toordinal() - day_of(0).toordinal()  # the period's first day as a day number
    size = len(period.days)
    totals: dict[str, dict[str, int]] = {"channel": defaultdict(int), "category": defaultdict(int),
                                         "language": defaultdict(int)}
    series: dict[str, dict[str, list[int]]] = {k: {} for k in totals}
    origin = {"user": [0] * size, "alert": [0] * size}
    for day_number, channel, category, language, n, *_ in rows:
        i = day_number - first
        if not 0 <= i < size:  # cannot happen (the WHERE and the day agree); never index out of the series
            continue
        for dim, key in (("channel", channel), ("category", category), ("language", language)):
            totals[dim][key] += n
            line = series[dim].get(key)
            if line is None:
                line = series[dim][key] = [0] * size
            line[i] += n
        origin["alert" if channel == ALERT_CHANNEL else "user"][i] += n
    return {
        "tickets_created": sum(totals["channel"].values()),
        "by_channel": _sorted(totals["channel"]),
        "by_category": _sorted(totals["category"]),
        "by_language": _sorted(totals["language"]),
        "alert_opened": sum(origin["alert"]),
        "user_opened": sum(origin["user"]),
        "days": [d.isoformat() for d in period.days],
        "volume_by_channel": {k: series["channel"][k] for k in sorted(series["channel"])},
        "volume_by_category": {k: series["category"][k] for k in sorted(series["category"])},
        "volume_by_language": {k: series["language"][k] for k in sorted(series["language"])},
        "volume_by_origin": origin,
    }


def _outcomes(period: Period, rows: Sequence[Any]) -> dict[str, Any]:
    weeks: dict[str, list[int]] = {iso_week(d): [0, 0] for d in period.days}
    user = corrected = fcr_base = fcr = deflected = 0
    seen: dict[int, list[int]] = {}
    for day_number, channel, _, _, n_user, n_corrected, n_base, n_fcr, n_deflected in rows:
        if channel == ALERT_CHANNEL:
            continue
        user, corrected, fcr_base = user + n_user, corrected + n_corrected, fcr_base + n_base
        fcr, deflected = fcr + n_fcr, deflected + n_deflected
        week = seen.get(day_number)
        if week is None:
            week = seen[day_number] = weeks.setdefault(iso_week(day_of(day_number)), [0, 0])
        week[0] += n_user
        week[1] += n_corrected
    return {
        "deflection_rate": rate(deflected, user),
        "deflection": {"deflected": deflected, "user_opened": user},
        "first_contact_resolution_rate": rate(fcr, fcr_base),
        "first_contact_resolution": {"first_contact": fcr, "resolved": fcr_base},
        "category_corrected_rate": rate(corrected, user),
        "category_corrected": {"corrected": corrected, "user_opened": user},
        "drift_by_week": [
            {"week": w, "user_opened": n, "corrected": c, "rate": rate(c, n)} for w, (n, c) in weeks.items()
        ],
    }


def _sla(rows: Sequence[Any]) -> dict[str, Any]:
    per = {p: {"first_response": [0, 0], "resolution": [0, 0]} for p in PRIORITIES}
    for priority, _, _, fr, fr_met, res, res_met in rows:
        for target, met, total in (("first_response", fr_met, fr), ("resolution", res_met, res)):
            per[priority][target][0] += met
            per[priority][target][1] += total
    totals = {k: [sum(v[k][0] for v in per.values()), sum(v[k][1] for v in per.values())]
              for k in ("first_response", "resolution")}
    return {
        "sla_first_response_met_rate": rate(*totals["first_response"]),
        "sla_resolution_met_rate": rate(*totals["resolution"]),
        "sla_by_priority": {
            p: {
                "first_response_met": v["first_response"][0],
                "first_response_total": v["first_response"][1],
                "first_response_met_rate": rate(*v["first_response"]),
                "resolution_met": v["resolution"][0],
                "resolution_total": v["resolution"][1],
                "resolution_met_rate": rate(*v["resolution"]),
            }
            for p, v in per.items()
        },
    }


def _csat(rows: Sequence[Any]) -> dict[str, Any]:
    distribution = dict.fromkeys(CSAT_SCORES, 0)
    for _, score, n, *_ in rows:
        if score is not None:
            distribution[str(score)] += n
    responses = sum(distribution.values())
    total = sum(int(k) * n for k, n in distribution.items())
    return {
        "csat_average": round(total / responses, 2) if responses else None,
        "csat_responses": responses,
        "csat_distribution": distribution,
    }


def _backlog(rows: Sequence[Any]) -> dict[str, Any]:
    ageing = dict.fromkeys(BACKLOG_BUCKETS, 0)
    for bucket, n in rows:
        ageing[bucket] = n
    return {"backlog_open": sum(ageing.values()), "backlog_ageing": ageing}


def _sorted(counts: dict[str, int]) -> dict[str, int]:
    return {k: counts[k] for k in sorted(counts)}
