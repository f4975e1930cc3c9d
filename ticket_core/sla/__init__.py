"""The SLA clock: business-hours calendars (:mod:`.calendar`), the state of a ticket's targets as a pure
function of its event log (:mod:`.clock`) and the desk's SLA data file (:mod:`.config`)."""

from ticket_core.sla.calendar import ALWAYS_OPEN, AlwaysOpen, Calendar, Holidays, parse_hours
from ticket_core.sla.clock import TARGETS, PriorityTargets, SlaState, TargetSpec, TargetState, replay
from ticket_core.sla.config import BREACH_LEVEL, Escalation, Recipients, SlaConfig

__all__ = [
    "ALWAYS_OPEN",
    "BREACH_LEVEL",
    "TARGETS",
    "AlwaysOpen",
    "Calendar",
    "Escalation",
    "Holidays",
    "PriorityTargets",
    "Recipients",
    "SlaConfig",
    "SlaState",
    "TargetSpec",
    "TargetState",
    "parse_hours",
    "replay",
]
