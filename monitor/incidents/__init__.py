"""Incidents: grouping scored mentions, spike detection, escalation, lifecycle and reports.

Nothing happens at import time; the composition root builds an ``IncidentContext`` with
``build_incident_context`` and passes it to these functions together with a session.
"""

from monitor.incidents.context import (
    IncidentCache,
    IncidentContext,
    IncidentRules,
    SpikeRules,
    build_incident_context,
)
from monitor.incidents.finish import AssignResult
from monitor.incidents.grouping import assign_incidents
from monitor.incidents.lifecycle import (
    LifecycleError,
    Transition,
    acknowledge_incident,
    escalate_now,
    mark_false_positive,
    record_response,
    reopen_by_id,
    resolve_incident,
)
from monitor.incidents.messages import build_message
from monitor.incidents.report import incident_report
from monitor.incidents.tick import TickResult, tick_escalations

__all__ = [
    "AssignResult",
    "IncidentCache",
    "IncidentContext",
    "IncidentRules",
    "LifecycleError",
    "SpikeRules",
    "TickResult",
    "Transition",
    "acknowledge_incident",
    "assign_incidents",
    "build_incident_context",
    "build_message",
    "escalate_now",
    "incident_report",
    "mark_false_positive",
    "record_response",
    "reopen_by_id",
    "resolve_incident",
    "tick_escalations",
]
