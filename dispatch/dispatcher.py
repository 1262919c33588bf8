"""Dispatching: claim units for an incident and send their taskings; pre-empt; serve the queue."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass

from cad.errors import UnreadableRecordError
from cad.events import Grade
from cad.incident_record import IncidentRecord, read_incident
from cad.incident_types import Catalogue
from cad.keys import AreaKeys
from cad.logs import log
from cad.publisher import Publisher
from cad.supervisor import report_failure
from cad.topics import Topics
from cad.unreadable import log_unreadable
from dispatch.candidates import MAX_CANDIDATES, gather_candidates, recommend_for
from dispatch.claims import (
    GRADE_RANK,
    RANK_WEIGHT,
    UNGRADED_RANK,
    ClaimOutcome,
    ClaimResult,
    NamedPick,
    PlannedClaim,
    plan_nearest,
)
from dispatch.lua.claim_plan import claim_plan, queue_claim_plan
from dispatch.lua.claim_units import claim_units
from dispatch.mutual_aid import borrow_plan
from dispatch.recommendation import PreemptionPick, Recommendation, plan_with_preemption
from dispatch.scripts import DispatchScripts
from dispatch.taskings import build_tasking, send_tasking
from geo import distance_m
from transport.redis_types import AsyncRedis
from transport.scripts import Answers, Batch, Queued

logger = logging.getLogger("cad.dispatch")

# Immediate and Significant incidents are sent automatically; Extended and Referred wait.
AUTO_DISPATCH_GRADES = frozenset({Grade.IMMEDIATE, Grade.SIGNIFICANT})
# Who serves the pending queue when a unit frees or an incident is queued again (the audit's actor).
PENDING_ACTOR = "auto:pending"
# How far down the pending queue one freed unit looks: the queue is ordered, so the head matters.
_PENDING_SCAN = 32
# Pre-emption's second, wider read when the nearest 40 cannot fill the plan (only an Immediate
# call with no unit free asks; one script, about 2 ms of Redis for 400 units).
_PREEMPTION_CANDIDATES = 400
# The queue's scores rank by grade first (dispatch/claims.py `pending_score`), so the auto-sent
# grades are the scores below this: a backlog of Extended, Referred or ungraded incidents behind
# them is never read by a freed unit, which would only skip it.
_AUTO_SCORES_BELOW = (max(GRADE_RANK[g] for g in AUTO_DISPATCH_GRADES) + 1) * RANK_WEIGHT


@dataclass(frozen=True)
class _FirstStep:
    """A dispatch's first step: the claim of the plan's nearest units (or the queue)."""

    claim: PlannedClaim
    auto: bool
    now_ms: int


@dataclass(frozen=True)
class OpeningClaim:
    """A new incident's dispatch, begun on the batch that creates the incident."""

    incident: IncidentRecord
    actor: str
    step: _FirstStep
    answer: Queued[ClaimResult]


