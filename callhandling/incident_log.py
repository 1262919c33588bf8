"""The incident's log and its corrections: remarks, location and type corrected with a reason,
the caller's number read (each read audited), and a closed incident's result amended. Each is
one Lua script that writes its own audit entry, so the chronology, the live map's feed and the
archiver see it as they see every other change."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from cad.errors import ConflictError, NotFoundError
from cad.events import Grade, Location
from cad.incident_record import IncidentRecord
from cad.incident_types import Catalogue
from cad.keys import AreaKeys
from cad.logs import log
from cad.result_codes import ResultCode
from callhandling.incident_move import move_incident
from callhandling.incidents import fence_cells, find_incident
from callhandling.lua.add_remark import add_remark
from callhandling.lua.amend_result import ArchivedClose, amend_result
from callhandling.lua.correct_location import correct_location
from callhandling.lua.correct_type import correct_type
from callhandling.lua.read_callers import CallerNumber, read_callers
from callhandling.scripts import CallScripts
from dispatch.areas import dispatch_area

logger = logging.getLogger("cad.incidents")


@dataclass(frozen=True)
class TypeCorrected:
    """What a type correction did: the old type, the grade as it stands (unchanged), and the
    grade the new type suggests (a call handler re-grades if they agree)."""

    old_type: str | None
    grade: Grade | None
    suggested: Grade


@dataclass(frozen=True)
class IncidentLog:
    """Remarks and corrections of one incident, each audited with its actor."""

    scripts: CallScripts
    catalogue: Catalogue

    async def remark(
        self,
        incident: IncidentRecord,
        text: str,
        *,
        now_ms: int,
        actor: str,
        archived: bool = False,
    ) -> str:
        """Append a remark to the incident's log; the audit entry's stream id. An incident that
        moved to another area since it was read gets the remark there: a remark is never lost.
        An `archived` one (read from the history store) gets it in its area's stream, whence the
        archiver copies it."""
        area: str | None = incident.area
        for _ in range(2):
            if area is None:
                break
            added = await add_remark(
                self.scripts, area=area, ref=incident.ref, text=text, now_ms=now_ms, actor=actor,
                archived=archived,
            )  # fmt: skip
            if added.outcome == "ok":
                return added.entry_id
            if added.outcome == "live":
                raise ConflictError(f"ref: {incident.ref} changed meanwhile; try again")
            found = await find_incident(self.scripts.redis, incident.ref)
            area = None if found is None or found.area == area else found.area
        raise NotFoundError(f"ref: no incident {incident.ref!r}")

    async def correct_location(
        self, incident: IncidentRecord, location: Location, reason: str, *, actor: str
    ) -> None:
        """Move the incident to `location`: inside its dispatch area, in place; into another,
        the incident and its calls move to that area's keys (callhandling/incident_move.py)."""
        area = dispatch_area(location.lon, location.lat)
        if area != incident.area:
            await move_incident(self.scripts, incident, location, reason, to_area=area, actor=actor)
            return
        corrected = await correct_location(
            self.scripts, area=incident.area, ref=incident.ref, lon=location.lon,
            lat=location.lat, radius_m=location.radius_m,
            fence_cells=fence_cells(location.lon, location.lat), reason=reason,
            now_ms=_now_ms(), actor=actor,
        )  # fmt: skip
        if corrected.outcome == "missing":
            raise NotFoundError(f"ref: no incident {incident.ref!r}")
        if corrected.outcome == "rejected":
            raise ConflictError(f"status: {corrected.reason} (current status: {corrected.status})")

    async def correct_type(
        self, incident: IncidentRecord, incident_type: str, reason: str, *, actor: str
    ) -> TypeCorrected:
        """Set the incident's type (one of the catalogue's: the caller checks it); the grade is
        left as it is, and the new type's default grade suggested beside it."""
        suggested = self.catalogue.types[incident_type].default_grade
        corrected = await correct_type(
            self.scripts, area=incident.area, ref=incident.ref, incident_type=incident_type,
            suggested=suggested, reason=reason, now_ms=_now_ms(), actor=actor,
        )  # fmt: skip
        if corrected.outcome == "missing":
            raise NotFoundError(f"ref: no incident {incident.ref!r}")
        if corrected.outcome == "rejected":
            raise ConflictError(f"status: {corrected.reason} (current status: {corrected.status})")
        grade = Grade(corrected.grade) if corrected.grade else None
        return TypeCorrected(corrected.old_type or None, grade, suggested)

    async def callers(self, incident: IncidentRecord, *, actor: str) -> list[CallerNumber]:
        """The caller's number of each of the incident's calls, oldest call first; every read
        is audited before it is answered."""
        keys = AreaKeys(incident.area)
        call_ids = await self.scripts.redis.zrange(keys.incident_calls(incident.ref), 0, -1)
        if not call_ids:
            return []
        numbers = await read_callers(
            self.scripts, area=incident.area, ref=incident.ref, call_ids=call_ids,
            now_ms=_now_ms(), actor=actor,
        )  # fmt: skip
        # Who read which calls' numbers; never the numbers themselves.
        log(logger, logging.INFO, "caller_read", incident_ref=incident.ref, actor=actor,
            call_ids=[n.call_id for n in numbers if n.kept])  # fmt: skip
        return numbers

    async def amend_result(
        self,
        incident: IncidentRecord,
        code: str,
        result: ResultCode,
        reason: str,
        *,
        window_s: int,
        actor: str,
        archived: bool = False,
    ) -> str:
        """Amend a closed incident's result within `window_s` of its closing; the old code. An
        `archived` one (read from the history store) is judged by that record; the archiver
        applies the amendment there."""
        now_ms = _now_ms()
        stored = (
            ArchivedClose(incident.status, incident.closed_ms or 0, incident.close_code or "")
            if archived
            else None
        )
        amended = await amend_result(
            self.scripts, area=incident.area, ref=incident.ref, code=code,
            category=result.category.value, reason=reason,
            closed_since_ms=now_ms - window_s * 1000, now_ms=now_ms, actor=actor,
            archived=stored,
        )  # fmt: skip
        if amended.outcome == "missing":
            raise NotFoundError(f"ref: no incident {incident.ref!r}")
        if amended.outcome == "live":
            raise ConflictError(f"ref: {incident.ref} changed meanwhile; try again")
        if amended.outcome == "rejected":
            raise ConflictError(f"code: {amended.detail}")
        return amended.detail


def _now_ms() -> int:
    return int(time.time() * 1000)
