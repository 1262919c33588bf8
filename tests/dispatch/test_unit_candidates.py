"""The recommendation's candidates: `unit_candidates.lua` and `available_with.lua` against a real
Redis, and `recommend_for` finding suitable units beyond the nearest forty."""

from __future__ import annotations

from redis.asyncio import Redis

from cad.incident_types import Requirement
from cad.keys import AreaKeys
from dispatch.candidates import capabilities_of, gather_candidates, recommend_for
from dispatch.lua.available_with import available_with
from dispatch.recommendation import Candidate, Recommendation
from dispatch.scripts import DispatchScripts
from dispatch.units import Unit, UnitType, register_unit

AREA = "CE"
KEYS = AreaKeys(AREA)
SCENE = (-0.0553, 51.5450)  # Hackney Central


async def _register(redis: Redis, scripts: DispatchScripts, callsign: str, east_m: float,
                    **extra: object) -> None:  # fmt: skip
    # About 69.4 m of longitude to the thousandth of a degree at this latitude.
    lon = SCENE[0] + east_m / 69_400
    unit = Unit(callsign=callsign, area=AREA, base_lon=lon, base_lat=SCENE[1], **extra)
    await register_unit(redis, scripts, unit, now_ms=1, actor="test")


async def test_units_come_nearest_first_with_their_state_in_one_call(
    redis: Redis, scripts: DispatchScripts
) -> None:
    await _register(redis, scripts, "CE1", 400)
    await _register(redis, scripts, "CE2", 100, unit_type=UnitType.ARV,
                    capabilities=frozenset({"response", "firearms"}))  # fmt: skip
    await _register(redis, scripts, "CE3", 5_000)
    await redis.hset(KEYS.unit_status, "CE1", "assigned")
    await redis.hset(KEYS.unit_incident, "CE1", "CAD 0007/01DEC26")
    await redis.hset(KEYS.unit_fix, "CE2", 123_456)
    found, _ = await gather_candidates(
        scripts, area=AREA, lon=SCENE[0], lat=SCENE[1], radius_m=1_000
    )
    assert [c.callsign for c in found] == ["CE2", "CE1"]  # CE3 is beyond the radius
    ce2, ce1 = found
    assert ce2 == Candidate("CE2", ce2.distance_m, "available",
                            frozenset({"response", "firearms"}), 123_456, None)  # fmt: skip
    assert 90 < ce2.distance_m < 110
    assert (ce1.status, ce1.incident_ref, ce1.fix_ms) == ("assigned", "CAD 0007/01DEC26", None)


async def test_the_search_stops_at_forty_and_knows_a_unit_without_a_record(
    redis: Redis, scripts: DispatchScripts
) -> None:
    for i in range(45):
        await _register(redis, scripts, f"N{i:02d}", 10 + i)
    # A position with nothing else known about it (a half-removed unit) still reads cleanly.
    await redis.geoadd(KEYS.positions, (SCENE[0], SCENE[1], "GHOST"))
    found, _ = await gather_candidates(scripts, area=AREA, lon=SCENE[0], lat=SCENE[1], radius_m=500)
    assert len(found) == 40
    assert found[0] == Candidate("GHOST", found[0].distance_m, "unknown", frozenset(), None, None)
    assert [c.callsign for c in found[1:4]] == ["N00", "N01", "N02"]


async def _busy(redis: Redis, callsign: str) -> None:
    # As a claim leaves a unit: its status, and out of the available set.
    await redis.hset(KEYS.unit_status, callsign, "assigned")
    await redis.hset(KEYS.unit_incident, callsign, "CAD 0001/01DEC26")
    await redis.zrem(KEYS.available, callsign)


async def _nearest_all_busy(redis: Redis, scripts: DispatchScripts) -> None:
    # 45 units within 55 m of the scene, every one committed: more than the nearest 40 read.
    for i in range(45):
        await _register(redis, scripts, f"B{i:02d}", 10 + i)
        await _busy(redis, f"B{i:02d}")


async def _recommend(
    scripts: DispatchScripts, *requirements: Requirement,
    stood_down: frozenset[str] = frozenset(), stale_before_ms: int = 0,
) -> Recommendation:  # fmt: skip
    return await recommend_for(
        scripts, area=AREA, lon=SCENE[0], lat=SCENE[1], plan=requirements,
        radii_m=(500, 2_000, 5_000), stale_before_ms=stale_before_ms, stood_down=stood_down,
    )  # fmt: skip


