"""The response-plan claim against real Redis: capabilities, all or none, staleness, clearing."""

from __future__ import annotations

from redis.asyncio import Redis

from cad.events import Grade, UnitStatus
from cad.incident_types import Requirement
from cad.keys import AreaKeys
from dispatch.claims import ClaimOutcome, ClaimResult, plan_nearest
from dispatch.lua.claim_plan import claim_plan
from dispatch.scripts import DispatchScripts
from dispatch.unit_status import apply_status
from dispatch.units import Unit, UnitType, register_unit

AREA = "CS"
SCENE = (-0.1100, 51.4900)
RESPONSE = Requirement(capabilities=("response",), count=1)
FIREARMS_2 = Requirement(capabilities=("firearms",), count=2)
DOG = Requirement(capabilities=("response", "dog"), count=1)


async def _unit(redis: Redis, scripts: DispatchScripts, callsign: str, east_m: float,
                caps: set[str], unit_type: UnitType = UnitType.IRV) -> None:  # fmt: skip
    unit = Unit(
        callsign=callsign, unit_type=unit_type, capabilities=frozenset(caps), area=AREA,
        base_lon=SCENE[0] + east_m / 69_000, base_lat=SCENE[1],
    )  # fmt: skip
    await register_unit(redis, scripts, unit, now_ms=1, actor="test")


async def _incident(redis: Redis, ref: str) -> None:
    await redis.hset(AreaKeys(AREA).incident(ref), mapping={"ref": ref, "status": "new"})


async def _claim(
    scripts: DispatchScripts, ref: str, plan: tuple[Requirement, ...], min_fix_ms: int = 0
) -> ClaimResult:
    return await claim_plan(scripts, plan_nearest(
        area=AREA, ref=ref, lon=SCENE[0], lat=SCENE[1], grade=Grade.IMMEDIATE,
        received_ms=5, radii_m=(500, 2_000, 20_000), now_ms=10_000, actor="test", plan=plan,
        min_fix_ms=min_fix_ms,
    ))  # fmt: skip


async def test_each_requirement_takes_the_nearest_unit_with_its_capabilities(
    redis: Redis, scripts: DispatchScripts
) -> None:
    await _unit(redis, scripts, "IRV1", 100, {"response"})
    await _unit(redis, scripts, "IRV2", 300, {"response"})
    await _unit(redis, scripts, "ARV1", 900, {"response", "firearms"}, UnitType.ARV)
    await _unit(redis, scripts, "ARV2", 5_000, {"response", "firearms"}, UnitType.ARV)
    await _unit(redis, scripts, "ARV3", 9_000, {"response", "firearms"}, UnitType.ARV)
    await _incident(redis, "P1")
    result = await _claim(scripts, "P1", (FIREARMS_2, RESPONSE))
    assert result.outcome is ClaimOutcome.CLAIMED
    assert [u.callsign for u in result.units] == ["ARV1", "ARV2", "IRV1"]
    distances = [u.distance_m or 0 for u in result.units]
    assert distances[0] < distances[1]
    assert len({u.tasking_id for u in result.units}) == 3
    incident = await redis.hgetall(AreaKeys(AREA).incident("P1"))
    assert incident["units"] == "ARV1,ARV2,IRV1"
    assert incident["taskings"].split(",") == [u.tasking_id for u in result.units]


async def test_a_plan_that_cannot_be_met_claims_nothing(
    redis: Redis, scripts: DispatchScripts
) -> None:
    await _unit(redis, scripts, "IRV1", 100, {"response"})
    await _unit(redis, scripts, "ARV1", 200, {"response", "firearms"}, UnitType.ARV)
    await _incident(redis, "P2")
    result = await _claim(scripts, "P2", (RESPONSE, FIREARMS_2))
    assert result.outcome is ClaimOutcome.QUEUED
    keys = AreaKeys(AREA)
    statuses = await redis.hgetall(keys.unit_status)
    assert statuses == {"IRV1": "available", "ARV1": "available"}
    assert await redis.zcard(keys.available) == 2
    assert await redis.zrange(keys.pending, 0, -1) == ["P2"]


async def test_a_requirement_of_two_capabilities_needs_both(
    redis: Redis, scripts: DispatchScripts
) -> None:
    await _unit(redis, scripts, "IRV1", 100, {"response"})
    await _unit(redis, scripts, "DOG0", 150, {"dog"}, UnitType.DOG)
    await _unit(redis, scripts, "DOG1", 3_000, {"response", "dog"}, UnitType.DOG)
    await _incident(redis, "P3")
    result = await _claim(scripts, "P3", (DOG,))
    assert [u.callsign for u in result.units] == ["DOG1"]


