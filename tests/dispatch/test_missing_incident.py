"""No script creates an incident record by writing fields into a hash that does not exist: each
script that writes an incident hash answers 'missing' for one that is not there, creates no key
and changes nothing; and each Python caller handles that answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from redis.asyncio import Redis

from cad.errors import NotFoundError
from cad.events import UnitStatus
from cad.incident_record import IncidentRecord
from cad.keys import AreaKeys
from callhandling.incident_service import IncidentService
from callhandling.lifecycle import ClosingCode, IncidentStatus
from dispatch.acks import DueTasking, escalate
from dispatch.claims import NamedPick, claim_nearest, claim_units, plan_nearest
from dispatch.lenders import Loan
from dispatch.mutual_aid import attach_borrowed
from dispatch.scripts import DispatchScripts
from dispatch.unit_status import apply_status
from dispatch.units import Unit, register_unit
from tests.dispatch.mutual_aid_fixtures import add_incident, dispatcher_for

CW = AreaKeys("CW")
GONE = "CAD 0404/23NOV26"  # an incident that exists nowhere
HERE = "CAD 0001/23NOV26"  # one that does exist
WHERE = (-0.1281, 51.5080)


async def _world(redis: Redis, scripts: DispatchScripts) -> None:
    """A unit committed to GONE (assigned, tasking t1, since t=1000), a free unit, an incident
    HERE with one call, and an audit stream."""
    for callsign in ("A1", "F1"):
        unit = Unit(callsign=callsign, area="CW", base_lon=WHERE[0], base_lat=WHERE[1])
        await register_unit(redis, scripts, unit, now_ms=1, actor="test")
    await redis.hset(CW.unit_status, "A1", "assigned")
    await redis.zrem(CW.available, "A1")
    await redis.hset(CW.unit_incident, "A1", GONE)
    await redis.hset(CW.unit_tasking, "A1", "t1")
    await redis.hset(CW.unit_since, "A1", 1000)
    await add_incident(redis, HERE, status="new")
    await redis.hset(CW.call("c-1"), mapping={"call_id": "c-1", "incident_ref": HERE})
    await redis.zadd(CW.incident_calls(HERE), {"c-1": 1})
    await redis.hset(CW.call("c-gone"), mapping={"call_id": "c-gone", "incident_ref": GONE})


def _gone_record() -> IncidentRecord:
    return IncidentRecord(
        ref=GONE, area="CW", call_id="c-gone", status="pending", source="999", lon=WHERE[0],
        lat=WHERE[1], received_ms=1, created_ms=1,
    )  # fmt: skip


Call = Callable[[DispatchScripts], Awaitable[Any]]


async def _escalate_tasking(s: DispatchScripts) -> Any:
    return await s.escalate_tasking(
        keys=[
            CW.unit_status, CW.unit_incident, CW.unit_tasking, CW.available, CW.incident(GONE),
            CW.audit, CW.unit_since, CW.unit_by,
        ],
        args=["A1", "t1", 5000, "test", 2000, GONE],
    )  # fmt: skip


async def _drop_borrowed_unit(s: DispatchScripts) -> Any:
    return await s.drop_borrowed_unit(
        keys=[CW.incident(GONE), CW.audit], args=[GONE, "A1", "t1", 5000, "test", "CS"]
    )


async def _set_unit_status(s: DispatchScripts) -> Any:
    return await s.set_unit_status(
        keys=[
            CW.unit_status, CW.unit_incident, CW.positions, CW.available, CW.incident(GONE),
            CW.audit, CW.unit_since, CW.unit_by,
        ],
        args=["A1", "en_route", 5000, "mdt:A1", GONE, "en_route", "assigned"],
    )  # fmt: skip


async def _borrowed_unit_status(s: DispatchScripts) -> Any:
    return await s.borrowed_unit_status(
        keys=[CW.incident(GONE), CW.unit_incident, CW.audit],
        args=[GONE, "CS01", "en_route", "en_route", 5000, "mdt:CS01", "CS"],
    )


async def _claim_plan(s: DispatchScripts) -> Any:
    claim = plan_nearest(
        area="CW", ref=GONE, lon=WHERE[0], lat=WHERE[1], grade=None, received_ms=1,
        radii_m=(1_000,), now_ms=5000, actor="test",
    )  # fmt: skip
    return (await claim_nearest(s, claim)).outcome.value


async def _claim_units(s: DispatchScripts) -> Any:
    result = await claim_units(
        s, area="CW", ref=GONE, picks=(NamedPick("F1"),), now_ms=5000, actor="t", reason="r"
    )
    return result.outcome.value


async def _preempt_from_a_missing_incident(s: DispatchScripts) -> Any:
    # The unit's incident is not in this slot: it is not ours to take, and GONE is not written.
    result = await claim_units(
        s, area="CW", ref=HERE, picks=(NamedPick("A1", GONE),), now_ms=5000, actor="t",
        reason="pre-emption",
    )  # fmt: skip
    return result.outcome.value


async def _attach_borrowed(s: DispatchScripts) -> Any:
    loans = (Loan("CS01", "CS", 100.0),)
    outcome, _, _ = await attach_borrowed(
        s, incident=_gone_record(), loans=loans, taskings={"CS01": "t9"}, now_ms=5000, actor="t"
    )
    return outcome


async def _set_incident_status(s: DispatchScripts) -> Any:
    return await s.set_incident_status(
        keys=[CW.incident(GONE), CW.unit_incident, CW.pending, CW.open_incidents, CW.audit],
        args=[GONE, "closed", 5000, "test", "resolved", "", 1, "new", "pending"],
    )


async def _grade_incident(s: DispatchScripts) -> Any:
    return await s.grade_incident(
        keys=[CW.incident(GONE), CW.pending, CW.audit],
        args=[GONE, "I", "I", "test", "test", 5000, 1, "{}"],
    )


async def _link_call(s: DispatchScripts) -> Any:
    return await s.link_call(
        keys=[CW.call("c-new"), CW.incident(GONE), CW.incident_calls(GONE), CW.audit],
        args=[GONE, 5000, "test", 0.9, "near", 1, "", 60, "call_id", "c-new"],
    )


async def _move_call_to_a_missing_incident(s: DispatchScripts) -> Any:
    return await s.move_call(
        keys=[
            CW.call("c-1"), CW.incident(GONE), CW.incident_calls(GONE), CW.incident(HERE),
            CW.incident_calls(HERE), CW.pending, CW.open_incidents, CW.audit,
        ],
        args=["c-1", GONE, HERE, 5000, "test"],
    )  # fmt: skip


async def _move_call_from_a_missing_incident(s: DispatchScripts) -> Any:
    return await s.move_call(
        keys=[
            CW.call("c-gone"), CW.incident(HERE), CW.incident_calls(HERE), CW.incident(GONE),
            CW.incident_calls(GONE), CW.pending, CW.open_incidents, CW.audit,
        ],
        args=["c-gone", HERE, GONE, 5000, "test"],
    )  # fmt: skip


CASES: list[tuple[Call, Any]] = [
    (_escalate_tasking, ["missing", GONE, "", ""]),
    (_drop_borrowed_unit, ["missing", "", ""]),
    (_set_unit_status, ["missing", "assigned", GONE]),
    (_borrowed_unit_status, ["missing", f"no incident {GONE}"]),
    (_claim_plan, "missing"),
    (_claim_units, "missing"),
    (_preempt_from_a_missing_incident, "rejected"),
    (_attach_borrowed, "missing"),
    (_set_incident_status, ["missing", "", ""]),
    (_grade_incident, ["missing", "", ""]),
    (_link_call, [-1, "missing"]),
    (_move_call_to_a_missing_incident, ["missing", f"ref: no incident {GONE}"]),
    (
        _move_call_from_a_missing_incident,
        ["missing", f"call_id: its incident {GONE} does not exist"],
    ),
]


@pytest.mark.parametrize(
    ("run", "answer"), [pytest.param(*case, id=case[0].__name__.lstrip("_")) for case in CASES]
)
async def test_a_script_on_a_missing_incident_creates_nothing(
    redis: Redis, scripts: DispatchScripts, run: Call, answer: Any
) -> None:
    await _world(redis, scripts)
    before = await _snapshot(redis)
    assert await run(scripts) == answer
    assert await _snapshot(redis) == before
    assert not await redis.exists(CW.incident(GONE))


async def _snapshot(redis: Redis) -> dict[str, Any]:
    """Every key with its whole value: nothing may be created, nor changed."""
    state: dict[str, Any] = {}
    for key in sorted(await redis.keys("*")):
        kind = await redis.type(key)
        if kind == "hash":
            state[key] = await redis.hgetall(key)
        elif kind == "zset":
            state[key] = await redis.zrange(key, 0, -1, withscores=True)
        elif kind == "stream":
            state[key] = await redis.xlen(key)
        elif kind == "set":
            state[key] = await redis.smembers(key)
        else:
            state[key] = kind
    return state


async def test_an_escalation_whose_incident_is_gone_still_releases_the_unit(
    redis: Redis, scripts: DispatchScripts
) -> None:
    await _world(redis, scripts)
    due = DueTasking("CW", "A1", "t1", GONE)
    done = await escalate(redis, scripts, due, now_ms=5000, cutoff_ms=2000, actor="test")
    assert done is not None
    assert (done.ref, done.released, done.units_left) == (GONE, False, ())
    assert await redis.hget(CW.unit_status, "A1") == "unresponsive"
    assert await redis.hget(CW.unit_incident, "A1") is None
    assert await redis.hget(CW.unit_tasking, "A1") is None
    assert not await redis.exists(CW.incident(GONE))


async def test_a_report_whose_incident_is_gone_applies_to_the_unit_alone(
    redis: Redis, scripts: DispatchScripts
) -> None:
    await _world(redis, scripts)
    for status in (UnitStatus.EN_ROUTE, UnitStatus.ON_SCENE, UnitStatus.AVAILABLE):
        change = await apply_status(
            redis, scripts, area="CW", callsign="A1", status=status, now_ms=5000,
            actor="mdt:A1",
        )  # fmt: skip
        assert change.applied, change
        assert await redis.hget(CW.unit_status, "A1") == status
    assert await redis.hget(CW.unit_incident, "A1") is None  # a unit is never stuck on it
    assert not await redis.exists(CW.incident(GONE))


async def test_the_incident_actions_answer_not_found_for_an_incident_gone_meanwhile(
    redis: Redis, scripts: DispatchScripts
) -> None:
    await _world(redis, scripts)
    service = IncidentService(redis, scripts, dispatcher_for(redis, scripts))
    with pytest.raises(NotFoundError):
        await service.set_status(
            _gone_record(), IncidentStatus.CLOSED, code=ClosingCode.RESOLVED, note="",
            actor="test",
        )  # fmt: skip
    here = await add_incident(redis, HERE, status="new")
    with pytest.raises(NotFoundError, match="does not exist"):
        await service.link(here, "c-gone", actor="test")
    assert not await redis.exists(CW.incident(GONE))
