"""Unit movements for the map: AVL is not in the audit stream, so changed fixes are sent in bulk."""

from __future__ import annotations

from dataclasses import dataclass, field

from cad.keys import AreaKeys
from service.live.readmodel import known_areas
from transport.redis_types import AsyncRedis


@dataclass
class MovementTracker:
    """Which units have a newer AVL fix than this client has been sent."""

    redis: AsyncRedis
    since_ms: int
    _sent: dict[str, int] = field(default_factory=dict)

    async def moved(self) -> list[list[object]]:
        """`[callsign, lon, lat, fix_ms]` of every unit with a fix newer than last sent."""
        moved: list[list[object]] = []
        for area in sorted(await known_areas(self.redis)):
            keys = AreaKeys(area)
            fixes = await self.redis.hgetall(keys.unit_fix)
            changed = [c for c, ms in fixes.items() if int(ms) > self._sent.get(c, self.since_ms)]
            if not changed:
                continue
            positions = await self.redis.geopos(keys.positions, *changed)
            for callsign, position in zip(changed, positions, strict=True):
                self._sent[callsign] = int(fixes[callsign])
                if position:
                    lon, lat = round(position[0], 6), round(position[1], 6)
                    moved.append([callsign, lon, lat, int(fixes[callsign])])
        return moved