async def test_a_stale_unit_is_passed_over(redis: Redis, scripts: DispatchScripts) -> None:
    await _unit(redis, scripts, "NEAR", 100, {"response"})
    await _unit(redis, scripts, "FAR", 4_000, {"response"})
    keys = AreaKeys(AREA)
    await redis.hset(keys.unit_fix, mapping={"NEAR": 1_000, "FAR": 9_500})
    await _incident(redis, "P4")
    result = await _claim(scripts, "P4", (RESPONSE,), min_fix_ms=9_000)
    assert [u.callsign for u in result.units] == ["FAR"]


async def test_re_registering_drops_lost_capabilities(
    redis: Redis, scripts: DispatchScripts
) -> None:
    await _unit(redis, scripts, "ARV1", 100, {"response", "firearms"}, UnitType.ARV)
    await _unit(redis, scripts, "ARV1", 100, {"response"})
    keys = AreaKeys(AREA)
    assert await redis.smembers(keys.capability("firearms")) == set()
    assert await redis.smembers(keys.capability("response")) == {"ARV1"}
    await _incident(redis, "P5")
    assert (await _claim(scripts, "P5", (FIREARMS_2,))).outcome is ClaimOutcome.QUEUED


async def test_the_incident_closes_when_its_last_unit_clears(
    redis: Redis, scripts: DispatchScripts
) -> None:
    await _unit(redis, scripts, "A", 100, {"response"})
    await _unit(redis, scripts, "B", 200, {"response"})
    await _incident(redis, "P6")
    await _claim(scripts, "P6", (Requirement(capabilities=("response",), count=2),))
    keys = AreaKeys(AREA)

    async def report(callsign: str, status: UnitStatus) -> None:
        change = await apply_status(
            redis, scripts, area=AREA, callsign=callsign, status=status, now_ms=20_000, actor="t"
        )
        assert change.applied, change.reason

    await report("A", UnitStatus.ON_SCENE)
    await report("B", UnitStatus.EN_ROUTE)
    assert await redis.hget(keys.incident("P6"), "status") == "on_scene"
    await report("A", UnitStatus.AVAILABLE)
    assert await redis.hget(keys.incident("P6"), "status") == "on_scene"
    await report("B", UnitStatus.ON_SCENE)
    await report("B", UnitStatus.BUSY)
    incident = await redis.hgetall(keys.incident("P6"))
    assert incident["status"] == "awaiting_result"
    assert incident["on_scene_ms"] == "20000"
    assert await redis.hget(keys.unit_since, "B") == "20000"
    assert await redis.hget(keys.unit_by, "B") == "t"


async def test_suitable_units_behind_many_nearer_unsuitable_ones_are_still_found(
    redis: Redis, scripts: DispatchScripts
) -> None:
    # The script reads the nearest few members of a circle at a time: forty nearer units without
    # the capability must widen the window, not hide the two that have it (or send them out of
    # order).
    for n in range(40):
        await _unit(redis, scripts, f"IRV{n}", 50 + n * 8, {"response"})
    await _unit(redis, scripts, "ARV2", 480, {"response", "firearms"}, UnitType.ARV)
    await _unit(redis, scripts, "ARV1", 460, {"response", "firearms"}, UnitType.ARV)
    await _incident(redis, "P9")
    result = await _claim(scripts, "P9", (FIREARMS_2, RESPONSE))
    assert result.outcome is ClaimOutcome.CLAIMED
    assert [u.callsign for u in result.units] == ["ARV1", "ARV2", "IRV0"]


async def test_the_window_widens_when_the_capable_units_are_mostly_busy(
    redis: Redis, scripts: DispatchScripts
) -> None:
    # The first window is sized by the capability's share of the whole fleet (8 in 48 here):
    # with seven of the eight committed, it holds only nearer units without it, and must widen.
    for n in range(40):
        await _unit(redis, scripts, f"IRV{n}", 50 + n * 8, {"response"})
    for n in range(8):
        await _unit(redis, scripts, f"ARV{n}", 600 + n * 10, {"response", "firearms"}, UnitType.ARV)
    keys = AreaKeys(AREA)
    for n in range(7):
        await redis.zrem(keys.available, f"ARV{n}")
        await redis.hset(keys.unit_status, f"ARV{n}", UnitStatus.ASSIGNED.value)
    await _incident(redis, "P10")
    only_one = Requirement(capabilities=("firearms",), count=1)
    result = await _claim(scripts, "P10", (only_one,))
    assert [u.callsign for u in result.units] == ["ARV7"]
