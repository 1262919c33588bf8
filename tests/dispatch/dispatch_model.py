"""A pure Python reference model of one dispatch area: unit statuses, claims, releases.

It mirrors what claim_plan.lua, claim_units.lua, set_unit_status.lua, stand_down.lua and
divert_unit.lua promise, one operation
at a time, so that the property tests can compare the real Redis with it after every step.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cad.events import UnitStatus
from cad.incident_types import Requirement
from dispatch.status import ALLOWED_FROM, INCIDENT_STATUS_AFTER, WORKS_TASKING

RANK = {"I": 0, "S": 1, "E": 2, "R": 3}
# A unit committed to an incident is at work on it, or out of touch (its last will) while at it.
MAY_BE_COMMITTED = frozenset(
    {UnitStatus.ASSIGNED, UnitStatus.EN_ROUTE, UnitStatus.ON_SCENE, UnitStatus.LINK_LOST}
)
PREEMPTIBLE = frozenset({UnitStatus.ASSIGNED, UnitStatus.EN_ROUTE})
OPEN = frozenset({"new", "pending", "dispatched", "en_route", "on_scene"})


@dataclass
class ModelUnit:
    """A unit: its capabilities, its place in distance order, its status and commitment."""

    callsign: str
    capabilities: frozenset[str]
    status: UnitStatus = UnitStatus.AVAILABLE
    incident: str | None = None


@dataclass
class ModelIncident:
    """An incident: its grade, status and the units its hash lists (released ones stay listed),
    and the units a dispatcher stood down from it, which no automatic claim sends back."""

    ref: str
    grade: str
    status: str = "new"
    units: list[str] = field(default_factory=list)
    stood_down: set[str] = field(default_factory=set)


@dataclass
class AreaModel:
    """The whole area; `units` is ordered nearest to the scene first."""

    units: list[ModelUnit]
    incidents: dict[str, ModelIncident]

    def unit(self, callsign: str) -> ModelUnit:
        """The unit called `callsign`."""
        return next(u for u in self.units if u.callsign == callsign)

    @property
    def pending(self) -> set[str]:
        """The refs the pending queue must hold."""
        return {r for r, i in self.incidents.items() if i.status == "pending"}

    @property
    def available(self) -> set[str]:
        """The callsigns the available geo set must hold."""
        return {u.callsign for u in self.units if u.status is UnitStatus.AVAILABLE}

    def claim_nearest(self, ref: str, plan: tuple[Requirement, ...]) -> tuple[str, list[str]]:
        """The outcome and callsigns claim_plan.lua gives: nearest first, all or none, never a
        unit stood down from the incident."""
        incident = self.incidents[ref]
        if incident.units:
            return "already", list(incident.units)
        picks: list[str] = []
        for req in plan:
            fits = [
                u.callsign for u in self.units
                if u.status is UnitStatus.AVAILABLE and u.callsign not in picks
                and u.callsign not in incident.stood_down
                and set(req.capabilities) <= u.capabilities
            ]  # fmt: skip
            if len(fits) < req.count:
                if incident.status != "pending":
                    incident.status = "pending"
                return "queued", []
            picks.extend(fits[: req.count])
        if not picks:
            return "queued", []
        for callsign in picks:
            self._commit(callsign, ref)
        incident.units = picks
        incident.status = "dispatched"
        return "claimed", picks

    def claim_units(self, ref: str, picks: list[tuple[str, str | None]]) -> str:
        """What claim_units.lua answers ('claimed' or 'rejected'), applying it when claimed."""
        target = self.incidents[ref]
        if target.status not in ("new", "pending", "dispatched", "en_route", "on_scene"):
            return "rejected"  # units go only to an open incident
        seen: set[str] = set()
        for callsign, from_ref in picks:
            unit = self.unit(callsign)
            if callsign in seen:
                return "rejected"
            seen.add(callsign)
            if from_ref is None:
                if unit.status is not UnitStatus.AVAILABLE:
                    return "rejected"
            elif (
                unit.incident != from_ref
                or unit.status not in PREEMPTIBLE
                or RANK[self.incidents[from_ref].grade] <= RANK[target.grade]
            ):
                return "rejected"
        for callsign, from_ref in picks:
            if from_ref is not None:
                old = self.incidents[from_ref]
                old.units = [c for c in old.units if c != callsign]
                if not any(self.unit(c).incident == from_ref for c in old.units):
                    old.status = "pending"
            self._commit(callsign, ref)
            # Named again for an incident it once served: the unit's old entry gives way.
            target.units = [c for c in target.units if c != callsign] + [callsign]
        if target.status in ("new", "pending"):
            target.status = "dispatched"  # a unit added to a job under way leaves its progress
        return "claimed"

    def report(self, callsign: str, status: UnitStatus) -> bool:
        """Apply a reported status as set_unit_status.lua does; False when it is refused."""
        unit = self.unit(callsign)
        if status in WORKS_TASKING and unit.incident is None:
            return False  # en route or on scene to nothing: refused (dispatch/status.py)
        if unit.status == status and ALLOWED_FROM[status]:
            return True  # a repeated report changes nothing (dispatch/unit_status.py)
        if unit.status not in ALLOWED_FROM[status]:
            return False
        ref = unit.incident
        unit.status = status
        after = INCIDENT_STATUS_AFTER.get(status, "")
        clears = after == "awaiting_result"
        if clears:
            unit.incident = None
        if ref is None or not after:
            return True
        incident = self.incidents[ref]
        if clears and any(self.unit(c).incident == ref for c in incident.units):
            return (
                True  # another unit is still committed: the incident does not await its result yet
            )
        if after == "en_route" and incident.status == "on_scene":
            return True
        incident.status = after
        return True

    def stand_down(self, callsign: str) -> str:
        """What stand_down.lua answers ('ok' or 'rejected'), applying it when ok."""
        unit = self.unit(callsign)
        if unit.incident is None:
            return "rejected"
        self.incidents[unit.incident].stood_down.add(callsign)
        self._leave(unit)
        unit.status = UnitStatus.AVAILABLE
        return "ok"

    def divert(self, callsign: str, to_ref: str) -> str:
        """What divert_unit.lua answers ('ok' or 'rejected'), applying it when ok."""
        unit, target = self.unit(callsign), self.incidents[to_ref]
        if unit.incident is None or unit.incident == to_ref or target.status not in OPEN:
            return "rejected"
        self._leave(unit)
        self._commit(callsign, to_ref)
        target.units = [c for c in target.units if c != callsign] + [callsign]
        if target.status in ("new", "pending"):
            target.status = "dispatched"
        return "ok"

    def _leave(self, unit: ModelUnit) -> None:
        """The unit leaves its incident, which, left with no committed unit, is queued again."""
        assert unit.incident is not None
        incident = self.incidents[unit.incident]
        unit.incident = None
        incident.units = [c for c in incident.units if c != unit.callsign]
        committed = any(self.unit(c).incident == incident.ref for c in incident.units)
        if not committed and incident.status in OPEN:
            incident.status = "pending"

    def _commit(self, callsign: str, ref: str) -> None:
        unit = self.unit(callsign)
        unit.status = UnitStatus.ASSIGNED
        unit.incident = ref
