"""Pre-emption reads beyond the nearest forty units when they cannot fill an Immediate call's
plan: a unit on its way to a lower grade further out is taken, as a dispatcher would take it;
and the incident it leaves is served at once from the units still free."""

from __future__ import annotations

from redis.asyncio import Redis

from cad.events import UnitStatus
from cad.keys import AreaKeys
from dispatch.claims import ClaimOutcome, NamedPick
from dispatch.lua.claim_units import claim_units
from dispatch.scripts import DispatchScripts
from dispatch.unit_status import apply_status
from dispatch.units import Unit, register_unit
from tests.dispatch.mutual_aid_fixtures import TRAFALGAR, add_incident, dispatcher_for

AREA = "CW"
KEYS = AreaKeys(AREA)


async def _unit(
    redis: Redis,
    scripts: DispatchScripts,
    callsign: str,
    east_m: float,
    capabilities: frozenset[str] = frozenset({"response"}),
) -> None:
    # About 69.2 m of longitude to the thousandth of a degree at Trafalgar's latitude.
    unit = Unit(callsign=callsign, area=AREA, base_lon=TRAFALGAR[0] + east_m / 69_200,
                base_lat=TRAFALGAR[1], capabilities=capabilities)  # fmt: skip
    await register_unit(redis, scripts, unit, now_ms=1, actor="test")


async def _commit(
    redis: Redis, scripts: DispatchScripts, callsign: str, ref: str, status: UnitStatus
) -> None:
    claimed = await claim_units(
        scripts, area=AREA, ref=ref, picks=(NamedPick(callsign),), now_ms=2, actor="test",
        reason="set-up",
    )  # fmt: skip
    assert claimed.outcome is ClaimOutcome.CLAIMED
    for step in (UnitStatus.EN_ROUTE, UnitStatus.ON_SCENE):
        await apply_status(redis, scripts, area=AREA, callsign=callsign, status=step, now_ms=3,
                           actor="mdt")  # fmt: skip
        if step is status:
            break


async def test_an_immediate_call_preempts_a_unit_beyond_the_nearest_forty(
    redis: Redis, scripts: DispatchScripts
) -> None:
    # The 45 nearest are all on scene at a Significant call (not pre-emptible); one unit 1.5 km
    # out is on its way to another Significant call.
    await add_incident(redis, "CAD 0001/04DEC26", grade="S", status="new")
    await add_incident(redis, "CAD 0002/04DEC26", grade="S", status="new")
    for i in range(45):
        await _unit(redis, scripts, f"N{i:02d}", 10 + i)
        await _commit(redis, scripts, f"N{i:02d}", "CAD 0001/04DEC26", UnitStatus.ON_SCENE)
    await _unit(redis, scripts, "FAR", 1_500)
    await _commit(redis, scripts, "FAR", "CAD 0002/04DEC26", UnitStatus.EN_ROUTE)
    immediate = await add_incident(redis, "CAD 0003/04DEC26", grade="I", status="new")
    claim = await dispatcher_for(redis, scripts).dispatch(immediate, actor="test")
    assert claim.outcome is ClaimOutcome.CLAIMED
    assert [u.callsign for u in claim.units] == ["FAR"]
    assert await redis.hget(KEYS.unit_incident, "FAR") == "CAD 0003/04DEC26"
    # The Significant call it left is queued again, first of its grade.
    assert await redis.hget(KEYS.incident("CAD 0002/04DEC26"), "status") == "pending"


async def test_the_incident_preempted_takes_a_free_unit_that_suits_it_at_once(
    redis: Redis, scripts: DispatchScripts
) -> None:
    # The roads policing car on its way to a welfare check is the only unit that can take a
    # collision with injury; a response car came free after the check was sent and waits.
    await add_incident(redis, "CAD 0001/04DEC26", grade="S", status="new")
    await _unit(redis, scripts, "TRAFFIC", 200, frozenset({"rtc", "response"}))
    await _commit(redis, scripts, "TRAFFIC", "CAD 0001/04DEC26", UnitStatus.EN_ROUTE)
    await _unit(redis, scripts, "CAR", 300)
    collision = await add_incident(
        redis, "CAD 0002/04DEC26", grade="I", status="new",
        extra={"incident_type": "rtc_injury"},
    )  # fmt: skip
    claim = await dispatcher_for(redis, scripts).dispatch(collision, actor="test")
    assert [u.callsign for u in claim.units] == ["TRAFFIC"]
    # The welfare check is not left queued beside the free car until the sweep comes round.
    assert await redis.hget(KEYS.unit_incident, "CAR") == "CAD 0001/04DEC26"
    assert await redis.hget(KEYS.incident("CAD 0001/04DEC26"), "status") == "dispatched"
    assert await redis.zcard(KEYS.pending) == 0
