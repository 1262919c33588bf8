"""Keeping an area's geo sets compact, so that every search of them stays as cheap as it can be.

Redis allocates a sorted set's nodes one by one. A geo set filled by one registration after
another, or churned by units leaving and rejoining `available`, ends up spread across memory
among the area's other records, and GEOSEARCH (most of what a claim or a recommendation costs
Redis) then takes up to twice as long. Copying the set packs it again.
"""

from __future__ import annotations

import logging

from cad.keys import GlobalKeys
from cad.logs import log
from dispatch.lua.compact_geo import compact_geo
from dispatch.scripts import DispatchScripts
from transport.redis_types import AsyncRedis

logger = logging.getLogger("cad.dispatch.geo_sets")


async def compact_geo_sets(redis: AsyncRedis, scripts: DispatchScripts, areas: set[str]) -> int:
    """Re-pack the positions and available sets of each area (one atomic script per area)."""
    packed = 0
    for area in sorted(areas):
        packed += await compact_geo(scripts, area=area)
    return packed


class GeoSetCompactor:
    """Re-packs every area's geo sets, one round at a time (`compact_once`, run every
    `CAD_GEO_COMPACT_INTERVAL_S` by the service's supervisor: cad/supervisor.py)."""

    def __init__(self, redis: AsyncRedis, scripts: DispatchScripts) -> None:
        self._redis = redis
        self._scripts = scripts

    async def compact_once(self) -> int:
        """Re-pack every area's geo sets; how many sets were re-packed."""
        areas = await self._redis.smembers(GlobalKeys().areas)
        packed = await compact_geo_sets(self._redis, self._scripts, set(areas))
        log(logger, logging.INFO, "geo_sets_compacted", areas=len(areas), sets=packed)
        return packed
