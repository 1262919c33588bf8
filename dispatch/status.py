"""The unit status state machine: which reported status may follow which. Pure, no I/O."""

from __future__ import annotations

from cad.events import UnitStatus

S = UnitStatus

# `assigned` is entered only by the claim script and `unresponsive` only by the escalation
# script (dispatch/acks.py), never by a report from the MDT. A unit whose link was lost may
# come back in whatever state it is really in: only its own report says which.
ALLOWED_FROM: dict[UnitStatus, frozenset[UnitStatus]] = {
    S.AVAILABLE: frozenset({S.ON_SCENE, S.BUSY, S.OFF_DUTY, S.UNRESPONSIVE, S.LINK_LOST}),
    S.ASSIGNED: frozenset(),
    S.EN_ROUTE: frozenset({S.ASSIGNED, S.LINK_LOST}),
    S.ON_SCENE: frozenset({S.ASSIGNED, S.EN_ROUTE, S.LINK_LOST}),
    S.BUSY: frozenset({S.AVAILABLE, S.ON_SCENE, S.LINK_LOST}),
    # Not from link_lost: a unit out of touch may still hold a job; it reports available first.
    S.OFF_DUTY: frozenset({S.AVAILABLE, S.BUSY, S.UNRESPONSIVE}),
    S.UNRESPONSIVE: frozenset(),
    S.LINK_LOST: frozenset(
        {S.AVAILABLE, S.ASSIGNED, S.EN_ROUTE, S.ON_SCENE, S.BUSY, S.UNRESPONSIVE}
    ),
}

# What a unit's new status means for the incident it is committed to ('' leaves it as it is).
# Clearing releases the unit; once the last one has cleared the incident awaits its result,
# which a dispatcher gives when closing it (callhandling/lifecycle.py): it never closes itself.
CLEARED = "awaiting_result"
INCIDENT_STATUS_AFTER: dict[UnitStatus, str] = {
    S.EN_ROUTE: "en_route",
    S.ON_SCENE: "on_scene",
    S.AVAILABLE: CLEARED,
    S.BUSY: CLEARED,
}


def may_enter(current: UnitStatus, new: UnitStatus) -> bool:
    """Whether a unit in `current` may report `new`."""
    return current in ALLOWED_FROM[new]


# Reports that acknowledge or work a tasking: these need a tasking, and must name the one the
# unit holds now.
# Clearing reports are taken whatever they name, so a unit is never stuck on a closed job.
WORKS_TASKING = frozenset({S.EN_ROUTE, S.ON_SCENE})


def tasking_refusal(status: UnitStatus, reported: str | None, current: str | None) -> str:
    """Why a `status` report naming tasking `reported` is refused when the unit holds `current`
    ('' if it is not): a late or stray acknowledgement must never move a unit onto another job,
    and a unit is never en route or on scene to nothing."""
    if status not in WORKS_TASKING:
        return ""
    if current is None:
        return f"status: {status.value} with no tasking to work"
    if reported is None or reported == current:
        return ""
    return f"tasking_id: {reported} is not the unit's current tasking"
