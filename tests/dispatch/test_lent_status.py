"""A lent unit's status path against real Redis: unit side at home, incident side where it went."""

from __future__ import annotations

from redis.asyncio import Redis

from cad.events import UnitStatus
from cad.incident_types import Requirement
from cad.keys import AreaKeys, GlobalKeys
from dispatch.claims import ClaimOutcome
from dispatch.lent_status import apply_lent_status, borrowing_area
from dispatch.lua.set_unit_status import StatusOutcome, UnitStatusAnswer
from dispatch.mutual_aid import borrow_plan
from dispatch.scripts import DispatchScripts
from dispatch.unit_status import apply_status
from tests.dispatch.mutual_aid_fixtures import add_fleet, add_incident, audit_types, dispatcher_for

CW, CS = AreaKeys("CW"), AreaKeys("CS")
REF = "CAD 0002/23NOV26"


async def _lend(redis: Redis, scripts: DispatchScripts, count: int = 1) -> None:
    await add_fleet(redis, scripts)
    incident = await add_incident(redis, REF)
    plan = (Requirement(capabilities=("response",), count=count),)
    claim = await borrow_plan(
        redis, scripts, incident=incident, plan=plan, radii_m=(20_000,), stale_before_ms=0,
        now_ms=10, actor="test",
    )  # fmt: skip
    assert claim is not None
    assert claim.outcome is ClaimOutcome.CLAIMED


async def _report(
    redis: Redis, scripts: DispatchScripts, callsign: str, status: UnitStatus
) -> UnitStatusAnswer:
    area = (await redis.hget(GlobalKeys().unit_area, callsign)) or ""
    home = await borrowing_area(
        redis, area=area, ref=await redis.hget(AreaKeys(area).unit_incident, callsign) or ""
    )
    assert home == "CW"
    return await apply_lent_status(
        scripts, area=area, home_area=home, ref=REF, callsign=callsign, status=status,
        now_ms=20, actor=f"mdt:{callsign}",
    )  # fmt: skip


async def test_the_borrowed_incident_follows_its_lent_unit(
    redis: Redis, scripts: DispatchScripts
) -> None:
    await _lend(redis, scripts)
    for status, incident_status in (
        (UnitStatus.EN_ROUTE, "en_route"),
        (UnitStatus.ON_SCENE, "on_scene"),
        (UnitStatus.AVAILABLE, "awaiting_result"),
    ):
        assert (await _report(redis, scripts, "CS01", status)).outcome is StatusOutcome.OK
        assert await redis.hget(CW.incident(REF), "status") == incident_status
    assert await redis.hget(CS.unit_status, "CS01") == "available"
    assert await redis.zscore(CS.available, "CS01") is not None
    assert await redis.hget(CS.unit_incident, "CS01") is None
    stored = await redis.hgetall(CW.incident(REF))
    assert (stored["borrowed"], stored["on_scene_ms"], stored["cleared_ms"]) == ("", "20", "20")
    assert "closed_ms" not in stored  # it waits for a result; nothing closes it by itself
    assert await redis.zscore(CW.awaiting_result, REF) == 20
    assert stored["lent_from:CS01"] == "CS"  # the record of the loan stays
    assert not await redis.exists(CS.incident(REF))
    assert (await audit_types(redis, "CW")).count("borrowed_unit_status") == 3
    assert (await audit_types(redis, "CW")).count("incident_awaiting_result") == 1


async def test_the_incident_awaits_its_result_once_its_last_lent_unit_clears(
    redis: Redis, scripts: DispatchScripts
) -> None:
    await _lend(redis, scripts, count=2)
    assert await redis.hget(CW.incident(REF), "units") == "CS01,CN01"
    for callsign in ("CS01", "CN01"):
        await _report(redis, scripts, callsign, UnitStatus.ON_SCENE)
    await _report(redis, scripts, "CS01", UnitStatus.BUSY)
    assert await redis.hget(CW.incident(REF), "status") == "on_scene"
    assert await redis.hget(CW.incident(REF), "borrowed") == "CN01"
    assert await redis.zcard(CW.awaiting_result) == 0
    await _report(redis, scripts, "CN01", UnitStatus.AVAILABLE)
    assert await redis.hget(CW.incident(REF), "status") == "awaiting_result"


