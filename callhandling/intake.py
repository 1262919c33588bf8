"""Call intake: one service function turns a call event into an incident and, if graded, a dispatch.

The MQTT consumer and the HTTP API both call it, so both paths behave the same.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from redis.asyncio import Redis

from cad.events import CallEvent, utcnow
from cad.incident_record import IncidentRecord, new_incident_fields
from cad.logs import log
from callhandling.incidents import create_incident
from dispatch.areas import dispatch_area
from dispatch.claims import ClaimResult
from dispatch.dispatcher import Dispatcher
from dispatch.incident_store import read_incident
from dispatch.scripts import DispatchScripts

logger = logging.getLogger("cad.intake")


@dataclass(frozen=True)
class IntakeResult:
    """What became of a call: its incident, whether it is new, and the claim made for it."""

    incident: IncidentRecord
    created: bool
    claim: ClaimResult | None


class CallIntake:
    """Accepts call events: incident creation (idempotent by call id), then dispatch by grade."""

    def __init__(self, redis: Redis, scripts: DispatchScripts, dispatcher: Dispatcher) -> None:
        self._redis = redis
        self._scripts = scripts
        self._dispatcher = dispatcher

    async def accept(self, event: CallEvent, *, actor: str) -> IntakeResult:
        """Make (or find) the call's incident and dispatch it if its grade says so."""
        now = utcnow()
        area = dispatch_area(event.location.lon, event.location.lat)
        made = await create_incident(
            self._redis, self._scripts, event, area=area, now=now, actor=actor
        )
        if made.created:
            fields = new_incident_fields(event, area=area)
            created_ms = str(int(now.timestamp() * 1000))
            incident = IncidentRecord.from_hash(
                {**fields, "ref": made.ref, "created_ms": created_ms}
            )
        else:
            found = await read_incident(self._redis, area, made.ref)
            if found is None:  # the call key outlived its incident: nothing sane to dispatch
                raise LookupError(f"call {event.call_id} points at missing incident {made.ref}")
            incident = found
        claim = None
        if made.created or incident.status in ("new", "pending"):
            claim = await self._dispatcher.dispatch(incident, actor=actor)
        log(
            logger,
            logging.INFO,
            "call_accepted",
            call_id=event.call_id,
            incident_ref=incident.ref,
            created=made.created,
            outcome=claim.outcome.value if claim else "unchanged",
            callsign=claim.callsign if claim else None,
        )
        return IntakeResult(incident, made.created, claim)
