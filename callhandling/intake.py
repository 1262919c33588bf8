"""Call intake: one service function for MQTT call events and the HTTP API alike.

A call is geolocated, scored against the open incidents near it, then either linked to the best
one (automatically above the configured score) or opens a new incident, which is dispatched by
its grade. Linking never dispatches: the incident already has its units or its place in the queue.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from redis.asyncio import Redis

from cad.clock_bounds import call_clock
from cad.events import CallEvent, utcnow
from cad.incident_record import IncidentRecord, read_incident
from cad.logs import log
from cad.settings import Settings
from callhandling.call_claims import CallClaim, CallIdConflictError, claim_of, conflict_reason
from callhandling.duplicates import CallFacts, Candidate, OpenIncident, rank_candidates
from callhandling.incidents import (
    Outcome,
    Surroundings,
    cli_hash,
    create_incident,
    link_call,
    look_around,
)
from dispatch.areas import dispatch_area
from dispatch.claims import ClaimResult
from dispatch.dispatcher import Dispatcher, OpeningClaim
from transport.scripts import Answers, Batch, Queued

logger = logging.getLogger("cad.intake")

# Each retry means an incident opened near this call meanwhile: search for duplicates again.
_MAX_ATTEMPTS = 6
# The duplicate candidates a call's answer lists, best first.
_CANDIDATES_SHOWN = 5


@dataclass(frozen=True)
class IntakeResult:
    """What became of a call: its incident, how it got there, the candidates, and any claim."""

    incident: IncidentRecord
    outcome: Outcome
    candidates: tuple[Candidate, ...]
    claim: ClaimResult | None


class CallIntake:
    """Records calls: duplicate search, link or create (idempotent by call id), then dispatch."""

    def __init__(self, redis: Redis, dispatcher: Dispatcher, settings: Settings) -> None:
        self._redis = redis
        self._dispatcher = dispatcher
        self._settings = settings
        # Every edge that takes calls in (MQTT, HTTP) holds `received_at` to these first.
        self.clock_bounds = call_clock(settings)

    async def accept(
        self, event: CallEvent, *, actor: str, auto_link: bool = True, area: str | None = None
    ) -> IntakeResult:
        """Record the call; link it to a likely duplicate or open (and dispatch) an incident.
        `area` is the call's dispatch area, when the caller has located the call already."""
        loc = event.location
        area = area or dispatch_area(loc.lon, loc.lat)
        hashed = cli_hash(event.cli, self._settings.cli_salt)
        id_claim = claim_of(event, area, self._settings.cli_salt)
        candidates: list[Candidate] = []
        retention_s = self._settings.caller_data_retention_s
        opening = _Opening(self._dispatcher, actor)
        for attempt in range(_MAX_ATTEMPTS):
            around = await self._look(event, area, id_claim, auto_link=auto_link)
            first = around.first_claim
            if first is not None and first != id_claim:
                _refuse_if_differing(event, first, id_claim, around.reserved_ref)
                # The same call, located in another area when it was first claimed (the
                # boundaries changed since, or the caller located it): that area records it.
                _unused(event, around.reserved_ref, "call first located in another area")
                area, id_claim = first.area, first
                around = await self._look(event, area, id_claim, auto_link=auto_link)
            if around.known_ref is not None:
                _unused(event, around.reserved_ref, "call recorded already")
                return await self._replayed(event, area, around.known_ref)
            # The last attempt creates regardless: a possible duplicate beats a lost call.
            last = attempt == _MAX_ATTEMPTS - 1
            candidates = _candidates(event, hashed, around.incidents)
            now = utcnow()
            best = candidates[0] if candidates else None
            linkable = best is not None and best.score >= self._settings.auto_link_score
            if auto_link and linkable and not last and best is not None:
                recorded = await link_call(
                    self._redis, event, area=area, candidate=best, now=now,
                    actor=actor, hashed_cli=hashed, retention_s=retention_s,
                )  # fmt: skip
            else:
                recorded = await create_incident(
                    self._redis, event, area=area, now=now, actor=actor,
                    fence="" if last else around.fence, hashed_cli=hashed,
                    retention_s=retention_s, follow=opening.queue, ref=around.reserved_ref,
                    near_refs=around.near_refs,
                )  # fmt: skip
            if recorded.outcome is not Outcome.RETRY:
                break
        if recorded.nearby:
            candidates = _candidates(event, hashed, recorded.nearby)
        if recorded.outcome is Outcome.REPLAYED:
            return await self._replayed(event, area, recorded.ref)
        if recorded.fields is not None:
            incident = IncidentRecord.from_hash(recorded.fields)
        else:
            incident = await self._read(area, recorded.ref)
        claim = None
        if recorded.outcome is Outcome.CREATED:
            claim = await opening.finish(incident, recorded.answers)
            incident = await self._after(incident, claim)
        self._log(event, incident, recorded.outcome, claim)
        return IntakeResult(incident, recorded.outcome, tuple(candidates), claim)

    async def _look(
        self, event: CallEvent, area: str, id_claim: CallClaim, *, auto_link: bool
    ) -> Surroundings:
        loc = event.location
        return await look_around(
            self._redis, area=area, call_id=event.call_id, lon=loc.lon,
            lat=loc.lat, radius_m=self._settings.duplicate_search_m, claim=id_claim,
            retention_s=self._settings.caller_data_retention_s,
            reserve_ref=None if auto_link else utcnow(),
        )  # fmt: skip

    async def _replayed(self, event: CallEvent, area: str, ref: str) -> IntakeResult:
        incident = await self._read(area, ref)
        claim = None
        # A replay after a crash between creating and dispatching finishes the dispatch.
        if incident.status == "new" and incident.call_id == event.call_id:
            claim = await self._dispatcher.dispatch(incident, actor="replay")
            incident = await self._after(incident, claim)
        return IntakeResult(incident, Outcome.REPLAYED, (), claim)

    async def _after(self, incident: IncidentRecord, claim: ClaimResult) -> IncidentRecord:
        """The incident as the dispatch left it: from the claim's answer, else read back."""
        if claim.incident_fields:
            return IncidentRecord.from_hash(claim.incident_fields)
        return await self._read(incident.area, incident.ref)

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