async def test_available_units_beyond_the_nearest_forty_busy_ones_are_recommended(
    redis: Redis, scripts: DispatchScripts
) -> None:
    # A dense fleet whose 45 nearest units are all committed: the recommendation must still
    # find the two available ones further out, as the claim would, and say why the rest wait.
    await _nearest_all_busy(redis, scripts)
    await _register(redis, scripts, "FAR1", 1_500)
    await _register(redis, scripts, "FAR2", 1_800)
    await _register(redis, scripts, "FAR3", 4_000)
    result = await _recommend(scripts, Requirement(capabilities=("response",), count=2))
    assert result.complete
    assert [c.callsign for c in result.chosen] == ["FAR1", "FAR2"]
    assert 1_400 < result.chosen[0].distance_m < 1_600
    passed = {p.callsign: p.reason for p in result.passed}
    assert passed["B00"] == "not available: assigned to CAD 0001/01DEC26"
    assert len(passed) == 40  # the nearest 40, each with its reason


async def test_a_rare_capability_beyond_the_nearest_forty_is_found(
    redis: Redis, scripts: DispatchScripts
) -> None:
    # Forty-five response cars nearer than the one armed unit: a firearms call still gets it.
    for i in range(45):
        await _register(redis, scripts, f"R{i:02d}", 10 + i)
    await _register(redis, scripts, "ARV1", 3_000, unit_type=UnitType.ARV,
                    capabilities=frozenset({"response", "firearms"}))  # fmt: skip
    result = await _recommend(
        scripts, Requirement(capabilities=("firearms",), count=1),
        Requirement(capabilities=("response",), count=1),
    )  # fmt: skip
    assert result.complete
    assert [(c.callsign, c.requirement) for c in result.chosen] == [("ARV1", 0), ("R00", 1)]


async def test_units_beyond_the_nearest_forty_are_not_offered_when_stood_down_or_stale(
    redis: Redis, scripts: DispatchScripts
) -> None:
    await _nearest_all_busy(redis, scripts)
    await _register(redis, scripts, "DOWN", 1_000)
    await _register(redis, scripts, "OLD", 1_200)
    await redis.hset(KEYS.unit_fix, "OLD", 5_000)
    await _register(redis, scripts, "GOOD", 1_400)
    result = await _recommend(
        scripts, Requirement(capabilities=("response",), count=2),
        stood_down=frozenset({"DOWN"}), stale_before_ms=10_000,
    )  # fmt: skip
    assert not result.complete
    assert [c.callsign for c in result.chosen] == ["GOOD"]


async def test_an_area_with_no_units_near_answers_none(scripts: DispatchScripts) -> None:
    assert await gather_candidates(scripts, area=AREA, lon=SCENE[0], lat=SCENE[1], radius_m=50) == (
        [],
        False,
    )


def test_capabilities_are_parsed_once_per_record() -> None:
    record = Unit(callsign="DOG1", area=AREA, base_lon=0, base_lat=51,
                  capabilities=frozenset({"dog"})).model_dump_json()  # fmt: skip
    before = capabilities_of.cache_info().hits
    assert capabilities_of(AREA, "DOG1", record) == frozenset({"dog"})
    assert capabilities_of(AREA, "DOG1", record) == frozenset({"dog"})
    assert capabilities_of.cache_info().hits == before + 1
    assert capabilities_of(AREA, "DOG1", "") == frozenset()
    assert capabilities_of(AREA, "DOG1", '{"callsign": "DOG1"}') is None


async def test_available_with_reads_past_many_units_without_the_capability(
    redis: Redis, scripts: DispatchScripts
) -> None:
    # 300 response cars nearer than the two dog units: the window widens until it holds them
    # (one dog unit busy, one stood down, one found); a capability nobody holds finds nothing.
    for i in range(300):
        await _register(redis, scripts, f"R{i:03d}", 10 + i)
    for callsign, east_m in (("DOG1", 900), ("DOG2", 950), ("DOG3", 990)):
        await _register(redis, scripts, callsign, east_m, unit_type=UnitType.DOG,
                        capabilities=frozenset({"response", "dog"}))  # fmt: skip
    await _busy(redis, "DOG1")

    async def dogs(*capabilities: str) -> list[str]:
        found = await available_with(
            scripts, area=AREA, lon=SCENE[0], lat=SCENE[1], radius_m=2_000,
            capabilities=capabilities, limit=2, stale_before_ms=0, leave_out={"DOG2"},
        )  # fmt: skip
        return [u.callsign for u in found]

    assert await dogs("dog") == ["DOG3"]
    assert await dogs("dog", "response") == ["DOG3"]
    assert await dogs("firearms") == []
