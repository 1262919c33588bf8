"""The KPIs from the last hour of every area's audit stream, computed at most once per interval."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from cad.keys import AreaKeys
from cad.unreadable import log_unreadable, unreadable_record
from service.live.kpis import HOUR_MS, IncidentTimes, compute_kpis
from service.live.readmodel import known_areas
from transport.redis_types import AsyncRedis

# Enough for a major-incident hour in one area; beyond it the oldest entries are left out.
_MAX_ENTRIES_PER_AREA = 200_000


@dataclass
class KpiSource:
    """Shared by every map client of a process, so that the cost does not grow with viewers."""

    redis: AsyncRedis
    max_age_s: float = 1.5
    _value: dict[str, Any] | None = None
    _at: float = 0.0
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _unreadable: set[str] = field(default_factory=set)

    async def current(self) -> dict[str, Any]:
        """The KPIs, recomputed when the cached value is older than `max_age_s`."""
        async with self._lock:
            if self._value is None or time.monotonic() - self._at > self.max_age_s:
                self._value = await self._compute()
                self._at = time.monotonic()
            return self._value

    async def _compute(self) -> dict[str, Any]:
        now_ms = int(time.time() * 1000)
        entries: list[dict[str, str]] = []
        incidents: dict[str, IncidentTimes] = {}
        for area in sorted(await known_areas(self.redis)):
            keys = AreaKeys(area)
            # Stream ids start with their time in ms, so the hour is a range of ids.
            hour = await self.redis.xrevrange(
                keys.audit, max="+", min=f"{now_ms - HOUR_MS}-0", count=_MAX_ENTRIES_PER_AREA
            )
            fields = [f for _, f in reversed(hour)]
            entries += fields
            refs = sorted({f["ref"] for f in fields if f.get("type") == "incident_created"})
            async with self.redis.pipeline(transaction=False) as pipe:
                for ref in refs:
                    pipe.hmget(keys.incident(ref), ["grade", "received_ms"])
                stored = await pipe.execute()
            for ref, (grade, received) in zip(refs, stored, strict=True):
                try:
                    if received:
                        incidents[ref] = IncidentTimes(grade or None, int(received))
                except ValueError as exc:  # left out of the figures, not failing them all
                    if ref not in self._unreadable:  # logged once: this runs every 1.5 s
                        self._unreadable.add(ref)
                        log_unreadable(unreadable_record("incident", area, ref, exc))
        return compute_kpis(entries, incidents, now_ms=now_ms).to_json() | {"at_ms": now_ms}
