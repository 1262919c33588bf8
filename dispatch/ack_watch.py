"""The background check for unacknowledged taskings: escalate, re-dispatch, tell everyone."""

from __future__ import annotations

import asyncio
import json
import logging
import time

from redis.asyncio import Redis
from redis.exceptions import RedisError

from cad.errors import MqttUnavailableError
from cad.incident_types import Catalogue
from cad.keys import GlobalKeys
from cad.logs import log
from cad.publisher import Publisher
from cad.topics import Topics
from dispatch.acks import Escalation, due_taskings, escalate, requirement_of
from dispatch.claims import ClaimOutcome
from dispatch.dispatcher import Dispatcher
from dispatch.incident_store import read_incident
from dispatch.scripts import DispatchScripts

logger = logging.getLogger("cad.acks")

ACTOR = "auto:ack-timeout"


class AckWatch:
    """Every `interval_s`, escalates the taskings unacknowledged for longer than `timeout_s`."""

    def __init__(
        self,
        redis: Redis,
        scripts: DispatchScripts,
        dispatcher: Dispatcher,
        publisher: Publisher,
        topics: Topics,
        *,
        catalogue: Catalogue,
        timeout_s: float,
        interval_s: float,
    ) -> None:
        self._redis = redis
        self._scripts = scripts
        self._dispatcher = dispatcher
        self._publisher = publisher
        self._topics = topics
        self._catalogue = catalogue
        self._timeout_ms = int(timeout_s * 1000)
        self._interval_s = interval_s

    async def run(self) -> None:
        """Check until cancelled; a failed round is logged and the next one tries again."""
        while True:
            try:
                await self.check_once()
            except (RedisError, MqttUnavailableError, OSError) as exc:
                log(logger, logging.WARNING, "ack_check_failed", error=str(exc))
            await asyncio.sleep(self._interval_s)

    async def check_once(self) -> list[Escalation]:
        """One round over every area: escalate what is due, then replace each unit released."""
        now_ms = int(time.time() * 1000)
        cutoff_ms = now_ms - self._timeout_ms
        done: list[Escalation] = []
        for area in sorted(await self._redis.smembers(GlobalKeys().areas)):
            for due in await due_taskings(self._redis, area, cutoff_ms=cutoff_ms):
                escalation = await escalate(
                    self._scripts, due, now_ms=now_ms, cutoff_ms=cutoff_ms, actor=ACTOR
                )
                if escalation is not None:
                    replaced_by = await self._redispatch(escalation)
                    await self._tell(escalation, replaced_by)
                    done.append(escalation)
        return done

    async def _redispatch(self, escalation: Escalation) -> tuple[str, ...]:
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
        )  # fmt: skip
