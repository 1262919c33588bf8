"""Where alarms are kept: AsyncRedis, under `AlarmKeys` (cad/keys.py), changed only by the alarm
scripts (service/alarms/lua/), each of which also appends the alarm audit stream."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from pydantic import ValidationError

from cad.alarm_record import ACTIVE, Alarm, AlarmState, Severity
from cad.keys import AlarmKeys
from cad.logs import log
from service.alarms.lua.ack_alarm import AckAnswer, ack_alarm
from service.alarms.lua.clear_alarm import clear_alarm
from service.alarms.lua.forget_alarm import forget_alarm
from service.alarms.lua.raise_alarm import raise_alarm
from service.alarms.rules import Condition
from transport.redis_types import AsyncRedis
from transport.scripts import ScriptClient

logger = logging.getLogger("cad.alarms")

# The index is read this many ids at a time.
_PAGE = 500


async def read_alarms(redis: AsyncRedis, alarm_ids: Iterable[str]) -> list[Alarm]:
    """The alarms still kept among `alarm_ids`, in that order; a hash that does not parse is
    logged and left out (one bad record must not hide the others)."""
    ids = list(alarm_ids)
    if not ids:
        return []
    keys = AlarmKeys()
    async with redis.pipeline(transaction=False) as pipe:
        for alarm_id in ids:
            pipe.hgetall(keys.alarm(alarm_id))
        hashes: list[dict[str, str]] = await pipe.execute()
    found = []
    for alarm_id, fields in zip(ids, hashes, strict=True):
        if not fields:
            continue
        try:
            found.append(Alarm.from_hash(fields))
        except ValidationError as exc:
            reason = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            log(logger, logging.WARNING, "alarm_unreadable", alarm_id=alarm_id, error=reason)
    return found


class AlarmStore:
    """Raising, clearing, acknowledging and listing alarms; cleared ones expire after
    `retention_s`, and their index entries go at the next `trim`."""

    def __init__(self, redis: AsyncRedis, *, retention_s: float) -> None:
        self._redis = redis
        self._scripts = ScriptClient(redis)
        self._retention_ms = int(retention_s * 1000)
        self._keys = AlarmKeys()

    async def raise_(self, condition: Condition, *, now_ms: int) -> Alarm | None:
        """The alarm raised now for `condition`; None when it is active already."""
        fields = await raise_alarm(
            self._scripts, alarm_id=condition.alarm_id, fields=condition.fields(), now_ms=now_ms
        )
        return Alarm.from_hash(fields) if fields else None

    async def clear(self, alarm_id: str, *, now_ms: int) -> Alarm | None:
        """The alarm cleared now; None when it was not active."""
        fields = await clear_alarm(
            self._scripts, alarm_id=alarm_id, now_ms=now_ms, retention_ms=self._retention_ms
        )
        return Alarm.from_hash(fields) if fields else None

    async def acknowledge(
        self, alarm_id: str, *, now_ms: int, actor: str, note: str | None
    ) -> AckAnswer:
        """Acknowledge a raised alarm as `actor` (see `AckAnswer` for the outcomes)."""
        return await ack_alarm(
            self._scripts, alarm_id=alarm_id, now_ms=now_ms, actor=actor, note=note
        )

    async def read(self, alarm_ids: Iterable[str]) -> list[Alarm]:
        """The alarms still kept among `alarm_ids` (`read_alarms`)."""
        return await read_alarms(self._redis, alarm_ids)

    async def listed(
        self,
        *,
        states: frozenset[AlarmState] = frozenset(AlarmState),
        severity: Severity | None = None,
        area: str | None = None,
        limit: int = 1_000,
    ) -> list[Alarm]:
        """The kept alarms matching the filters, the most recently raised first."""
        found: list[Alarm] = []
        start = 0
        while len(found) < limit:
            ids = await self._redis.zrevrange(self._keys.index, start, start + _PAGE - 1)
            if not ids:
                break
            start += _PAGE
            found += [
                a
                for a in await self.read(ids)
                if a.state in states
                and (severity is None or a.severity is severity)
                and (area is None or a.area == area)
            ]
        return found[:limit]

    async def active(self) -> list[Alarm]:
        """Every raised or acknowledged alarm."""
        return await self.listed(states=ACTIVE, limit=1_000_000)

    async def trim(self, *, now_ms: int) -> int:
        """Forget the index entries of alarms that have expired; how many went."""
        cutoff = now_ms - self._retention_ms
        old = await self._redis.zrangebyscore(self._keys.index, "-inf", cutoff, 0, _PAGE)
        forgotten = 0
        for alarm_id in old:
            forgotten += await forget_alarm(self._scripts, alarm_id=alarm_id)
        return forgotten
