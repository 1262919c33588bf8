"""The incident life cycle as an explicit state machine; the Lua scripts enforce it in Redis.
The statuses themselves (and which are open or final) are the incident record's, in the kernel
(cad/incident_record.py), where both packages' scripts read them from."""

from __future__ import annotations

from enum import StrEnum

from cad.incident_record import OPEN, IncidentStatus


class ClosingCode(StrEnum):
    """How an incident ended (a subset of the Home Office style result codes)."""

    RESOLVED = "resolved"
    ARREST = "arrest"
    CRIME_REPORTED = "crime_reported"
    ADVICE_GIVEN = "advice_given"
    NO_TRACE = "no_trace"
    FALSE_ALARM = "false_alarm"
    DUPLICATE = "duplicate"
    NO_POLICE_ACTION = "no_police_action"


S = IncidentStatus

# What a call handler or dispatcher may do over the API; dispatch moves the rest (claims, MDTs).
ALLOWED_FROM: dict[IncidentStatus, frozenset[IncidentStatus]] = {
    S.CLOSED: OPEN,
    S.CANCELLED: frozenset({S.NEW, S.PENDING, S.TRANSFER}),
    S.REFERRED: frozenset({S.NEW, S.PENDING, S.TRANSFER}),
    S.PENDING: frozenset({S.NEW}),
    S.TRANSFERRED: OPEN,
}


def may_move(current: IncidentStatus, target: IncidentStatus) -> bool:
    """Whether the API may move an incident from `current` to `target`."""
    return current in ALLOWED_FROM.get(target, frozenset())


def is_open(status: str) -> bool:
    """Whether an incident in this status still needs handling."""
    return status in OPEN