class Dispatcher:
    """Claims units atomically and sends their taskings."""

    def __init__(
        self,
        redis: AsyncRedis,
        scripts: DispatchScripts,
        publisher: Publisher,
        topics: Topics,
        *,
        radii_m: tuple[int, ...],
        catalogue: Catalogue,
        stale_fix_s: float,
    ) -> None:
        self._redis = redis
        self._scripts = scripts
        self._publisher = publisher
        self._topics = topics
        self._radii_m = radii_m
        self._catalogue = catalogue
        self._stale_fix_ms = int(stale_fix_s * 1000)

    def _first_step(
        self, incident: IncidentRecord, *, actor: str, force: bool = False
    ) -> _FirstStep:
        auto = force or incident.grade in AUTO_DISPATCH_GRADES
        now_ms = int(time.time() * 1000)
        claim = plan_nearest(
            area=incident.area,
            ref=incident.ref,
            lon=incident.lon,
            lat=incident.lat,
            grade=incident.grade,
            received_ms=incident.received_ms,
            radii_m=self._radii_m if auto else (),
            now_ms=now_ms,
            actor=actor,
            plan=self._catalogue.plan_for(incident.incident_type),
            min_fix_ms=now_ms - self._stale_fix_ms,
        )
        return _FirstStep(claim, auto, now_ms)

    def queue_opening(self, batch: Batch, incident: IncidentRecord, *, actor: str) -> OpeningClaim:
        """Queue a new incident's opening claim on the batch that creates it, after the
        creation: it claims for the incident as it will be (an incident the batch did not
        create is not there, and the claim does nothing)."""
        step = self._first_step(incident, actor=actor)
        return OpeningClaim(incident, actor, step, queue_claim_plan(batch, step.claim))

    async def finish_opening(self, opening: OpeningClaim, answers: Answers) -> ClaimResult:
        """The rest of a new incident's dispatch once its batch has answered: send the
        taskings, or pre-empt, or borrow; the whole dispatch if Redis had forgotten the claim."""
        if not opening.answer.ran(answers):
            return await self.dispatch(opening.incident, actor=opening.actor)
        claim = opening.answer.answer(answers)
        return await self._follow_up(opening.incident, opening.step, claim, actor=opening.actor)

    async def dispatch(
        self,
        incident: IncidentRecord,
        *,
        actor: str,
        preempt: bool = True,
        force: bool = False,
        borrow: bool = True,
    ) -> ClaimResult:
        """Claim the plan's nearest units when the grade is dispatched automatically (or when a
        dispatcher `force`s it), else queue. An Immediate incident whose plan cannot be met from
        available units takes units from lower-grade incidents not yet on scene (`preempt`); a
        plan its own area still cannot meet is borrowed from the nearest other areas (`borrow`)."""
        step = self._first_step(incident, actor=actor, force=force)
        claim = await claim_plan(self._scripts, step.claim)
        return await self._follow_up(
            incident, step, claim, actor=actor, preempt=preempt, borrow=borrow
        )

    async def _follow_up(
        self,
        incident: IncidentRecord,
        step: _FirstStep,
        claim: ClaimResult,
        *,
        actor: str,
        preempt: bool = True,
        borrow: bool = True,
    ) -> ClaimResult:
        """The rest of `dispatch` once its first claim has answered: send the taskings, or
        pre-empt, or borrow."""
        if claim.outcome is ClaimOutcome.QUEUED and preempt and incident.grade is Grade.IMMEDIATE:
            claim = await self._preempt(incident, actor=actor) or claim
        elif claim.outcome is ClaimOutcome.CLAIMED:
            await self._send_all(incident, claim)
        # Cross-BCU dispatch (dispatch/mutual_aid.py): only once the own area has nothing left.
        if claim.outcome is ClaimOutcome.QUEUED and step.auto and borrow:
            claim = await self._borrow(incident, actor=actor, now_ms=step.now_ms) or claim
        return claim

    async def recommendation(self, incident: IncidentRecord) -> Recommendation:
        """The units the plan would take now, and why each other near unit would not go."""
        return await recommend_for(
            self._scripts,
            area=incident.area,
            lon=incident.lon,
            lat=incident.lat,
            plan=self._catalogue.plan_for(incident.incident_type),
            radii_m=self._radii_m,
            stale_before_ms=int(time.time() * 1000) - self._stale_fix_ms,
            stood_down=frozenset(incident.stood_down),
        )

    async def dispatch_named(
        self, incident: IncidentRecord, callsigns: tuple[str, ...], *, actor: str, reason: str
    ) -> ClaimResult:
        """Send exactly the units a dispatcher names (all or none); the choice is audited."""
        claim = await claim_units(
            self._scripts,
            area=incident.area,
            ref=incident.ref,
            picks=tuple(NamedPick(c) for c in callsigns),
            now_ms=int(time.time() * 1000),
            actor=actor,
            reason=reason,
        )
        if claim.outcome is ClaimOutcome.CLAIMED:
            await self._send_all(incident, claim)
        return claim

    async def serve_pending(self, area: str, *, actor: str) -> int:
        """Dispatch waiting I and S incidents of the area in queue order, as far as units suit.
        An incident that fails (an unreadable record) is logged and skipped: it must not hold up
        the incidents behind it."""
        sent = 0
        refs = await self._redis.zrange(
            AreaKeys(area).pending, "-inf", f"({_AUTO_SCORES_BELOW}", byscore=True, offset=0,
            num=_PENDING_SCAN,
        )  # fmt: skip
        for ref in refs:
            try:
                sent += await self._serve_one(area, ref, actor=actor)
            except UnreadableRecordError as exc:
                log_unreadable(exc)  # the incidents queued behind it are still served
            except Exception as error:
                report_failure(logger, "serve_pending_failed", error, area=area, incident_ref=ref)
        return sent

    async def _serve_one(self, area: str, ref: str, *, actor: str) -> bool:
        incident = await read_incident(self._redis, area, ref)
        if incident is None or incident.grade not in AUTO_DISPATCH_GRADES:
            return False
        # A plan this unit cannot meet must not hold up the incidents behind it; the queue
        # was offered to other areas when each incident was first dispatched.
        claim = await self.dispatch(incident, actor=actor, preempt=False, borrow=False)
        return claim.outcome is ClaimOutcome.CLAIMED

    async def _preempt(self, incident: IncidentRecord, *, actor: str) -> ClaimResult | None:
        picks, complete, read_all = await self._preemption_picks(incident, MAX_CANDIDATES)
        if not complete and not read_all:
            # The nearest 40 may all be on scene or on Immediate calls while a unit on its way to
            # a lower grade stands further out: the nearest few hundred are read then, only then.
            picks, complete, _ = await self._preemption_picks(incident, _PREEMPTION_CANDIDATES)
        if not picks:
            return None
        reason = "pre-emption for an Immediate incident" + ("" if complete else " (plan short)")
        claim = await claim_units(
            self._scripts,
            area=incident.area,
            ref=incident.ref,
            picks=tuple(NamedPick(p.callsign, p.from_ref) for p in picks),
            now_ms=int(time.time() * 1000),
            actor=actor,
            reason=reason,
        )
        if claim.outcome is not ClaimOutcome.CLAIMED:
            return None
        await self._send_all(incident, claim)
        taken = [(pick.from_ref, pick.callsign) for pick in picks if pick.from_ref is not None]
        for from_ref, callsign in taken:
            await self._notify_preempted(from_ref, callsign, incident.ref)
        if taken:
            await self._serve_requeued(incident.area, incident.ref)
        return claim

    async def _serve_requeued(self, area: str, ref: str) -> None:
        """Serve the queue after a pre-emption left an incident with no unit and queued it: a
        free unit may suit it though not the Immediate call (a response car, where the call took
        the roads policing car), or another replica freed one while it was being queued and
        found the queue without it; served now, not at the sweep's next round."""
        try:
            # A unit freed after this look serves the queue itself, the incident already in it;
            # none free, the usual case after a pre-emption: nothing to serve.
            if await self._redis.zcard(AreaKeys(area).available):
                await self.serve_pending(area, actor=PENDING_ACTOR)
        except Exception as error:  # the pre-emption stands; the sweep serves the queue
            report_failure(logger, "serve_pending_failed", error, area=area, incident_ref=ref)

    async def _preemption_picks(
        self, incident: IncidentRecord, limit: int
    ) -> tuple[tuple[PreemptionPick, ...], bool, bool]:
        """The plan's picks among the `limit` units nearest the incident, available or on their
        way to a lower grade; whether they fill it; whether every unit in reach was read."""
        candidates, full = await gather_candidates(
            self._scripts, area=incident.area, lon=incident.lon, lat=incident.lat,
            radius_m=self._radii_m[-1], limit=limit,
        )  # fmt: skip
        refs = sorted({c.incident_ref for c in candidates if c.incident_ref})
        grades = await self._grades(incident.area, refs)
        picks, complete = plan_with_preemption(
            self._catalogue.plan_for(incident.incident_type),
            [c for c in candidates if c.callsign not in incident.stood_down],
            incident_ranks=grades,
            target_rank=GRADE_RANK[Grade.IMMEDIATE],
            stale_before_ms=int(time.time() * 1000) - self._stale_fix_ms,
        )
        return picks, complete, not full

    async def _borrow(
        self, incident: IncidentRecord, *, actor: str, now_ms: int
    ) -> ClaimResult | None:
        claim = await borrow_plan(
            self._redis, self._scripts, incident=incident,
            plan=self._catalogue.plan_for(incident.incident_type), radii_m=self._radii_m,
            stale_before_ms=now_ms - self._stale_fix_ms, now_ms=now_ms, actor=actor,
        )  # fmt: skip
        if claim is not None:
            await self._send_all(incident, claim)
        return claim

    async def _grades(self, area: str, refs: list[str]) -> dict[str, int]:
        if not refs:
            return {}
        keys = AreaKeys(area)
        async with self._redis.pipeline(transaction=False) as pipe:
            for ref in refs:
                pipe.hget(keys.incident(ref), "grade")
            grades = await pipe.execute()
        return {
            ref: GRADE_RANK[Grade(g)] if g else UNGRADED_RANK
            for ref, g in zip(refs, grades, strict=True)
        }

    async def _send_all(self, incident: IncidentRecord, claim: ClaimResult) -> None:
        for unit in claim.units:
            distance = unit.distance_m
            if distance is None:  # a named unit: the claim did not measure how far it is
                distance = await self._distance(incident, unit.callsign)
            tasking = build_tasking(incident, tasking_id=unit.tasking_id, distance_m=distance)
            await send_tasking(self._publisher, self._topics, unit.callsign, tasking)
            log(
                logger, logging.INFO, "tasking_sent", incident_ref=incident.ref,
                call_id=incident.call_id, callsign=unit.callsign, tasking_id=unit.tasking_id,
            )  # fmt: skip

    async def send_again(self, incident: IncidentRecord, callsign: str, tasking_id: str) -> None:
        """Send a unit's unacknowledged tasking again under its own id (the MDT takes an id
        once), its ETA from where the unit is now: the first may have been lost with a broker."""
        distance = await self._distance(incident, callsign)
        tasking = build_tasking(incident, tasking_id=tasking_id, distance_m=distance)
        await send_tasking(self._publisher, self._topics, callsign, tasking)
        log(
            logger, logging.INFO, "tasking_resent", incident_ref=incident.ref,
            call_id=incident.call_id, callsign=callsign, tasking_id=tasking_id,
        )  # fmt: skip

    async def _distance(self, incident: IncidentRecord, callsign: str) -> float:
        (position,) = await self._redis.geopos(AreaKeys(incident.area).positions, callsign)
        if position is None:
            return 0.0
        return distance_m(position[0], position[1], incident.lon, incident.lat)

    async def _notify_preempted(self, from_ref: str, callsign: str, to_ref: str) -> None:
        update = {"event": "unit_preempted", "ref": from_ref, "callsign": callsign, "to": to_ref}
        await self._publisher.publish(
            self._topics.incident(from_ref), json.dumps(update).encode(), qos=1
        )
        log(logger, logging.WARNING, "unit_preempted", incident_ref=from_ref, callsign=callsign,
            to_ref=to_ref)  # fmt: skip
