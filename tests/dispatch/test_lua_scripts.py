"""The dispatch Lua scripts, called directly against a real Redis."""

from __future__ import annotations

import asyncio
import json

import pytest
from redis.asyncio import Redis

from cad.events import Grade, UnitStatus
from cad.keys import AreaKeys
from cad.settings import Settings
from dispatch.claims import ClaimOutcome, ClaimResult, plan_nearest
from dispatch.lua.claim_plan import claim_plan
from dispatch.scripts import DispatchScripts, register_scripts
from dispatch.unit_status import StatusChange, apply_status
from dispatch.units import Unit, register_unit

AREA = "CW"
TRAFALGAR = (-0.1281, 51.5080)
RADII = (1_000, 5_000, 30_000)


async def _add_units(redis: Redis, scripts: DispatchScripts, n: int) -> list[str]:
    callsigns = []
    for i in range(n):
        unit = Unit(callsign=f"CW{i:02d}", area=AREA, base_lon=-0.13 + i * 0.002, base_lat=51.51)
        await register_unit(redis, scripts, unit, now_ms=1, actor="test")
        callsigns.append(unit.callsign)
    return callsigns


async def _add_incident(redis: Redis, ref: str, grade: str = "I") -> None:
    await redis.hset(
        AreaKeys(AREA).incident(ref),
        mapping={"ref": ref, "status": "new", "grade": grade, "lon": "-0.1281", "lat": "51.508"},
    )


async def _claim(scripts: DispatchScripts, ref: str, radii: tuple[int, ...] = RADII) -> ClaimResult:
    return await claim_plan(scripts, plan_nearest(
        area=AREA, ref=ref, lon=TRAFALGAR[0], lat=TRAFALGAR[1], grade=Grade.IMMEDIATE,
        received_ms=1000, radii_m=radii, now_ms=2000, actor="test",
    ))  # fmt: skip


async def test_claim_takes_the_nearest_available_unit(
    redis: Redis, scripts: DispatchScripts
) -> None:
    await _add_units(redis, scripts, 5)
    await _add_incident(redis, "CAD 0001/22NOV26")
    result = await _claim(scripts, "CAD 0001/22NOV26")
    assert result.outcome is ClaimOutcome.CLAIMED
    # CW01 sits at -0.128, 51.51: the closest base to Trafalgar Square of the five.
    assert result.callsign == "CW01"
    keys = AreaKeys(AREA)
    assert await redis.hget(keys.unit_status, "CW01") == "assigned"
    assert await redis.hget(keys.unit_incident, "CW01") == "CAD 0001/22NOV26"
    assert await redis.zscore(keys.available, "CW01") is None
    incident = await redis.hgetall(keys.incident("CAD 0001/22NOV26"))
    assert incident["status"] == "dispatched"
    assert incident["units"] == "CW01"
    assert incident["taskings"] == result.units[0].tasking_id
    entries = await redis.xrange(keys.audit)
    assert entries[-1][1]["type"] == "unit_assigned"
    assert entries[-1][1]["callsign"] == "CW01"


async def test_claim_replay_changes_nothing(redis: Redis, scripts: DispatchScripts) -> None:
    await _add_units(redis, scripts, 3)
    await _add_incident(redis, "R1")
    first = await _claim(scripts, "R1")
    audit_len = await redis.xlen(AreaKeys(AREA).audit)
    again = await _claim(scripts, "R1")
    assert again.outcome is ClaimOutcome.ALREADY
    assert again.callsign == first.callsign
    assert again.units[0].tasking_id == first.units[0].tasking_id
    assert await redis.xlen(AreaKeys(AREA).audit) == audit_len
    assert await redis.zcard(AreaKeys(AREA).available) == 2


async def test_claim_queues_when_no_unit_and_only_once(
    redis: Redis, scripts: DispatchScripts
) -> None:
    await _add_incident(redis, "Q1")
    assert (await _claim(scripts, "Q1")).outcome is ClaimOutcome.QUEUED
    assert (await _claim(scripts, "Q1")).outcome is ClaimOutcome.QUEUED
    keys = AreaKeys(AREA)
    assert await redis.zrange(keys.pending, 0, -1) == ["Q1"]
    assert await redis.hget(keys.incident("Q1"), "status") == "pending"
    types = [fields["type"] for _, fields in await redis.xrange(keys.audit)]
    assert types.count("incident_queued") == 1


async def test_claim_outside_every_radius_queues(redis: Redis, scripts: DispatchScripts) -> None:
    await _add_units(redis, scripts, 2)
    await _add_incident(redis, "FAR")
    assert (await _claim(scripts, "FAR", radii=(10,))).outcome is ClaimOutcome.QUEUED


async def test_claim_of_missing_incident(scripts: DispatchScripts) -> None:
    assert (await _claim(scripts, "nope")).outcome is ClaimOutcome.MISSING


async def test_a_stale_member_of_the_available_set_is_skipped_and_dropped(
    redis: Redis, scripts: DispatchScripts
) -> None:
    await _add_units(redis, scripts, 2)
    keys = AreaKeys(AREA)
    await redis.hset(keys.unit_status, "CW01", "off_duty")  # left in the set by mistake
    await _add_incident(redis, "S1")
    result = await _claim(scripts, "S1")
    assert result.callsign == "CW00"
    assert await redis.zscore(keys.available, "CW01") is None


