"""Named claims and pre-emption, directly against the Lua script on a real Redis."""

from __future__ import annotations

from redis.asyncio import Redis

from cad.events import Grade, UnitStatus
from cad.keys import AreaKeys
from dispatch.claims import ClaimOutcome, ClaimResult, NamedPick, pending_score
from dispatch.lua.claim_units import claim_units
from dispatch.scripts import DispatchScripts
from dispatch.unit_status import apply_status
from dispatch.units import Unit, register_unit

AREA = "SO"
KEYS = AreaKeys(AREA)


async def _units(redis: Redis, scripts: DispatchScripts, *callsigns: str) -> None:
    for i, callsign in enumerate(callsigns):
        unit = Unit(callsign=callsign, area=AREA, base_lon=-0.1 + i * 0.001, base_lat=51.37)
        await register_unit(redis, scripts, unit, now_ms=1, actor="test")


async def _incident(redis: Redis, ref: str, grade: str) -> None:
    await redis.hset(KEYS.incident(ref), mapping={"ref": ref, "status": "new", "grade": grade})


async def _claim(
    scripts: DispatchScripts, ref: str, *picks: NamedPick, actor: str = "disp"
) -> ClaimResult:
    return await claim_units(
        scripts, area=AREA, ref=ref, picks=picks, now_ms=50, actor=actor, reason="override: test"
    )


async def test_named_units_are_claimed_together(redis: Redis, scripts: DispatchScripts) -> None:
    await _units(redis, scripts, "U1", "U2", "U3")
    await _incident(redis, "N1", "E")
    result = await _claim(scripts, "N1", NamedPick("U3"), NamedPick("U1"))
    assert result.outcome is ClaimOutcome.CLAIMED
    assert [u.callsign for u in result.units] == ["U3", "U1"]
    incident = await redis.hgetall(KEYS.incident("N1"))
    assert incident["units"] == "U3,U1"
    assert incident["status"] == "dispatched"
    audit = [f for _, f in await redis.xrange(KEYS.audit) if f["type"] == "unit_assigned"]
    assert {f["reason"] for f in audit} == {"override: test"}
    assert {f["actor"] for f in audit} == {"disp"}
    # A backup unit added later joins the units already there.
    await _claim(scripts, "N1", NamedPick("U2"))
    assert await redis.hget(KEYS.incident("N1"), "units") == "U3,U1,U2"


async def test_one_unavailable_unit_refuses_the_whole_claim(
    redis: Redis, scripts: DispatchScripts
) -> None:
    await _units(redis, scripts, "U1", "U2")
    await _incident(redis, "N2", "S")
    await _incident(redis, "N3", "S")
    await _claim(scripts, "N2", NamedPick("U2"))
    result = await _claim(scripts, "N3", NamedPick("U1"), NamedPick("U2"))
    assert result.outcome is ClaimOutcome.REJECTED
    assert result.reason == "U2: not available: assigned"
    assert await redis.hget(KEYS.unit_status, "U1") == "available"
    assert not await redis.hexists(KEYS.incident("N3"), "units")
    twice = await _claim(scripts, "N3", NamedPick("U1"), NamedPick("U1"))
    assert twice.reason == "U1: named twice"


async def test_preemption_takes_a_unit_from_a_lower_grade_and_requeues_it_first(
    redis: Redis, scripts: DispatchScripts
) -> None:
    await _units(redis, scripts, "U1")
    await _incident(redis, "LOW", "S")
    await _incident(redis, "OLDER_S", "S")
    await redis.zadd(KEYS.pending, {"OLDER_S": pending_score(Grade.SIGNIFICANT, 10)})
    await _claim(scripts, "LOW", NamedPick("U1"))
    await _incident(redis, "HIGH", "I")
    result = await _claim(scripts, "HIGH", NamedPick("U1", from_ref="LOW"), actor="auto")
    assert result.outcome is ClaimOutcome.CLAIMED
    assert await redis.hget(KEYS.unit_incident, "U1") == "HIGH"
    assert await redis.hget(KEYS.unit_status, "U1") == "assigned"
    low = await redis.hgetall(KEYS.incident("LOW"))
    assert low["status"] == "pending"
    assert low["units"] == ""
    # Front of its own grade: ahead of the S incident that was already waiting.
    assert await redis.zrange(KEYS.pending, 0, -1) == ["LOW", "OLDER_S"]
    types = [f["type"] for _, f in await redis.xrange(KEYS.audit)]
    assert "unit_preempted" in types


async def test_preemption_refuses_equal_grades_and_units_on_scene(
    redis: Redis, scripts: DispatchScripts
) -> None:
    await _units(redis, scripts, "U1", "U2")
    await _incident(redis, "I1", "I")
    await _incident(redis, "S1", "S")
    await _claim(scripts, "I1", NamedPick("U1"))
    await _claim(scripts, "S1", NamedPick("U2"))
    change = await apply_status(
        redis, scripts, area=AREA, callsign="U2", status=UnitStatus.ON_SCENE, now_ms=60, actor="m"
    )
    assert change.applied
    await _incident(redis, "I2", "I")
    same = await _claim(scripts, "I2", NamedPick("U1", from_ref="I1"))
    assert same.reason == "U1: I1 is not of a lower grade"
    on_scene = await _claim(scripts, "I2", NamedPick("U2", from_ref="S1"))
    assert on_scene.reason == "U2: cannot be pre-empted when on_scene"
    stale = await _claim(scripts, "I2", NamedPick("U2", from_ref="I1"))
    assert stale.reason == "U2: no longer committed to I1"


async def test_a_unit_named_again_for_an_incident_it_served_stands_once_beside_its_tasking(
    redis: Redis, scripts: DispatchScripts
) -> None:
    """Found by the property test: a unit back on an incident it had cleared from was listed
    twice, and pre-empting it then left the incident a tasking more than it had units."""
    await _units(redis, scripts, "U1", "U2")
    await _incident(redis, "N8", "S")
    await _incident(redis, "N9", "I")
    await _claim(scripts, "N8", NamedPick("U1"), NamedPick("U2"))
    for status in (UnitStatus.ON_SCENE, UnitStatus.AVAILABLE):
        await apply_status(
            redis, scripts, area=AREA, callsign="U1", status=status, now_ms=60, actor="mdt"
        )
    again = await _claim(scripts, "N8", NamedPick("U1"))
    incident = await redis.hgetall(KEYS.incident("N8"))
    assert incident["units"] == "U2,U1"
    assert incident["taskings"].split(",")[1] == again.units[0].tasking_id
    await _claim(scripts, "N9", NamedPick("U1", from_ref="N8"))
    left = await redis.hgetall(KEYS.incident("N8"))
    assert left["units"] == "U2"
    assert len(left["taskings"].split(",")) == 1
