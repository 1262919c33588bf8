"""The background check for unacknowledged taskings: escalate, re-dispatch, tell everyone."""

from __future__ import annotations

import json
import logging
import time

from cad.incident_record import read_incident
from cad.incident_types import Catalogue
from cad.keys import GlobalKeys
from cad.logs import log
from cad.publisher import Publisher
from cad.supervisor import report_failure
from cad.topics import Topics
from dispatch.acks import (
    DueTasking,
    Escalation,
    IncidentSideError,
    LentUnitReleased,
    drop_lent_unit,
    due_taskings,
    escalate,
    requirement_of,
)
from dispatch.claims import ClaimOutcome
from dispatch.dispatcher import Dispatcher
from dispatch.scripts import DispatchScripts
from transport.redis_types import AsyncRedis

logger = logging.getLogger("cad.acks")

ACTOR = "auto:ack-timeout"


class AckWatch:
    """Escalates the taskings unacknowledged for longer than `timeout_s`, one round at a time
    (`check_once`, run every few seconds by the service's supervisor: cad/supervisor.py)."""

    def __init__(
        self,
        redis: AsyncRedis,
        scripts: DispatchScripts,
        dispatcher: Dispatcher,
        publisher: Publisher,
        topics: Topics,
        *,
        catalogue: Catalogue,
        timeout_s: float,
    ) -> None:
        self._redis = redis
        self._scripts = scripts
        self._dispatcher = dispatcher
        self._publisher = publisher
        self._topics = topics
        self._catalogue = catalogue
        self._timeout_ms = int(timeout_s * 1000)
        # Lent units released in their own area whose incident has not dropped them yet.
        self._unfinished: list[LentUnitReleased] = []

    async def check_once(self) -> list[Escalation]:
        """One round over every area: escalate what is due, then replace each unit released.
        A failure in one area or one escalation is logged with its area, callsign and ref, and
        the round goes on with the others; only a failure to list the areas fails the round."""
        now_ms = int(time.time() * 1000)
        cutoff_ms = now_ms - self._timeout_ms
        done = [e for e in [await self._finish(r, now_ms) for r in self._take_unfinished()] if e]
        for area in sorted(await self._redis.smembers(GlobalKeys().areas)):
            try:
                due = await due_taskings(self._redis, area, cutoff_ms=cutoff_ms)
            except Exception as error:
                report_failure(logger, "ack_check_failed", error, area=area)
                continue
            for tasking in due:
                escalation = await self._escalate(tasking, now_ms=now_ms, cutoff_ms=cutoff_ms)
                if escalation is not None:
                    done.append(escalation)
        return done

    def _take_unfinished(self) -> list[LentUnitReleased]:
        taken, self._unfinished = self._unfinished, []
        return taken

    async def _escalate(self, due: DueTasking, *, now_ms: int, cutoff_ms: int) -> Escalation | None:
        context = {"area": due.area, "callsign": due.callsign, "incident_ref": due.ref}
        try:
            escalation = await escalate(
                self._redis, self._scripts, due, now_ms=now_ms, cutoff_ms=cutoff_ms, actor=ACTOR
            )
        except IncidentSideError as error:
            # The unit is unresponsive already and will not be found due again: finish next round.
            self._unfinished.append(error.released)
            report_failure(logger, "escalation_failed", error.__cause__ or error, **context)
            return None
        except Exception as error:
            report_failure(logger, "escalation_failed", error, **context)
            return None
        if escalation is not None:
            await self._follow_up(escalation)
        return escalation

    async def _finish(self, released: LentUnitReleased, now_ms: int) -> Escalation | None:
        due = released.due
        try:
            escalation = await drop_lent_unit(self._scripts, released, now_ms=now_ms, actor=ACTOR)
        except Exception as error:
            self._unfinished.append(released)
            report_failure(logger, "escalation_failed", error, area=released.incident_area,
                           callsign=due.callsign, incident_ref=due.ref)  # fmt: skip
            return None
        await self._follow_up(escalation)
        return escalation

    async def _follow_up(self, escalation: Escalation) -> None:
        """Replace the unit, then tell: dispatchers hear of it even if no unit could be sent."""
        context = {
            "area": escalation.area, "callsign": escalation.callsign,
            "incident_ref": escalation.ref,
        }  # fmt: skip
        replaced_by: tuple[str, ...] = ()
        try:
            replaced_by = await self._redispatch(escalation)
        except Exception as error:
            report_failure(logger, "redispatch_failed", error, **context)
        try:
            await self._tell(escalation, replaced_by)
        except Exception as error:
            report_failure(logger, "escalation_notice_failed", error, **context)

    async def _redispatch(self, escalation: Escalation) -> tuple[str, ...]:
        if not escalation.released:
            return ()
        # The incident's own area: a lent unit's incident lives where it was borrowed to.
        incident = await read_incident(self._redis, escalation.area, escalation.ref)
        if incident is None or incident.status == "closed":
            return ()
        if not escalation.units_left:
            # The incident has no unit left: claim its whole plan again, as the first time.
            claim = await self._dispatcher.dispatch(incident, actor=ACTOR, force=True)
            sent = claim.outcome is ClaimOutcome.CLAIMED
            return tuple(u.callsign for u in claim.units) if sent else ()
        # Other units are still going: replace just the one that did not answer, with the
        # recommendation's choice for the requirement it filled; none free leaves it short.
        requirement = requirement_of(
            self._catalogue.plan_for(incident.incident_type), escalation.position
        )
        chosen = (await self._dispatcher.recommendation(incident)).chosen
        pick = next((c.callsign for c in chosen if c.requirement == requirement), None)
        if pick is None:
            return ()
        claim = await self._dispatcher.dispatch_named(
            incident, (pick,), actor=ACTOR, reason=f"replaces {escalation.callsign} (no ack)"
        )
        return (pick,) if claim.outcome is ClaimOutcome.CLAIMED else ()

    async def _tell(self, escalation: Escalation, replaced_by: tuple[str, ...]) -> None:
        """Dispatchers see it on the incident's topic (and the audit); the MDT on its reply."""
        ref, callsign = escalation.ref, escalation.callsign
        update = {
            "event": "tasking_unacknowledged", "ref": ref, "callsign": callsign,
            "tasking_id": escalation.tasking_id, "replaced_by": list(replaced_by),
            "units_left": list(escalation.units_left), "short": not replaced_by,
        }  # fmt: skip
        withdrawn = {
            "tasking_id": escalation.tasking_id, "accepted": False, "withdrawn": True,
            "reason": f"not acknowledged within {self._timeout_ms / 1000:g}s",
            "current": "unresponsive",
        }  # fmt: skip
        if ref:
            await self._publisher.publish(self._topics.incident(ref), json.dumps(update).encode())
        await self._publisher.publish(
            self._topics.status_reply(callsign), json.dumps(withdrawn).encode()
        )
        log(
            logger, logging.WARNING, "tasking_unacknowledged", incident_ref=ref, callsign=callsign,
            tasking_id=escalation.tasking_id, replaced_by=",".join(replaced_by),
            area=escalation.area, unit_area=escalation.unit_area,
        )  # fmt: skip
