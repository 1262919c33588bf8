"""No script creates an incident record by writing fields into a hash that does not exist: each
script that writes an incident hash answers 'missing' for one that is not there, creates no key
and changes nothing; and each Python caller handles that answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from redis.asyncio import Redis

from cad.errors import NotFoundError
from cad.events import Grade, UnitStatus
from cad.incident_record import IncidentRecord, IncidentStatus
from cad.keys import AreaKeys
from callhandling.incident_service import IncidentService
from callhandling.incidents import Outcome
from callhandling.lua.grade_incident import Grading, grade_incident
from callhandling.lua.hold_for_transfer import queue_hold_for_transfer
from callhandling.lua.link_call import Linking, queue_link_call
from callhandling.lua.move_call import Move, move_call
from callhandling.lua.set_incident_status import StatusSet, set_incident_status
from callhandling.lua.transfer_incident import transfer_incident
from callhandling.scripts import register_call_scripts
from dispatch.acks import DueTasking, escalate
from dispatch.claims import NamedPick, plan_nearest
from dispatch.lua.attach_borrowed import Attachment, attach_borrowed
from dispatch.lua.borrowed_unit_status import BorrowedStatusAnswer, borrowed_unit_status
from dispatch.lua.claim_plan import claim_plan
from dispatch.lua.claim_units import claim_units
from dispatch.lua.divert_unit import divert_unit
from dispatch.lua.drop_borrowed_unit import BorrowedUnitDropped, drop_borrowed_unit
from dispatch.lua.escalate_tasking import TaskingEscalation, escalate_tasking
from dispatch.lua.set_unit_status import StatusOutcome, UnitStatusAnswer, set_unit_status
from dispatch.lua.stand_down import LeaveAnswer, stand_down
from dispatch.scripts import DispatchScripts, register_scripts
from dispatch.unit_status import apply_status
from dispatch.units import Unit, register_unit
from tests.dispatch.mutual_aid_fixtures import add_incident, dispatcher_for
from transport.scripts import Batch

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


Call = Callable[[Redis], Awaitable[Any]]


async def _escalate_tasking(redis: Redis) -> Any:
    return await escalate_tasking(
        register_scripts(redis), area="CW", callsign="A1", tasking_id="t1", ref=GONE,
        now_ms=5000, cutoff_ms=2000, actor="test",
    )  # fmt: skip


async def _drop_borrowed_unit(redis: Redis) -> Any:
    return await drop_borrowed_unit(
        register_scripts(redis), area="CW", ref=GONE, callsign="A1", tasking_id="t1",
        lending_area="CS", now_ms=5000, actor="test",
    )  # fmt: skip


async def _set_unit_status(redis: Redis) -> Any:
    return await set_unit_status(
        register_scripts(redis), area="CW", callsign="A1", status=UnitStatus.EN_ROUTE, ref=GONE,
        incident_area="CW", now_ms=5000, actor="mdt:A1",
    )  # fmt: skip


async def _borrowed_unit_status(redis: Redis) -> Any:
    return await borrowed_unit_status(
        register_scripts(redis), area="CW", ref=GONE, callsign="CS01",
        status=UnitStatus.EN_ROUTE, lending_area="CS", now_ms=5000, actor="mdt:CS01",
    )  # fmt: skip


async def _claim_plan(redis: Redis) -> Any:
    claim = plan_nearest(
        area="CW", ref=GONE, lon=WHERE[0], lat=WHERE[1], grade=None, received_ms=1,
        radii_m=(1_000,), now_ms=5000, actor="test",
    )  # fmt: skip
    return (await claim_plan(register_scripts(redis), claim)).outcome.value


async def _claim_units(redis: Redis) -> Any:
    result = await claim_units(
        register_scripts(redis), area="CW", ref=GONE, picks=(NamedPick("F1"),), now_ms=5000,
        actor="t", reason="r",
    )  # fmt: skip
    return result.outcome.value


async def _preempt_from_a_missing_incident(redis: Redis) -> Any:
    # The unit's incident is not in this slot: it is not ours to take, and GONE is not written.
    result = await claim_units(
        register_scripts(redis), area="CW", ref=HERE, picks=(NamedPick("A1", GONE),),
        now_ms=5000, actor="t", reason="pre-emption",
    )  # fmt: skip
    return result.outcome.value


async def _attach_borrowed(redis: Redis) -> Any:
    return await attach_borrowed(
        register_scripts(redis), area="CW", ref=GONE, loans=[("CS01", "t9", "CS")], now_ms=5000,
        actor="t",
    )  # fmt: skip


async def _set_incident_status(redis: Redis) -> Any:
    return await set_incident_status(
        register_call_scripts(redis), area="CW", ref=GONE, target=IncidentStatus.CLOSED,
        allowed_from=(IncidentStatus.NEW, IncidentStatus.PENDING), closing_code="resolved",
        category="public_safety", note="", pending_score=1, now_ms=5000, actor="test",
    )  # fmt: skip


async def _grade_incident(redis: Redis) -> Any:
    return await grade_incident(
        register_call_scripts(redis), area="CW", ref=GONE, grade=Grade.IMMEDIATE,
        suggested=Grade.IMMEDIATE, reason="test", thrive_json="{}", pending_score=1,
        now_ms=5000, actor="test",
    )  # fmt: skip


async def _link_call(redis: Redis) -> Any:
    batch = Batch()
    linking = queue_link_call(
        batch, area="CW", ref=GONE, call_id="c-new", call={"call_id": "c-new"}, score=0.9,
        reasons="near", received_ms=1, cli_hash=None, now_ms=5000, actor="test", keep_call_s=60,
    )  # fmt: skip
    return linking.answer(await batch.run(redis))


async def _move_call_to_a_missing_incident(redis: Redis) -> Any:
    return await move_call(
        register_call_scripts(redis), area="CW", call_id="c-1", target_ref=GONE,
        source_ref=HERE, now_ms=5000, actor="test",
    )  # fmt: skip


async def _move_call_from_a_missing_incident(redis: Redis) -> Any:
    return await move_call(
        register_call_scripts(redis), area="CW", call_id="c-gone", target_ref=HERE,
        source_ref=GONE, now_ms=5000, actor="test",
    )  # fmt: skip


async def _stand_down(redis: Redis) -> Any:
    return await stand_down(
        register_scripts(redis), area="CW", callsign="A1", ref=GONE, now_ms=5000, actor="test",
        reason="test",
    )  # fmt: skip


async def _divert_from_a_missing_incident(redis: Redis) -> Any:
    return await divert_unit(
        register_scripts(redis), area="CW", callsign="A1", from_ref=GONE, to_ref=HERE,
        tasking_id="t2", now_ms=5000, actor="test", reason="test",
    )  # fmt: skip


async def _transfer_incident(redis: Redis) -> Any:
    return await transfer_incident(
        register_call_scripts(redis), area="CW", ref=GONE, force="Kent Police", reference="",
        note="test", allowed_from=(IncidentStatus.TRANSFER,), now_ms=5000, actor="test",
    )  # fmt: skip


async def _hold_for_transfer(redis: Redis) -> Any:
    batch = Batch()
    holding = queue_hold_for_transfer(batch, area="CW", ref=GONE, now_ms=5000, actor="test")
    return holding.answer(await batch.run(redis))


CASES: list[tuple[Call, Any]] = [
    (_escalate_tasking, TaskingEscalation("missing", GONE, (), 0, "")),
    (_drop_borrowed_unit, BorrowedUnitDropped("missing", (), 0, "")),
    (_set_unit_status, UnitStatusAnswer(StatusOutcome.MISSING, "assigned", GONE, "")),
    (_borrowed_unit_status, BorrowedStatusAnswer("missing", f"no incident {GONE}")),
    (_claim_plan, "missing"),
    (_claim_units, "missing"),
    (_preempt_from_a_missing_incident, "rejected"),
    (_attach_borrowed, Attachment("missing", f"no incident {GONE}")),
    (_set_incident_status, StatusSet("missing", "", "")),
    (_stand_down, LeaveAnswer("missing", "", "", 0)),
    (_divert_from_a_missing_incident, LeaveAnswer("missing", GONE, "", 0)),
    (_transfer_incident, StatusSet("missing", "", "")),
    (_hold_for_transfer, False),
    (_grade_incident, Grading("missing", "", "", "")),
    (_link_call, Linking(Outcome.RETRY, GONE, {}, "missing")),
    (_move_call_to_a_missing_incident, Move("missing", f"ref: no incident {GONE}")),
    (
        _move_call_from_a_missing_incident,
        Move("missing", f"call_id: its incident {GONE} does not exist"),
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
    assert await run(redis) == answer
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
    service = IncidentService(redis, register_call_scripts(redis), dispatcher_for(redis, scripts))
    with pytest.raises(NotFoundError):
        await service.set_status(
            _gone_record(), IncidentStatus.CLOSED, code="resolved", category="public_safety",
            note="", actor="test",
        )  # fmt: skip
    here = await add_incident(redis, HERE, status="new")
    with pytest.raises(NotFoundError, match="does not exist"):
        await service.link(here, "c-gone", actor="test")
    assert not await redis.exists(CW.incident(GONE))
