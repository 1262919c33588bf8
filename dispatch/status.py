"""The unit status state machine: which reported status may follow which. Pure, no I/O."""

from __future__ import annotations

from cad.events import UnitStatus

S = UnitStatus

# `assigned` is entered only by the claim script, never by a report from the MDT.
ALLOWED_FROM: dict[UnitStatus, frozenset[UnitStatus]] = {
    S.AVAILABLE: frozenset({S.ON_SCENE, S.BUSY, S.OFF_DUTY}),
    S.ASSIGNED: frozenset(),
    S.EN_ROUTE: frozenset({S.ASSIGNED}),
    S.ON_SCENE: frozenset({S.ASSIGNED, S.EN_ROUTE}),
    S.BUSY: frozenset({S.AVAILABLE, S.ON_SCENE}),
    S.OFF_DUTY: frozenset({S.AVAILABLE, S.BUSY}),
}

# What a unit's new status means for the incident it is committed to ('' leaves it as it is).
INCIDENT_STATUS_AFTER: dict[UnitStatus, str] = {
    S.EN_ROUTE: "en_route",
    S.ON_SCENE: "on_scene",
    S.AVAILABLE: "closed",
    S.BUSY: "closed",
}


def may_enter(current: UnitStatus, new: UnitStatus) -> bool:
    """Whether a unit in `current` may report `new`."""
    return current in ALLOWED_FROM[new]
