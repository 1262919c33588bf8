"""The recommendation's candidates: `unit_candidates.lua` directly against a real Redis."""

from __future__ import annotations

from redis.asyncio import Redis

from cad.keys import AreaKeys
from dispatch.candidates import capabilities_of, gather_candidates
from dispatch.recommendation import Candidate
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
    found = await gather_candidates(scripts, area=AREA, lon=SCENE[0], lat=SCENE[1], radius_m=1_000)
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
    found = await gather_candidates(scripts, area=AREA, lon=SCENE[0], lat=SCENE[1], radius_m=500)
    assert len(found) == 40
    assert found[0] == Candidate("GHOST", found[0].distance_m, "unknown", frozenset(), None, None)
    assert [c.callsign for c in found[1:4]] == ["N00", "N01", "N02"]


async def test_an_area_with_no_units_near_answers_none(scripts: DispatchScripts) -> None:
    assert (
        await gather_candidates(scripts, area=AREA, lon=SCENE[0], lat=SCENE[1], radius_m=50) == []
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
