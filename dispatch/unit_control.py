"""Control acting on a unit: a status set on the crew's behalf, a stand-down, a divert; each
applied atomically in the unit's area and told to its MDT (`cad/units/{callsign}/notice`, and a
divert's new tasking on the tasking topic, so the acknowledgement watch covers it)."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass

from cad.errors import ConflictError, MqttUnavailableError, NotFoundError
from cad.events import UnitStatus, utcnow
from cad.incident_record import IncidentRecord, read_incident
from cad.keys import AreaKeys, GlobalKeys
from cad.logs import log
from cad.publisher import Publisher
from cad.topics import Topics
from dispatch.claims import new_tasking_id
from dispatch.directory import UnitDirectory
from dispatch.lua.divert_unit import divert_unit
from dispatch.lua.stand_down import LeaveAnswer, stand_down
from dispatch.scripts import DispatchScripts
from dispatch.taskings import build_tasking, send_tasking
from dispatch.unit_status import StatusChange, apply_status
from geo import distance_m
from transport.redis_types import AsyncRedis

logger = logging.getLogger("cad.control")

# What a dispatcher may set for a crew: what its MDT may report. `assigned` comes only with a
# claim, `unresponsive` only from the acknowledgement watch, `link_lost` only from the broker.
SETTABLE = frozenset(
    {UnitStatus.AVAILABLE, UnitStatus.EN_ROUTE, UnitStatus.ON_SCENE, UnitStatus.BUSY,
     UnitStatus.OFF_DUTY}
)  # fmt: skip
# The unit's incident can change between our read and the script (a claim, a release): re-read.
_MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class Left:
    """A unit taken off `from_ref` (and, diverted, claimed for `to_ref` under `tasking_id`)."""

    callsign: str
    previous: str
    from_ref: str
    withdrawn_tasking: str
    units_left: int
    to_ref: str | None = None
    tasking_id: str | None = None


class UnitControl:
    """A dispatcher's commands to one unit, each refused with the reason when it cannot be."""

    def __init__(
        self, redis: AsyncRedis, scripts: DispatchScripts, publisher: Publisher, topics: Topics
    ) -> None:
        self._redis = redis
        self._scripts = scripts
        self._publisher = publisher
        self._topics = topics
        self._directory = UnitDirectory(redis)

    async def area_of(self, callsign: str) -> str:
        """The unit's area; NotFoundError for a callsign nobody registered."""
        area = await self._directory.area_of(callsign)
        if area is None:
            raise NotFoundError(f"callsign: no unit {callsign!r}")
        return area

    async def set_status(
        self, callsign: str, status: UnitStatus, *, actor: str, note: str
    ) -> StatusChange:
        """Set the unit's status as its crew would report it (the MDT's rules, dispatch/status.py),
        audited as `actor` on behalf of the unit; the MDT is told on its notice topic."""
        if status not in SETTABLE:
            raise ConflictError(f"status: {status.value} is set by the service, never by hand")
        area = await self.area_of(callsign)
        change = await apply_status(
            self._redis, self._scripts, area=area, callsign=callsign, status=status,
            now_ms=_now_ms(), actor=actor, on_behalf_of=callsign,
        )  # fmt: skip
        if not change.applied:
            raise ConflictError(f"status: {change.reason} (unit {callsign} is {change.previous})")
        if not change.unchanged:
            await self._tell(callsign, {
                "event": "status_set", "status": status.value, "previous": change.previous,
                "incident_ref": change.incident_ref, "by": actor, "note": note,
            })  # fmt: skip
        log(logger, logging.INFO, "status_set_by_control", callsign=callsign,
            incident_ref=change.incident_ref, status=status.value, previous=change.previous,
            unchanged=change.unchanged)  # fmt: skip
        return change

    async def stand_down(self, callsign: str, *, actor: str, reason: str) -> Left:
        """Take the unit off its incident: it becomes available; an incident left with no unit
        goes back to the pending queue. The MDT is told its tasking is withdrawn."""
        area = await self.area_of(callsign)
        for _ in range(_MAX_ATTEMPTS):
            ref = await self._committed_ref(area, callsign)
            answer = await stand_down(
                self._scripts, area=area, callsign=callsign, ref=ref, now_ms=_now_ms(),
                actor=actor, reason=reason,
            )  # fmt: skip
            if answer.outcome != "retry":
                left = _left(callsign, ref, answer)
                await self._tell_stood_down(left, actor=actor, reason=reason)
                return left
        raise ConflictError(f"callsign: {callsign}'s assignment kept changing; try again")

    async def divert(self, callsign: str, to_ref: str, *, actor: str, reason: str) -> Left:
        """Move the unit from its incident to `to_ref` of the same area in one script; the MDT
        is told the old tasking is withdrawn and gets the new one (acknowledged as any other)."""
        area = await self.area_of(callsign)
        target = await self._incident_of_area(to_ref, area, callsign)
        for _ in range(_MAX_ATTEMPTS):
            ref = await self._committed_ref(area, callsign)
            tasking_id = new_tasking_id()
            answer = await divert_unit(
                self._scripts, area=area, callsign=callsign, from_ref=ref, to_ref=to_ref,
                tasking_id=tasking_id, now_ms=_now_ms(), actor=actor, reason=reason,
            )  # fmt: skip
            if answer.outcome == "retry":
                continue
            left = _left(callsign, ref, answer, to_ref=to_ref, tasking_id=tasking_id)
            await self._tell_stood_down(left, actor=actor, reason=f"diverted to {to_ref}: {reason}")
            await self._send_tasking(target, area, callsign, tasking_id)
            return left
        raise ConflictError(f"callsign: {callsign}'s assignment kept changing; try again")

    async def _committed_ref(self, area: str, callsign: str) -> str:
        """The incident the unit is committed to ('' for none); ConflictError when that lives
        in another area: the unit is on loan there (dispatch/mutual_aid.py)."""
        ref = await self._redis.hget(AreaKeys(area).unit_incident, callsign) or ""
        home = await self._redis.hget(GlobalKeys().incident_area, ref) if ref else None
        if home is not None and home != area:
            raise ConflictError(
                f"callsign: {callsign} of area {area} is lent to {ref} of area {home} (mutual "
                "aid); control of a lent unit is its crew's own reports, or the incident's "
                "dispatch in its own area"
            )
        return ref

    async def _incident_of_area(self, ref: str, area: str, callsign: str) -> IncidentRecord:
        home = await self._redis.hget(GlobalKeys().incident_area, ref)
        incident = None if home is None else await read_incident(self._redis, home, ref)
        if incident is None:
            raise NotFoundError(f"incident_ref: no incident {ref!r}")
        if home != area:
            raise ConflictError(
                f"incident_ref: {ref} is an incident of area {home}, {callsign} a unit of area "
                f"{area}: a unit goes to another area only on loan, through the incident's "
                "dispatch (mutual aid)"
            )
        return incident

    async def _tell_stood_down(self, left: Left, *, actor: str, reason: str) -> None:
        await self._tell(left.callsign, {
            "event": "stood_down", "incident_ref": left.from_ref,
            "tasking_id": left.withdrawn_tasking, "reason": reason, "by": actor,
        })  # fmt: skip
        log(logger, logging.INFO, "unit_stood_down", callsign=left.callsign,
            incident_ref=left.from_ref, units_left=left.units_left, to_ref=left.to_ref,
            actor=actor)  # fmt: skip

    async def _send_tasking(
        self, incident: IncidentRecord, area: str, callsign: str, tasking_id: str
    ) -> None:
        (position,) = await self._redis.geopos(AreaKeys(area).positions, callsign)
        distance = (
            0.0
            if position is None
            else distance_m(position[0], position[1], incident.lon, incident.lat)
        )
        tasking = build_tasking(incident, tasking_id=tasking_id, distance_m=distance)
        await send_tasking(self._publisher, self._topics, callsign, tasking)
        log(logger, logging.INFO, "tasking_sent", incident_ref=incident.ref,
            call_id=incident.call_id, callsign=callsign, tasking_id=tasking_id)  # fmt: skip

    async def tell_corrected(
        self, incident: IncidentRecord, *, what: str, reason: str, actor: str
    ) -> None:
        """Tell every unit committed to the incident that its `what` (location or type) was
        corrected, with the incident as it is now: a crew on its way must not drive to the old
        place (their tasking said where it was)."""
        for callsign in incident.units:
            await self._tell(callsign, {
                "event": f"{what}_corrected", "incident_ref": incident.ref,
                "location": incident.location.model_dump(mode="json"),
                "incident_type": incident.incident_type, "reason": reason, "by": actor,
            })  # fmt: skip

    async def _tell(self, callsign: str, notice: dict[str, object]) -> None:
        body = {**notice, "callsign": callsign, "ts": utcnow().isoformat()}
        # The change is recorded: a notice the broker cannot take now must not make the
        # dispatcher try again (and be refused). A divert's new tasking is not best effort: it
        # goes through send_tasking, and the acknowledgement watch covers one never delivered.
        try:
            await self._publisher.publish(
                self._topics.notice(callsign), json.dumps(body).encode(), qos=1
            )
        except MqttUnavailableError as exc:
            log(logger, logging.WARNING, "notice_not_sent", callsign=callsign,
                incident_ref=notice.get("incident_ref"), error=str(exc))  # fmt: skip


def _left(
    callsign: str,
    ref: str,
    answer: LeaveAnswer,
    *,
    to_ref: str | None = None,
    tasking_id: str | None = None,
) -> Left:
    """What the script did, or the error that says why it did nothing."""
    if answer.outcome == "missing":
        raise NotFoundError(f"incident_ref: no incident {answer.before or ref!r}")
    if answer.outcome == "rejected":
        raise ConflictError(f"callsign: {callsign} {answer.detail}")
    return Left(
        callsign, answer.before, ref, answer.detail, answer.units_left, to_ref,
        tasking_id,
    )  # fmt: skip


def _now_ms() -> int:
    return int(time.time() * 1000)
