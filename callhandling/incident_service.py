"""Call handlers' and dispatchers' actions on incidents: grade, link calls, close; and reads."""

from __future__ import annotations

import time
from dataclasses import dataclass

from cad.errors import ConflictError, NotFoundError
from cad.incident_record import IncidentRecord, IncidentStatus, read_incident
from cad.keys import AreaKeys
from callhandling.grading import GradeDecision
from callhandling.lifecycle import ALLOWED_FROM
from callhandling.lua.grade_incident import grade_incident
from callhandling.lua.move_call import move_call
from callhandling.lua.set_incident_status import set_incident_status
from callhandling.scripts import CallScripts
from dispatch.claims import pending_score
from dispatch.dispatcher import AUTO_DISPATCH_GRADES, Dispatcher
from transport.redis_types import AsyncRedis

# A chronology is for reading: the newest few hundred entries of one incident are plenty.
_CHRONOLOGY_SCAN = 5_000


@dataclass(frozen=True)
class IncidentService:
    """The incident actions of the API, each one Lua script and an audit entry."""

    redis: AsyncRedis
    scripts: CallScripts
    dispatcher: Dispatcher
    # The grades Met units attend in another force's area (CAD_ATTEND_OUTSIDE_GRADES).
    attended_outside: frozenset[str] = frozenset()

    async def grade(
        self, incident: IncidentRecord, decision: GradeDecision, *, actor: str
    ) -> IncidentRecord:
        """Grade (or re-grade) an open incident; a waiting one is dispatched if its grade allows."""
        grade, suggested, reason = decision.final()
        graded = await grade_incident(
            self.scripts, area=incident.area, ref=incident.ref, grade=grade, suggested=suggested,
            reason=reason, thrive_json=decision.thrive.model_dump_json(),
            pending_score=pending_score(grade, incident.received_ms), now_ms=_now_ms(),
            actor=actor, attended_outside=grade.value in self.attended_outside,
        )  # fmt: skip
        if graded.outcome == "missing":
            raise NotFoundError(f"ref: no incident {incident.ref!r}")
        if graded.outcome == "rejected":
            raise ConflictError(f"status: {graded.reason} (current status: {graded.status})")
        updated = await self._read(incident)
        if updated.status in ("new", "pending") and grade in AUTO_DISPATCH_GRADES:
            await self.dispatcher.dispatch(updated, actor=actor)
            updated = await self._read(incident)
        return updated

    async def set_status(
        self,
        incident: IncidentRecord,
        target: IncidentStatus,
        *,
        code: str,
        category: str,
        note: str,
        actor: str,
    ) -> IncidentRecord:
        """Close (with a result code from the catalogue and its category), cancel or refer an
        incident ('' for no code), if its life cycle allows it now (else 409)."""
        answer = await set_incident_status(
            self.scripts, area=incident.area, ref=incident.ref, target=target,
            allowed_from=ALLOWED_FROM.get(target, frozenset()),
            closing_code=code, category=category, note=note,
            pending_score=pending_score(incident.grade, incident.received_ms), now_ms=_now_ms(),
            actor=actor,
        )  # fmt: skip
        if answer.outcome == "missing":
            raise NotFoundError(f"ref: no incident {incident.ref!r}")
        if answer.outcome == "rejected":
            raise ConflictError(f"status: {answer.reason} (current status: {answer.status})")
        return await self._read(incident)

    async def link(self, incident: IncidentRecord, call_id: str, *, actor: str) -> str:
        """Move a call of this BCU to the incident; its own incident, left empty, is cancelled."""
        keys = AreaKeys(incident.area)
        source = await self.redis.hget(keys.call(call_id), "incident_ref")
        if source is None:
            raise NotFoundError(f"call_id: no call {call_id!r} in {incident.area}")
        moved = await move_call(
            self.scripts, area=incident.area, call_id=call_id, target_ref=incident.ref,
            source_ref=source, now_ms=_now_ms(), actor=actor,
        )  # fmt: skip
        if moved.outcome == "missing":
            raise NotFoundError(moved.detail)
        if moved.outcome == "rejected":
            raise ConflictError(moved.detail)
        return moved.detail

    async def calls(self, incident: IncidentRecord) -> list[dict[str, str]]:
        """The incident's calls, oldest first (caller number left out)."""
        keys = AreaKeys(incident.area)
        ids = await self.redis.zrange(keys.incident_calls(incident.ref), 0, -1)
        async with self.redis.pipeline(transaction=False) as pipe:
            for call_id in ids:
                pipe.hgetall(keys.call(call_id))
            records = await pipe.execute()
        return [{k: v for k, v in r.items() if k not in ("cli", "cli_hash")} for r in records if r]

    async def thrive(self, incident: IncidentRecord) -> str | None:
        """The THRIVE assessment of the incident's last grading, as kept (JSON), if any."""
        raw: str | None = await self.redis.hget(
            AreaKeys(incident.area).incident(incident.ref), "thrive"
        )
        return raw

    async def chronology(self, incident: IncidentRecord) -> list[dict[str, str]]:
        """Every audit entry about the incident, oldest first, with its stream id: those of
        the areas it was in before a move (its `audit_trail`), then its own area's."""
        start, trail = await self.redis.hmget(
            AreaKeys(incident.area).incident(incident.ref), "audit_from", "audit_trail"
        )
        where = [tuple(t.split(":", 1)) for t in (trail or "").split(",") if t]
        found: list[dict[str, str]] = []
        for area, first in [*where, (incident.area, start or "-")]:
            entries = await self.redis.xrange(
                AreaKeys(area).audit, min=first, count=_CHRONOLOGY_SCAN
            )
            found += _about(incident.ref, entries)
        return found

    async def _read(self, incident: IncidentRecord) -> IncidentRecord:
        updated = await read_incident(self.redis, incident.area, incident.ref)
        if updated is None:
            raise NotFoundError(f"ref: no incident {incident.ref!r}")
        return updated


def _about(ref: str, entries: list[tuple[str, dict[str, str]]]) -> list[dict[str, str]]:
    return [
        {"id": entry_id, **fields}
        for entry_id, fields in entries
        if ref in (fields.get("ref"), fields.get("to_ref"), fields.get("from_ref"))
    ]


def _now_ms() -> int:
    return int(time.time() * 1000)