def _unused(event: CallEvent, ref: str | None, reason: str) -> None:
    """Log a reference allocated for a call that will not open an incident with it, so that this
    gap in the day's sequence can be accounted for."""
    if ref is not None:
        log(
            logger,
            logging.INFO,
            "ref_unused",
            call_id=event.call_id,
            incident_ref=ref,
            reason=reason,
        )


def _refuse_if_differing(
    event: CallEvent, first: CallClaim, claim: CallClaim, reserved_ref: str | None
) -> None:
    """Refuse a call whose id was first claimed for a different call: it changes nothing."""
    reason = conflict_reason(event.call_id, first, claim)
    if reason is None:
        return
    _unused(event, reserved_ref, "call id used by a different call")
    log(
        logger, logging.WARNING, "call_id_conflict", call_id=event.call_id, area=claim.area,
        first_area=first.area, differing=first.differing(claim),
    )  # fmt: skip
    raise CallIdConflictError(reason)


class _Opening:
    """A new incident's dispatch, begun in the round trip that creates it (the opening claim
    rides on `create_incident`'s batch) and finished once it has answered."""

    def __init__(self, dispatcher: Dispatcher, actor: str) -> None:
        self._dispatcher = dispatcher
        self._actor = actor
        self._planned: tuple[OpeningClaim, Queued[ClaimResult]] | None = None

    def queue(self, incident: IncidentRecord, batch: Batch) -> None:
        planned = self._dispatcher.plan(incident, actor=self._actor)
        self._planned = planned, self._dispatcher.queue(batch, planned)

    async def finish(self, incident: IncidentRecord, answers: Answers | None) -> ClaimResult:
        """Send the taskings (or pre-empt, borrow); the whole dispatch if the claim never ran."""
        if self._planned is None or answers is None or not self._planned[1].ran(answers):
            return await self._dispatcher.dispatch(incident, actor=self._actor)
        planned, claim = self._planned
        return await self._dispatcher.follow_up(
            incident, planned, claim.answer(answers), actor=self._actor
        )


def _candidates(
    event: CallEvent, hashed: str | None, incidents: Sequence[OpenIncident]
) -> list[Candidate]:
    loc = event.location
    facts = CallFacts(
        loc.lon, loc.lat, loc.radius_m, int(event.received_at.timestamp() * 1000),
        event.incident_type, hashed,
    )  # fmt: skip
    return rank_candidates(facts, incidents, limit=_CANDIDATES_SHOWN)
