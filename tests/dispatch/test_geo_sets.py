"""Re-packing an area's geo sets: the same members at the same positions, atomically."""

from __future__ import annotations

import asyncio
import logging

import pytest
from redis.asyncio import Redis

from cad.keys import AreaKeys, GlobalKeys
from cad.supervisor import Supervisor
from cad.task_health import RestartPolicy, TaskBoard
from cad.waits import cancel_and_wait
from dispatch.geo_sets import GeoSetCompactor, compact_geo_sets
from dispatch.scripts import DispatchScripts
from dispatch.units import Unit, register_fleet

AREA = "CW"


def _fleet(n: int, area: str = AREA) -> list[Unit]:
    return [
        Unit(callsign=f"{area}{i}", area=area, base_lon=-0.15 + i * 1e-4, base_lat=51.50)
        for i in range(n)
    ]


async def _geo(redis: Redis, key: str) -> list[tuple[str, float]]:
    return list(await redis.zrange(key, 0, -1, withscores=True))


async def test_compaction_keeps_every_member_at_its_position(
    redis: Redis, scripts: DispatchScripts
) -> None:
    keys = AreaKeys(AREA)
    await register_fleet(redis, scripts, _fleet(300), now_ms=1, actor="test")
    await redis.zrem(keys.available, "CW7", "CW8")
    before = {k: await _geo(redis, k) for k in (keys.positions, keys.available)}
    assert await compact_geo_sets(redis, scripts, {AREA}) == 2
    assert {k: await _geo(redis, k) for k in before} == before
    assert len(before[keys.available]) == 298
    assert not await redis.exists(keys.packing(keys.positions), keys.packing(keys.available))


async def test_an_area_without_geo_sets_is_left_alone(
    redis: Redis, scripts: DispatchScripts
) -> None:
    assert await compact_geo_sets(redis, scripts, {"NOWHERE"}) == 0
    assert await redis.dbsize() == 0


async def test_loading_a_fleet_registers_every_unit_in_every_area(
    redis: Redis, scripts: DispatchScripts
) -> None:
    fleet = [*_fleet(120), *_fleet(80, area="CS")]
    statuses = await register_fleet(redis, scripts, fleet, now_ms=1, actor="test")
    assert len(statuses) == 200
    assert {str(s) for s in statuses} == {"available"}
    assert await redis.zcard(AreaKeys(AREA).available) == 120
    assert await redis.zcard(AreaKeys("CS").available) == 80
    assert await redis.smembers(GlobalKeys().areas) == {AREA, "CS"}


async def test_the_service_compacts_every_area_on_its_interval(
    redis: Redis, scripts: DispatchScripts, caplog: pytest.LogCaptureFixture
) -> None:
    await register_fleet(redis, scripts, [*_fleet(10), *_fleet(5, area="CS")], now_ms=1, actor="t")
    compactor = GeoSetCompactor(redis, scripts)
    supervisor = Supervisor(TaskBoard(RestartPolicy()))
    with caplog.at_level(logging.INFO, logger="cad.dispatch.geo_sets"):
        task = supervisor.start_periodic(
            "geo-compaction", compactor.compact_once, interval_s=0.01, first_after_s=0.01
        )
        try:
            for _ in range(200):
                if any("geo_sets_compacted" in r.getMessage() for r in caplog.records):
                    break
                await asyncio.sleep(0.01)
        finally:
            await cancel_and_wait(task)
    compacted = [r for r in caplog.records if r.getMessage() == "geo_sets_compacted"]
    assert compacted
    assert compacted[0].__dict__["fields"] == {"areas": 2, "sets": 4}
    assert supervisor.board.health_of("geo-compaction", 0.0).restarts == 0