async def test_100_concurrent_claims_for_10_units(
    redis: Redis, scripts: DispatchScripts, settings: Settings
) -> None:
    """The foundation's claim guarantee: exactly 10 taskings, no unit twice."""
    await _add_units(redis, scripts, 10)
    refs = [f"C{i:03d}" for i in range(100)]
    for ref in refs:
        await _add_incident(redis, ref)
    # Separate connections, so the claims really interleave at the server.
    clients = [Redis.from_url(settings.redis_url, decode_responses=True) for _ in range(8)]
    try:
        per_client = [register_scripts(c) for c in clients]
        results = await asyncio.gather(
            *(
                claim_plan(
                    per_client[i % len(per_client)],
                    plan_nearest(
                        area=AREA,
                        ref=ref,
                        lon=TRAFALGAR[0],
                        lat=TRAFALGAR[1],
                        grade=Grade.IMMEDIATE,
                        received_ms=i,
                        radii_m=RADII,
                        now_ms=2000,
                        actor=f"claimer-{i % 8}",
                    ),
                )
                for i, ref in enumerate(refs)
            )
        )
    finally:
        for c in clients:
            await c.aclose()
    claimed = [r.callsign for r in results if r.outcome is ClaimOutcome.CLAIMED]
    assert len(claimed) == 10
    assert len(set(claimed)) == 10
    assert sum(r.outcome is ClaimOutcome.QUEUED for r in results) == 90
    keys = AreaKeys(AREA)
    assert await redis.zcard(keys.pending) == 90
    assert await redis.zcard(keys.available) == 0
    assigned = await redis.hgetall(keys.unit_incident)
    assert len(set(assigned.values())) == 10  # ten different incidents, one unit each


async def test_register_keeps_a_working_unit_at_work(
    redis: Redis, scripts: DispatchScripts
) -> None:
    await _add_units(redis, scripts, 1)
    await _add_incident(redis, "W1")
    await _claim(scripts, "W1")
    unit = Unit(callsign="CW00", area=AREA, base_lon=-0.2, base_lat=51.5, crew=3)
    status = await register_unit(redis, scripts, unit, now_ms=5, actor="test")
    keys = AreaKeys(AREA)
    assert status is UnitStatus.ASSIGNED
    assert await redis.zcard(keys.available) == 0
    assert json.loads(await redis.hget(keys.units, "CW00") or "{}")["crew"] == 3


@pytest.mark.parametrize(
    ("path", "final"),
    [
        ([UnitStatus.EN_ROUTE, UnitStatus.ON_SCENE, UnitStatus.AVAILABLE], "awaiting_result"),
        ([UnitStatus.ON_SCENE, UnitStatus.BUSY], "awaiting_result"),
        ([UnitStatus.EN_ROUTE, UnitStatus.ON_SCENE], "on_scene"),
    ],
)
async def test_status_changes_drive_the_incident(
    redis: Redis, scripts: DispatchScripts, path: list[UnitStatus], final: str
) -> None:
    await _add_units(redis, scripts, 1)
    await _add_incident(redis, "L1")
    await _claim(scripts, "L1")
    for status in path:
        change = await apply_status(
            redis, scripts, area=AREA, callsign="CW00", status=status, now_ms=3000, actor="mdt"
        )
        assert change.applied, change.reason
    keys = AreaKeys(AREA)
    assert await redis.hget(keys.incident("L1"), "status") == final
    back = path[-1] is UnitStatus.AVAILABLE
    assert (await redis.zscore(keys.available, "CW00") is not None) is back
    released = final == "awaiting_result"
    assert (await redis.hget(keys.unit_incident, "CW00") is None) is released
    # Cleared, the incident waits in its area's result queue; it never closes itself.
    assert (await redis.zscore(keys.awaiting_result, "L1") == 3000) is released


async def test_illegal_status_is_refused_and_changes_nothing(
    redis: Redis, scripts: DispatchScripts
) -> None:
    await _add_units(redis, scripts, 1)
    change = await apply_status(
        redis, scripts, area=AREA, callsign="CW00", status=UnitStatus.ASSIGNED, now_ms=1, actor="m"
    )
    assert not change.applied
    assert change.previous == "available"
    assert "illegal transition available -> assigned" in change.reason
    nowhere = await apply_status(
        redis, scripts, area=AREA, callsign="CW00", status=UnitStatus.ON_SCENE, now_ms=1, actor="m"
    )
    assert nowhere.reason == "status: on_scene with no tasking to work"
    assert await redis.hget(AreaKeys(AREA).unit_status, "CW00") == "available"


async def test_a_repeated_report_changes_nothing_and_is_not_refused(
    redis: Redis, scripts: DispatchScripts
) -> None:
    await _add_units(redis, scripts, 1)
    keys = AreaKeys(AREA)
    before = (await redis.xlen(keys.audit), await redis.hget(keys.unit_since, "CW00"))
    again = await apply_status(
        redis, scripts, area=AREA, callsign="CW00", status=UnitStatus.AVAILABLE, now_ms=9, actor="m"
    )
    assert again == StatusChange(True, "available", None, unchanged=True)
    assert (await redis.xlen(keys.audit), await redis.hget(keys.unit_since, "CW00")) == before


async def test_unknown_unit_status_is_refused(redis: Redis, scripts: DispatchScripts) -> None:
    change = await apply_status(
        redis, scripts, area=AREA, callsign="GHOST", status=UnitStatus.BUSY, now_ms=1, actor="m"
    )
    assert not change.applied
    assert change.reason == "unknown unit"
