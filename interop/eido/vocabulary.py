"""The words EIDO's registries use for our statuses and grades, both ways (docs/interop.md).

NENA's registries (incident status, unit status) are open lists; these are the values we send,
and the ones we understand back. Our own status always travels beside them, in the EIDO's
"internal" fields, so a partner running this service reads it exactly."""

from __future__ import annotations

from cad.events import Grade
from cad.incident_record import IncidentStatus

S = IncidentStatus
_INCIDENT_STATUS: dict[str, str] = {
    S.NEW: "Received",
    S.PENDING: "Queued",
    S.DISPATCHED: "Dispatched",
    S.EN_ROUTE: "Dispatched",
    S.ON_SCENE: "OnScene",
    S.AWAITING_RESULT: "Cleared",
    S.CLOSED: "Closed",
    S.CANCELLED: "Cancelled",
    S.REFERRED: "Referred",
    S.TRANSFER: "TransferPending",
    S.TRANSFERRED: "Transferred",
}

_UNIT_STATUS: dict[str, str] = {
    "assigned": "Dispatched",
    "en_route": "Enroute",
    "on_scene": "OnScene",
    "busy": "OnScene",
    "cleared": "Cleared",
}

# EIDO's common priority is a number, 1 the most urgent.
PRIORITY: dict[Grade, int] = {
    Grade.IMMEDIATE: 1,
    Grade.SIGNIFICANT: 2,
    Grade.EXTENDED: 3,
    Grade.REFERRED: 4,
}
GRADE_OF_PRIORITY: dict[int, Grade] = {n: g for g, n in PRIORITY.items()}


def incident_status(status: str) -> str:
    """The registry's word for our incident status (our word if it has none)."""
    return _INCIDENT_STATUS.get(status, status)


def unit_status(status: str) -> str:
    """The registry's word for a unit's status with the incident."""
    return _UNIT_STATUS.get(status, "Unknown")
