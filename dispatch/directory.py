"""Which dispatch area holds a unit: read once from Redis, then remembered (it is fixed)."""

from __future__ import annotations

from cad.keys import GlobalKeys
from transport.redis_types import AsyncRedis


class UnitDirectory:
    """Maps callsigns to their dispatch area, caching what Redis said."""

    def __init__(self, redis: AsyncRedis) -> None:
        self._redis = redis
        self._areas: dict[str, str] = {}

    async def area_of(self, callsign: str) -> str | None:
        """The unit's dispatch area, or None for a callsign nobody registered."""
        area = self._areas.get(callsign)
        if area is None:
            area = await self._redis.hget(GlobalKeys().unit_area, callsign)
            if area is not None:
                self._areas[callsign] = area
        return area