async def test_a_closed_incident_stays_closed_while_its_lent_unit_clears(
    redis: Redis, scripts: DispatchScripts
) -> None:
    await _lend(redis, scripts)
    await redis.hset(CW.incident(REF), "status", "closed")
    for status in (UnitStatus.EN_ROUTE, UnitStatus.ON_SCENE, UnitStatus.AVAILABLE):
        assert (await _report(redis, scripts, "CS01", status)).outcome is StatusOutcome.OK
        assert await redis.hget(CW.incident(REF), "status") == "closed"
    assert await redis.hget(CW.incident(REF), "borrowed") == ""
    assert await redis.hget(CS.unit_status, "CS01") == "available"
    assert await redis.zcard(CW.awaiting_result) == 0  # a closed incident awaits nothing


async def test_an_illegal_report_changes_neither_side(
    redis: Redis, scripts: DispatchScripts
) -> None:
    await _lend(redis, scripts)
    refused = await _report(redis, scripts, "CS01", UnitStatus.OFF_DUTY)
    assert (refused.outcome, refused.before) == (StatusOutcome.REJECTED, "assigned")
    assert await redis.hget(CW.incident(REF), "status") == "dispatched"
    assert "borrowed_unit_status" not in await audit_types(redis, "CW")


async def test_a_local_unit_is_not_lent(redis: Redis, scripts: DispatchScripts) -> None:
    await add_incident(redis, "LOCAL", area="CS")
    assert await borrowing_area(redis, area="CS", ref="LOCAL") is None
    assert await borrowing_area(redis, area="CS", ref="") is None
    assert await borrowing_area(redis, area="CS", ref="UNKNOWN") is None


async def test_the_status_path_writes_no_incident_in_the_lending_area(
    redis: Redis, scripts: DispatchScripts
) -> None:
    await _lend(redis, scripts)
    change = await apply_status(
        redis, scripts, area="CS", callsign="CS01", status=UnitStatus.ON_SCENE, now_ms=20,
        actor="mdt:CS01",
    )  # fmt: skip
    assert change.applied
    assert not await redis.exists(CS.incident(REF))
    assert await redis.hget(CW.incident(REF), "status") == "on_scene"


async def test_the_lending_area_does_not_preempt_a_lent_unit(
    redis: Redis, scripts: DispatchScripts
) -> None:
    await _lend(redis, scripts)
    await apply_status(
        redis, scripts, area="CS", callsign="CS02", status=UnitStatus.OFF_DUTY, now_ms=15,
        actor="test",
    )  # fmt: skip
    at_home = await add_incident(redis, "HOME", area="CS", status="new", where=(-0.1134, 51.5))
    await dispatcher_for(redis, scripts).dispatch(at_home, actor="auto")
    assert await redis.hget(CS.unit_incident, "CS01") == REF
    assert not await redis.exists(CS.incident(REF))
    assert await redis.zscore(CS.pending, REF) is None


async def test_one_status_script_serves_a_local_unit_and_a_lent_one(
    redis: Redis, scripts: DispatchScripts
) -> None:
    """set_unit_status.lua with the unit's incident (local: it follows the unit) and without it
    (lent: the unit side alone, audited with the area the incident lives in)."""
    await _lend(redis, scripts)
    home = await add_incident(redis, "HOME", area="CS", status="new", where=(-0.1145, 51.4613))
    assert (await dispatcher_for(redis, scripts).dispatch(home, actor="auto")).callsign == "CS02"
    for callsign in ("CS01", "CS02"):
        change = await apply_status(
            redis, scripts, area="CS", callsign=callsign, status=UnitStatus.EN_ROUTE, now_ms=30,
            actor=f"mdt:{callsign}",
        )  # fmt: skip
        assert change.applied, change
    entries = {
        f["callsign"]: f for _, f in await redis.xrange(CS.audit) if f["type"] == "unit_status"
    }
    assert entries["CS01"] == {
        "type": "unit_status", "callsign": "CS01", "status": "en_route", "previous": "assigned",
        "ref": REF, "to_area": "CW", "actor": "mdt:CS01", "ts_ms": "30",
    }  # fmt: skip
    assert entries["CS02"] == {
        "type": "unit_status", "callsign": "CS02", "status": "en_route", "previous": "assigned",
        "ref": "HOME", "actor": "mdt:CS02", "ts_ms": "30",
    }  # fmt: skip
    assert await redis.hget(CS.incident("HOME"), "status") == "en_route"
    assert await redis.hget(CW.incident(REF), "status") == "en_route"
    assert not await redis.exists(CS.incident(REF))
