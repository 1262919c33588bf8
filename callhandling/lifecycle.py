"""The incident life cycle as an explicit state machine; the Lua scripts enforce it in Redis."""

from __future__ import annotations

from enum import StrEnum


class IncidentStatus(StrEnum):
    """Where an incident is in its life."""

    NEW = "new"
    PENDING = "pending"
    DISPATCHED = "dispatched"
    EN_ROUTE = "en_route"
    ON_SCENE = "on_scene"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    REFERRED = "referred"


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
OPEN = frozenset({S.NEW, S.PENDING, S.DISPATCHED, S.EN_ROUTE, S.ON_SCENE})
FINAL = frozenset({S.CLOSED, S.CANCELLED, S.REFERRED})

# What a call handler or dispatcher may do over the API; dispatch moves the rest (claims, MDTs).
ALLOWED_FROM: dict[IncidentStatus, frozenset[IncidentStatus]] = {
    S.CLOSED: OPEN,
    S.CANCELLED: frozenset({S.NEW, S.PENDING}),
    S.REFERRED: frozenset({S.NEW, S.PENDING}),
    S.PENDING: frozenset({S.NEW}),
}


def may_move(current: IncidentStatus, target: IncidentStatus) -> bool:
    """Whether the API may move an incident from `current` to `target`."""
    return current in ALLOWED_FROM.get(target, frozenset())


def is_open(status: str) -> bool:
    """Whether an incident in this status still needs handling."""
    return status in OPEN
