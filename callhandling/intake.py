"""Call intake: one service function for MQTT call events and the HTTP API alike.

A call is geolocated, scored against the open incidents near it, then either linked to the best
one (automatically above the configured score) or opens a new incident, which is dispatched by
its grade. Linking never dispatches: the incident already has its units or its place in the queue.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from redis.asyncio import Redis

from cad.events import CallEvent, utcnow
from cad.incident_record import IncidentRecord
from cad.keys import AreaKeys
from cad.logs import log
from cad.settings import Settings
from callhandling.duplicates import CallFacts, Candidate, OpenIncident, rank_candidates
from callhandling.incidents import (
    Outcome,
    cli_hash,
    create_incident,
    link_call,
    open_incidents_near,
    read_fence,
    recorded_ref,
)
from dispatch.areas import dispatch_area
from dispatch.claims import ClaimResult
from dispatch.dispatcher import Dispatcher
from dispatch.incident_store import read_incident
from dispatch.scripts import DispatchScripts

logger = logging.getLogger("cad.intake")

# Each retry means an incident opened near this call meanwhile: search for duplicates again.
_MAX_ATTEMPTS = 6


@dataclass(frozen=True)
class IntakeResult:
    """What became of a call: its incident, how it got there, the candidates, and any claim."""

    incident: IncidentRecord
    outcome: Outcome
    candidates: tuple[Candidate, ...]
    claim: ClaimResult | None


class CallIntake:
    """Records calls: duplicate search, link or create (idempotent by call id), then dispatch."""

    def __init__(
        self, redis: Redis, scripts: DispatchScripts, dispatcher: Dispatcher, settings: Settings
    ) -> None:
        self._redis = redis
        self._scripts = scripts
        self._dispatcher = dispatcher
        self._settings = settings

    async def accept(self, event: CallEvent, *, actor: str, auto_link: bool = True) -> IntakeResult:
        """Record the call; link it to a likely duplicate or open (and dispatch) an incident."""
        loc = event.location
        area = dispatch_area(loc.lon, loc.lat)
        hashed = cli_hash(event.cli, self._settings.cli_salt)
        candidates: list[Candidate] = []
        for attempt in range(_MAX_ATTEMPTS):
            known = await recorded_ref(self._redis, area, event.call_id)
            if known is not None:
                return await self._replayed(event, area, known)
            # The last attempt creates regardless: a possible duplicate beats a lost call.
            last = attempt == _MAX_ATTEMPTS - 1
            fence = "" if last else await read_fence(self._redis, area, loc.lon, loc.lat)
            candidates = await self._candidates(event, area, hashed)
            now = utcnow()
            best = candidates[0] if candidates else None
            linkable = best is not None and best.score >= self._settings.auto_link_score
            if auto_link and linkable and not last and best is not None:
                recorded = await link_call(
                    self._redis, self._scripts, event, area=area, candidate=best, now=now,
                    actor=actor, hashed_cli=hashed,
                )  # fmt: skip
            else:
                recorded = await create_incident(
                    self._redis, self._scripts, event, area=area, now=now, actor=actor,
                    fence=fence, hashed_cli=hashed,
                )  # fmt: skip
            if recorded.outcome is not Outcome.RETRY:
                break
        await self._redis.expire(
            AreaKeys(area).call(event.call_id), self._settings.caller_data_retention_s
        )
        if recorded.outcome is Outcome.REPLAYED:
            return await self._replayed(event, area, recorded.ref)
        incident = await self._read(area, recorded.ref)
        claim = None
        if recorded.outcome is Outcome.CREATED:
            claim = await self._dispatcher.dispatch(incident, actor=actor)
            incident = await self._read(area, recorded.ref)
        self._log(event, incident, recorded.outcome, claim)
        return IntakeResult(incident, recorded.outcome, tuple(candidates[:5]), claim)

    async def _candidates(self, event: CallEvent, area: str, hashed: str | None) -> list[Candidate]:
        loc = event.location
        stored = await open_incidents_near(
            self._redis, area=area, lon=loc.lon, lat=loc.lat,
            radius_m=self._settings.duplicate_search_m,
        )  # fmt: skip
        facts = CallFacts(
            loc.lon, loc.lat, loc.radius_m, int(event.received_at.timestamp() * 1000),
            event.incident_type, hashed,
        )  # fmt: skip
        return rank_candidates(facts, [_open_incident(r) for r in stored])

    async def _replayed(self, event: CallEvent, area: str, ref: str) -> IntakeResult:
        incident = await self._read(area, ref)
        claim = None
        # A replay after a crash between creating and dispatching finishes the dispatch.
        if incident.status == "new" and incident.call_id == event.call_id:
            claim = await self._dispatcher.dispatch(incident, actor="replay")
            incident = await self._read(area, ref)
        return IntakeResult(incident, Outcome.REPLAYED, (), claim)

    async def _read(self, area: str, ref: str) -> IncidentRecord:
        incident = await read_incident(self._redis, area, ref)
        if incident is None:
            raise LookupError(f"incident {ref} vanished from area {area}")
        return incident

    @staticmethod
    def _log(
        event: CallEvent, incident: IncidentRecord, outcome: Outcome, claim: ClaimResult | None
    ) -> None:
        log(
            logger, logging.INFO, "call_recorded", call_id=event.call_id,
            incident_ref=incident.ref, outcome=outcome.value,
            dispatch=claim.outcome.value if claim else None,
            callsigns=[u.callsign for u in claim.units] if claim else [],
        )  # fmt: skip


def _open_incident(record: dict[str, str]) -> OpenIncident:
    return OpenIncident(
        ref=record["ref"],
        lon=float(record["lon"]),
        lat=float(record["lat"]),
        radius_m=float(record["radius_m"]) if record.get("radius_m") else None,
        received_ms=int(record["received_ms"]),
        incident_type=record.get("incident_type") or None,
        cli_hashes=frozenset(h for h in record.get("cli_hashes", "").split(",") if h),
    )
