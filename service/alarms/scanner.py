"""The alarm scan: read the facts, raise an alarm for each condition found, clear those whose
condition ended, forget the expired; and tell of every change on MQTT `cad/alarms`.

Safe on several replicas at once, with no lease: every change is one script that changes an
alarm only once (raised, acknowledged, cleared), and only the replica whose script made the
change publishes it, so two scans of one condition raise one alarm and send one message.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from cad.alarm_record import Alarm, AlarmKind
from cad.errors import MqttUnavailableError
from cad.incident_record import read_incident
from cad.logs import log
from cad.publisher import Publisher
from cad.settings import Settings
from cad.topics import Topics
from cad.unreadable import UnreadableRecords
from service.alarms.facts import FactReader
from service.alarms.rules import IncidentFacts, Limits, conditions, exhausted, to_clear
from service.alarms.store import AlarmStore
from transport.redis_types import AsyncRedis

logger = logging.getLogger("cad.alarms")


def wall_clock_ms() -> int:
    return int(time.time() * 1000)


class AlarmScanner:
    """One scan at a time (`scan_once`, run every CAD_ALARM_SCAN_INTERVAL_S by the supervisor),
    and the alarm raised when an escalation leaves an incident with no unit (`escalated`)."""

    def __init__(
        self,
        redis: AsyncRedis,
        publisher: Publisher,
        topics: Topics,
        settings: Settings,
        unreadable: Callable[[], UnreadableRecords],
        *,
        clock_ms: Callable[[], int] = wall_clock_ms,
    ) -> None:
        self.store = AlarmStore(redis, retention_s=settings.alarm_retention_s)
        self._redis = redis
        self._publisher = publisher
        self._topics = topics
        self._limits = Limits.from_settings(settings)
        self._facts = FactReader(redis, topics, settings.alarm_dead_letter_window_s, self._limits)
        self._unreadable = unreadable
        self._clock_ms = clock_ms

    async def scan_once(self) -> list[Alarm]:
        """One scan over every area and the dead letters; the alarms it raised or cleared."""
        now_ms = self._clock_ms()
        # Read before raising: an alarm another replica raises meanwhile is not cleared here.
        # Read before the facts too: an exhausted incident's alarm is kept while the incident
        # is still waiting with no unit, which only its own facts tell.
        active = await self.store.active()
        exhausted_refs = frozenset(
            (a.area, a.ref) for a in active
            if a.kind is AlarmKind.TASKING_EXHAUSTED and a.area and a.ref
        )  # fmt: skip
        facts = await self._facts.read(
            now_ms=now_ms, unreadable=self._unreadable(), named=exhausted_refs
        )
        found = conditions(facts, now_ms=now_ms, limits=self._limits)
        # One found active already needs no script: at most it was cleared since the read, and
        # the next round raises it again. Only what is new costs a round trip.
        known = {a.alarm_id for a in active}
        changed: list[Alarm] = []
        for condition in (c for c in found if c.alarm_id not in known):
            raised = await self.store.raise_(condition, now_ms=now_ms)
            if raised is not None:
                changed.append(raised)
        for alarm in to_clear(active, found, facts.incidents):
            cleared = await self.store.clear(alarm.alarm_id, now_ms=now_ms)
            if cleared is not None:
                changed.append(cleared)
        await self._tell_all(changed)
        await self.store.trim(now_ms=now_ms)
        return changed

    async def _tell_all(self, alarms: list[Alarm]) -> None:
        """Tell of each change; once the broker is found unavailable, log the rest only: each
        publish would wait the network timeout, and the round must not stall for minutes."""
        for n, alarm in enumerate(alarms):
            if not await self.tell(alarm):
                for rest in alarms[n + 1 :]:
                    self._log(rest)
                    log(logger, logging.WARNING, "alarm_not_published", alarm_id=rest.alarm_id,
                        error="broker unavailable earlier in this round")  # fmt: skip
                return

    async def escalated(self, area: str, ref: str) -> Alarm | None:
        """After an escalation took the last unit off `ref` and a replacement was sought: raise
        `tasking_exhausted` if the incident is still waiting with no unit."""
        incident = await read_incident(self._redis, area, ref)
        if incident is None:
            return None
        facts = IncidentFacts(
            ref=ref, area=area, status=incident.status, grade=incident.grade,
            incident_type=incident.incident_type, received_ms=incident.received_ms,
            touched_ms=incident.created_ms, units=incident.units,
        )  # fmt: skip
        condition = exhausted(facts)
        if condition is None:
            return None
        raised = await self.store.raise_(condition, now_ms=self._clock_ms())
        if raised is not None:
            await self.tell(raised)
        return raised

    async def tell(self, alarm: Alarm) -> bool:
        """Log the change and publish it on `cad/alarms` (QoS 1); whether it was published.
        Redis holds the alarm and the live map reads it from there: a broker outage loses the
        message, never the alarm."""
        self._log(alarm)
        try:
            await self._publisher.publish(
                self._topics.alarms, alarm.model_dump_json().encode(), qos=1
            )
        except MqttUnavailableError as exc:
            log(logger, logging.WARNING, "alarm_not_published", alarm_id=alarm.alarm_id,
                error=str(exc))  # fmt: skip
            return False
        return True

    @staticmethod
    def _log(alarm: Alarm) -> None:
        log(
            logger, logging.WARNING, "alarm_" + alarm.state.value, alarm_id=alarm.alarm_id,
            kind=alarm.kind.value, severity=alarm.severity.value, area=alarm.area,
            incident_ref=alarm.ref, callsign=alarm.callsign,
        )  # fmt: skip
