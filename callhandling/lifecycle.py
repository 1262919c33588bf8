"""The incident life cycle as an explicit state machine; the Lua scripts enforce it in Redis.
The statuses themselves (and which are open or final) are the incident record's, in the kernel
(cad/incident_record.py), where both packages' scripts read them from.

new -> pending -> dispatched -> en_route -> on_scene -> awaiting_result -> closed: dispatch moves
an incident along as its units report, and once its last unit has cleared it awaits its result
(never closing itself); a dispatcher closes it with a result code from the catalogue
(cad/result_codes.py), which a supervisor may amend for a while (CAD_RESULT_AMEND_WINDOW_S).
A new or pending incident may instead be cancelled or referred."""

from __future__ import annotations

from cad.incident_record import OPEN, IncidentStatus

S = IncidentStatus

# What a call handler or dispatcher may do over the API; dispatch moves the rest (claims, MDTs).
# Closing keeps its rule: from any open status too, once no unit is committed (the script checks).
ALLOWED_FROM: dict[IncidentStatus, frozenset[IncidentStatus]] = {
    S.CLOSED: OPEN | {S.AWAITING_RESULT},
    S.CANCELLED: frozenset({S.NEW, S.PENDING, S.TRANSFER}),
    S.REFERRED: frozenset({S.NEW, S.PENDING, S.TRANSFER}),
    S.PENDING: frozenset({S.NEW}),
    # Met units may have attended meanwhile (CAD_ATTEND_OUTSIDE_GRADES): handed over once cleared.
    S.TRANSFERRED: OPEN | {S.AWAITING_RESULT},
}


def may_move(current: IncidentStatus, target: IncidentStatus) -> bool:
    """Whether the API may move an incident from `current` to `target`."""
    return current in ALLOWED_FROM.get(target, frozenset())


def is_open(status: str) -> bool:
    """Whether an incident in this status still needs handling."""
    return status in OPEN
