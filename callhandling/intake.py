"""Call intake: one service function for MQTT call events and the HTTP API alike.

It reads forward: locate the call (its dispatch area), read what is around it in one round trip
(`callhandling/surroundings.py`), decide with no I/O (`callhandling/call_decision.py`: refuse,
replay, link to a duplicate, or open an incident), write in one round trip (the link, or the
creation with the new incident's opening claim on the same pipeline), then send the taskings.
Linking never dispatches: the incident already has its units or its place in the queue.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import NoReturn

from cad.clock_bounds import call_clock
from cad.events import CallEvent, utcnow
from cad.incident_record import (
    IncidentRecord,
    IncidentStatus,
    new_incident_fields,
    parse_incident,
    read_incident,
)
from cad.incident_types import load_catalogue
from cad.keys import AreaKeys, GlobalKeys
from cad.logs import log
from cad.settings import Settings
from callhandling.call_claims import CallClaim, CallIdConflictError, claim_of
from callhandling.call_decision import Create, Link, Refuse, Relocate, Replay, decide
from callhandling.duplicates import CallFacts, Candidate, OpenIncident, rank_candidates
from callhandling.incidents import Outcome, call_fields, cli_hash, fence_cells, next_ref
from callhandling.jurisdiction import attended_grades, jurisdiction_fields, jurisdiction_of
from callhandling.lua.create_incident import queue_create_incident
from callhandling.lua.hold_for_transfer import queue_hold_for_transfer
from callhandling.lua.link_call import queue_link_call
from callhandling.lua.open_incident_facts import queue_open_incident_facts
from callhandling.surroundings import Surroundings, look_around
from dispatch.areas import dispatch_area
from dispatch.claims import ClaimResult
from dispatch.dispatcher import Dispatcher
from geo import Jurisdiction
from transport.redis_types import AsyncRedis
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


@dataclass(frozen=True)
class _Call:
    """A call on its way in: the area that records it, its claim of its call id, its caller's
    number hashed, and its facts for duplicate scoring."""

    event: CallEvent
    area: str
    claim: CallClaim
    cli_hash: str | None
    facts: CallFacts
    # What its jurisdiction adds to an incident it opens (callhandling/jurisdiction.py).
    jurisdiction: dict[str, str]
    # A call is moved to the area its id was first claimed in at most once.
    relocated: bool = False


class CallIntake:
    """Records calls: duplicate search, link or create (idempotent by call id), then dispatch."""

    def __init__(self, redis: AsyncRedis, dispatcher: Dispatcher, settings: Settings) -> None:
        self._redis = redis
        self._dispatcher = dispatcher
        self._settings = settings
        # Every edge that takes calls in (MQTT, HTTP) holds `received_at` to these first.
        self.clock_bounds = call_clock(settings)
        # ... and `incident_type` to the catalogue: a type it does not know is refused, never
        # taken silently (it would get no response plan of its own).
        self.catalogue = load_catalogue(settings.incident_types_file)

    async def accept(
        self,
        event: CallEvent,
        *,
        actor: str,
        auto_link: bool = True,
        area: str | None = None,
        where: Jurisdiction | None = None,
    ) -> IntakeResult:
        """Record the call; link it to a likely duplicate or open (and dispatch) an incident.
        `area` is the call's dispatch area and `where` its jurisdiction, when the caller has
        located the call already."""
        call = self._locate(event, area, where)
        for attempt in range(_MAX_ATTEMPTS):
            last = attempt == _MAX_ATTEMPTS - 1
            around = await self._look(call, auto_link=auto_link)
            # Ranked once a look: the decision takes the best, the answer lists the first few.
            candidates = _candidates(call, around.incidents)
            decision = self._decide(call, around, candidates, auto_link=auto_link, last=last)
            while isinstance(decision, Relocate):
                _unused(event, around.reserved_ref, "call first located in another area")
                call = replace(call, area=decision.first.area, claim=decision.first, relocated=True)
                around = await self._look(call, auto_link=auto_link)
                candidates = _candidates(call, around.incidents)
                decision = self._decide(call, around, candidates, auto_link=auto_link, last=last)
            if isinstance(decision, Refuse):
                _refuse(event, decision, call.claim, around.reserved_ref)
            if isinstance(decision, Replay):
                _unused(event, around.reserved_ref, "call recorded already")
                return await self._replayed(event, call.area, decision.ref)
            if isinstance(decision, Link):
                result = await self._link(call, decision.candidate, candidates, actor=actor)
            else:
                result = await self._create(call, decision, around, candidates, actor=actor)
            if result is not None:
                return result
        raise AssertionError("the last attempt opens an incident regardless")

    def _locate(self, event: CallEvent, area: str | None, where: Jurisdiction | None) -> _Call:
        loc = event.location
        area = area or dispatch_area(loc.lon, loc.lat)
        hashed = cli_hash(event.cli, self._settings.cli_salt)
        facts = CallFacts(
            loc.lon, loc.lat, loc.radius_m, int(event.received_at.timestamp() * 1000),
            event.incident_type, hashed,
        )  # fmt: skip
        where = jurisdiction_of(loc, self._settings) if where is None else where
        fields = jurisdiction_fields(where, event.grade, attend=attended_grades(self._settings))
        claim = claim_of(event, area, self._settings.cli_salt)
        return _Call(event, area, claim, hashed, facts, fields)

    async def _look(self, call: _Call, *, auto_link: bool) -> Surroundings:
        loc = call.event.location
        return await look_around(
            self._redis, area=call.area, call_id=call.event.call_id, lon=loc.lon, lat=loc.lat,
            radius_m=self._settings.duplicate_search_m, claim=call.claim,
            retention_s=self._settings.caller_data_retention_s,
            # A call that opens an incident whatever it finds takes its reference now.
            reserve_ref=None if auto_link else utcnow(),
        )  # fmt: skip

    def _decide(
        self,
        call: _Call,
        around: Surroundings,
        candidates: tuple[Candidate, ...],
        *,
        auto_link: bool,
        last: bool,
    ) -> Refuse | Relocate | Replay | Link | Create:
        return decide(
            call.event.call_id, call.claim, around, candidates,
            auto_link=auto_link, link_score=self._settings.auto_link_score, last=last,
            may_relocate=not call.relocated,
        )  # fmt: skip

    async def _link(
        self, call: _Call, candidate: Candidate, candidates: tuple[Candidate, ...], *, actor: str
    ) -> IntakeResult | None:
        """Link the call to the incident, in one round trip; None when it closed meanwhile."""
        now_ms = _ms(utcnow())
        fields = call_fields(call.event, call.cli_hash, recorded_ms=now_ms)
        batch = Batch()
        linking = queue_link_call(
            batch, area=call.area, ref=candidate.ref, call_id=call.event.call_id, call=fields,
            score=candidate.score, reasons="; ".join(candidate.reasons),
            received_ms=int(fields["received_ms"]), cli_hash=call.cli_hash, now_ms=now_ms,
            actor=actor, keep_call_s=self._settings.caller_data_retention_s,
        )  # fmt: skip
        linked = linking.answer(await batch.run(self._redis))
        if linked.outcome is Outcome.RETRY:
            return None
        if linked.outcome is Outcome.REPLAYED:
            return await self._replayed(call.event, call.area, linked.ref)
        incident = parse_incident(call.area, linked.ref, linked.fields)
        result = IntakeResult(incident, Outcome.LINKED, candidates, None)
        self._log(call.event, result)
        return result

    async def _create(
        self,
        call: _Call,
        create: Create,
        around: Surroundings,
        candidates: tuple[Candidate, ...],
        *,
        actor: str,
    ) -> IntakeResult | None:
        """Open an incident for the call and begin its dispatch, in one round trip (after the
        day's reference, unless the look reserved it); None when the fence moved meanwhile."""
        now = utcnow()
        ref = around.reserved_ref or await next_ref(self._redis, now)
        event, area, now_ms = call.event, call.area, _ms(now)
        incident = {
            **new_incident_fields(event, area=area), "cli_hashes": call.cli_hash or "",
            **call.jurisdiction,
        }  # fmt: skip
        loc = event.location
        glob = GlobalKeys()
        batch = Batch()
        # The open incidents near it as they were before it, for the candidates of the answer.
        nearby = (
            queue_open_incident_facts(batch, area=area, refs=around.near_refs)
            if around.near_refs
            else None
        )
        # The directory entries go first so that no incident exists that a lookup cannot find.
        batch.command(int, "HSET", glob.incident_area, ref, area)
        batch.command(int, "SADD", glob.areas, area)
        creation = queue_create_incident(
            batch, area=area, ref=ref, call_id=event.call_id, incident=incident,
            call=call_fields(event, call.cli_hash, recorded_ms=now_ms), lon=loc.lon, lat=loc.lat,
            received_ms=int(incident["received_ms"]), fence=create.fence,
            fence_cells=fence_cells(loc.lon, loc.lat), now_ms=now_ms, actor=actor,
            keep_call_s=self._settings.caller_data_retention_s,
        )  # fmt: skip
        as_created = IncidentRecord.from_hash({**incident, "ref": ref, "created_ms": str(now_ms)})
        # Another force's call is held for hand-over, not dispatched (callhandling/jurisdiction.py).
        held = as_created.status == IncidentStatus.TRANSFER
        opening = None if held else self._dispatcher.queue_opening(batch, as_created, actor=actor)
        holding = (
            queue_hold_for_transfer(batch, area=area, ref=ref, now_ms=now_ms, actor=actor)
            if held
            else None
        )
        settings = self._settings
        replicas = settings.redis_wait_replicas
        waited = (
            batch.wait_for_replicas(replicas, settings.redis_wait_timeout_ms) if replicas else None
        )
        answers = await batch.run(self._redis)
        if waited is not None and waited.answer(answers) < replicas:
            # Acknowledged all the same (a 999 call is not refused for want of a replica), but
            # a failover now could lose it: the log names it.
            log(
                logger, logging.WARNING, "call_not_replicated", call_id=event.call_id,
                incident_ref=ref, replicas=waited.answer(answers), wanted=replicas,
            )  # fmt: skip
        created = creation.answer(answers)
        if created.outcome is not Outcome.CREATED:
            # The ref allocated here names nothing: unlist it (it costs a gap in the sequence).
            # The opening claim found no incident of that ref, so it did nothing.
            await self._redis.hdel(glob.incident_area, ref)
            if created.outcome is Outcome.RETRY:
                return None
            return await self._replayed(event, area, created.ref)
        near = await self._facts_read(nearby, answers, area, around.near_refs)
        if holding is not None and not holding.ran(answers):
            # Redis had forgotten the script: hold it now, alone.
            again = Batch()
            queue_hold_for_transfer(again, area=area, ref=ref, now_ms=now_ms, actor=actor)
            await again.run(self._redis)
        claim = None if opening is None else await self._dispatcher.finish_opening(opening, answers)
        # The incident as the claim left it, else (held for transfer) as the creation did.
        if claim is None:
            after = IncidentRecord.from_hash(created.fields)
        else:
            after = await self._after(area, ref, claim)
        if near:
            candidates = _candidates(call, near)
        result = IntakeResult(after, Outcome.CREATED, candidates, claim)
        self._log(event, result)
        return result

    async def _facts_read(
        self,
        nearby: Queued[tuple[OpenIncident, ...]] | None,
        answers: Answers,
        area: str,
        refs: tuple[str, ...],
    ) -> tuple[OpenIncident, ...]:
        """The near incidents' facts as the creation's round trip read them; read again when
        Redis had forgotten the script there (after a restart it loads it, but the creation's
        batch is not sent again for a read alone), so that no candidate is silently missed."""
        if nearby is None:
            return ()
        if nearby.ran(answers):
            return nearby.answer(answers)
        facts = Batch()
        again = queue_open_incident_facts(facts, area=area, refs=refs)
        return again.answer(await facts.run(self._redis))

    async def _replayed(self, event: CallEvent, area: str, ref: str) -> IntakeResult:
        batch = Batch()
        # On a cluster the directory's entry and the incident are written on different primaries
        # at once, so a first copy may have failed with only the incident written: its replay
        # lists it, in the same round trip, never over an entry a move has changed (HSETNX).
        batch.command(int, "HSETNX", GlobalKeys().incident_area, ref, area)
        fields = batch.command(dict, "HGETALL", AreaKeys(area).incident(ref))
        found = fields.answer(await batch.run(self._redis))
        if not found:
            raise LookupError(f"incident {ref} vanished from area {area}")
        incident = parse_incident(area, ref, found)
        claim = None
        # A replay after a crash between creating and dispatching finishes the dispatch.
        if incident.status == "new" and incident.call_id == event.call_id:
            claim = await self._dispatcher.dispatch(incident, actor="replay")
            incident = await self._after(area, ref, claim)
        return IntakeResult(incident, Outcome.REPLAYED, (), claim)

    async def _after(self, area: str, ref: str, claim: ClaimResult) -> IncidentRecord:
        """The incident as the dispatch left it: from the claim's answer, else read back."""
        if claim.incident_fields:
            return IncidentRecord.from_hash(claim.incident_fields)
        return await self._read(area, ref)

    async def _read(self, area: str, ref: str) -> IncidentRecord:
        incident = await read_incident(self._redis, area, ref)
        if incident is None:
            raise LookupError(f"incident {ref} vanished from area {area}")
        return incident

    @staticmethod
    def _log(event: CallEvent, result: IntakeResult) -> None:
        claim = result.claim
        log(
            logger, logging.INFO, "call_recorded", call_id=event.call_id,
            incident_ref=result.incident.ref, outcome=result.outcome.value,
            dispatch=claim.outcome.value if claim else None,
            callsigns=[u.callsign for u in claim.units] if claim else [],
        )  # fmt: skip


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


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


def _refuse(
    event: CallEvent, refusal: Refuse, claim: CallClaim, reserved_ref: str | None
) -> NoReturn:
    """Refuse a call whose id was first claimed for a different call: it changes nothing."""
    _unused(event, reserved_ref, "call id used by a different call")
    log(
        logger, logging.WARNING, "call_id_conflict", call_id=event.call_id, area=claim.area,
        first_area=refusal.first.area, differing=refusal.first.differing(claim),
    )  # fmt: skip
    raise CallIdConflictError(refusal.reason)


def _candidates(call: _Call, incidents: Sequence[OpenIncident]) -> tuple[Candidate, ...]:
    return tuple(rank_candidates(call.facts, incidents, limit=_CANDIDATES_SHOWN))
