"""Desk reports computed by the database (see docs/reports.md for the definitions)."""

from ticket_core.reports.period import MAX_DAYS, Period, make_period, zone_named
from ticket_core.reports.summary import ALERT_CHANNEL, BACKLOG_BUCKETS, CSAT_SCORES, summary

__all__ = [
    "ALERT_CHANNEL",
    "BACKLOG_BUCKETS",
    "CSAT_SCORES",
    "MAX_DAYS",
    "Period",
    "make_period",
    "summary",
    "zone_named",
]
