"""Cross-BCU dispatch against real Redis: borrowing, compensation, and no double assignment."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from cad.events import Tasking
from cad.incident_record import IncidentRecord
from cad.incident_types import DEFAULT_PLAN, Requirement
from cad.keys import AreaKeys
from cad.settings import Settings
from cad.topics import Topics
from dispatch.claims import ClaimOutcome
from dispatch.lua.lend_units import Lending, lend_units
from dispatch.lua.return_lent import return_lent
from dispatch.mutual_aid import borrow_plan
from dispatch.scripts import DispatchScripts, register_scripts
from tests.dispatch.mutual_aid_fixtures import (
    RADII,
    RecordingPublisher,
    add_fleet,
    add_incident,
    audit_types,
    dispatcher_for,
)

CW, CS, CN = AreaKeys("CW"), AreaKeys("CS"), AreaKeys("CN")


async def _borrow(
    redis: Redis,
    scripts: DispatchScripts,
    incident: IncidentRecord,
    plan: tuple[Requirement, ...] = DEFAULT_PLAN,
) -> ClaimOutcome | None:
    claim = await borrow_plan(
        redis, scripts, incident=incident, plan=plan, radii_m=RADII, stale_before_ms=0,
        now_ms=5_000, actor="test",
    )  # fmt: skip
    return None if claim is None else claim.outcome


async def test_an_incident_with_no_local_unit_gets_the_nearest_unit_of_another_area(
    redis: Redis, scripts: DispatchScripts
) -> None:
    await add_fleet(redis, scripts)
    incident = await add_incident(redis, "CAD 0001/23NOV26", status="new", grade="I")
    publisher = RecordingPublisher()
    dispatcher = dispatcher_for(redis, scripts, publisher)
    claim = await dispatcher.dispatch(incident, actor="auto")
    assert claim.outcome is ClaimOutcome.CLAIMED
    assert claim.callsign == "CS01"
    ref = incident.ref
    # The lending side: the unit is committed, and its own area's audit says to whom.
    assert await redis.hget(CS.unit_status, "CS01") == "assigned"
    assert await redis.hget(CS.unit_incident, "CS01") == ref
    assert await redis.zscore(CS.available, "CS01") is None
    lent = [f for _, f in await redis.xrange(CS.audit) if f["type"] == "unit_lent"]
    assert [(f["ref"], f["callsign"], f["to_area"]) for f in lent] == [(ref, "CS01", "CW")]
    # The borrowing side: the incident has the unit, and records where it came from.
    stored = await redis.hgetall(CW.incident(ref))
    assert stored["status"] == "dispatched"
    assert stored["units"] == stored["borrowed"] == "CS01"
    assert stored["lent_from:CS01"] == "CS"
    assert stored["taskings"] == claim.units[0].tasking_id
    assert await redis.zscore(CW.pending, ref) is None
    assert "unit_borrowed" in await audit_types(redis, "CW")
    assert not await redis.exists(CS.incident(ref))
    # The tasking goes out exactly like a local one, on the unit's own topic.
    ((topic, payload),) = publisher.sent
    assert topic == Topics("t").tasking("CS01")
    tasking = Tasking.model_validate_json(payload)
    assert (tasking.incident_ref, tasking.tasking_id) == (ref, claim.units[0].tasking_id)
    assert tasking.eta_s > 0


async def test_a_plan_is_borrowed_from_several_areas_or_not_at_all(
    redis: Redis, scripts: DispatchScripts
) -> None:
    await add_fleet(redis, scripts)
    two = await add_incident(redis, "TWO")
    assert await _borrow(redis, scripts, two, (Requirement(capabilities=("response",), count=2),))
    assert await redis.hget(CW.incident("TWO"), "units") == "CS01,CN01"
    assert await redis.hget(CN.unit_incident, "CN01") == "TWO"
    four = await add_incident(redis, "FOUR")
    plan = (Requirement(capabilities=("response",), count=4),)
    assert await _borrow(redis, scripts, four, plan) is None
    assert await redis.hget(CS.unit_status, "CS02") == "available"
    assert (await audit_types(redis, "CS")).count("unit_lent") == 1  # only TWO's


@pytest.mark.parametrize(
    ("status", "extra", "why"),
    [
        ("closed", {}, "the incident is closed"),
        ("dispatched", {"units": "CW07"}, "the incident has its units already"),
    ],
)
async def test_step_two_refused_gives_the_unit_back(
    redis: Redis, scripts: DispatchScripts, status: str, extra: dict[str, str], why: str
) -> None:
    await add_fleet(redis, scripts)
    incident = await add_incident(redis, "GONE", status=status, extra=extra)
    before = await redis.hgetall(CW.incident("GONE"))
    assert await _borrow(redis, scripts, incident) is None
    assert await redis.hget(CS.unit_status, "CS01") == "available"
    assert await redis.hget(CS.unit_incident, "CS01") is None
    assert await redis.zscore(CS.available, "CS01") is not None
    entries = [f for _, f in await redis.xrange(CS.audit)]
    assert [f["type"] for f in entries][-2:] == ["unit_lent", "unit_loan_returned"]
    assert entries[-1]["reason"] == why
    assert await redis.hgetall(CW.incident("GONE")) == before


async def test_step_two_for_a_deleted_incident_gives_the_unit_back(
    redis: Redis, scripts: DispatchScripts
) -> None:
    await add_fleet(redis, scripts)
    incident = await add_incident(redis, "DELETED")
    await redis.delete(CW.incident("DELETED"))
    assert await _borrow(redis, scripts, incident) is None
    assert await redis.hget(CS.unit_status, "CS01") == "available"
    assert not await redis.exists(CW.incident("DELETED"))
    (_, returned), *_ = await redis.xrevrange(CS.audit, count=1)
    assert (returned["type"], returned["reason"]) == ("unit_loan_returned", "no incident DELETED")


async def test_a_lending_step_is_all_or_none(redis: Redis, scripts: DispatchScripts) -> None:
    await add_fleet(redis, scripts)
    await redis.hset(CS.unit_status, "CS02", "off_duty")
    incident = await add_incident(redis, "ALL")
    lending = await lend_units(
        scripts, area="CS", to_area=incident.area, ref=incident.ref,
        taskings=[("CS01", "t1"), ("CS02", "t2")], now_ms=1, actor="test",
    )  # fmt: skip
    assert lending == Lending(False, "CS02", "not available: off_duty")
    assert await redis.hget(CS.unit_status, "CS01") == "available"
    assert "unit_lent" not in await audit_types(redis, "CS")


async def test_compensation_leaves_a_unit_that_moved_on_alone(
    redis: Redis, scripts: DispatchScripts
) -> None:
    await add_fleet(redis, scripts)
    incident = await add_incident(redis, "MOVED")
    lent = await lend_units(
        scripts, area="CS", to_area=incident.area, ref=incident.ref, taskings=[("CS01", "t1")],
        now_ms=1, actor="test",
    )  # fmt: skip
    assert lent == Lending(True, "", "")
    stale = await return_lent(
        scripts, area="CS", ref="MOVED", taskings=[("CS01", "an older tasking")],
        reason="test", now_ms=2, actor="test",
    )  # fmt: skip
    assert stale == ()
    assert await redis.hget(CS.unit_incident, "CS01") == "MOVED"
    released = await return_lent(
        scripts, area="CS", ref="MOVED", taskings=[("CS01", "t1")], reason="test", now_ms=3,
        actor="test",
    )  # fmt: skip
    assert released == ("CS01",)
    assert await redis.hget(CS.unit_status, "CS01") == "available"


async def test_concurrent_borrowers_and_local_claims_never_share_a_unit(
    redis: Redis, settings: Settings
) -> None:
    """Two areas lend six units to 16 incidents of a third while claiming for their own."""
    fleet = {f"CS{i:02d}": ("CS", -0.11 + i * 0.002, 51.50) for i in range(4)}
    fleet |= {f"CN{i:02d}": ("CN", -0.12 + i * 0.002, 51.53) for i in range(2)}
    await add_fleet(redis, register_scripts(redis), fleet)
    borrowers = [await add_incident(redis, f"B{i:02d}") for i in range(16)]
    # Grade S at home: pre-empting a lent unit is a separate, known gap (see test_lent_status).
    locals_ = [
        await add_incident(redis, f"L{i}", area="CS", grade="S", where=(-0.11, 51.5))
        for i in range(4)
    ]
    clients = [Redis.from_url(settings.redis_url, decode_responses=True) for _ in range(6)]
    try:
        per_client = [register_scripts(c) for c in clients]
        dispatchers = [dispatcher_for(c, s) for c, s in zip(clients, per_client, strict=True)]
        claims = await asyncio.gather(
            *(
                dispatchers[i % len(dispatchers)].dispatch(incident, actor=f"r{i % 6}")
                for i, incident in enumerate([*borrowers, *locals_])
            )
        )
    finally:
        for c in clients:
            await c.aclose()
    sent = [u.callsign for claim in claims for u in claim.units]
    committed = await redis.hgetall(CS.unit_incident) | await redis.hgetall(CN.unit_incident)
    assert len(sent) == len(set(sent)) == len(committed) >= 4
    assert set(sent) == set(committed)  # no lent unit left behind by a refused step
    for incident in borrowers:
        listed = await redis.hget(CW.incident(incident.ref), "units")
        assert {c for c, r in committed.items() if r == incident.ref} == set(
            filter(None, (listed or "").split(","))
        )
