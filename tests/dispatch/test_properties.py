"""Property tests: random status reports, claims, named claims, pre-emptions and releases against
the real Redis scripts, compared after every step with the pure model in `dispatch_model`."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis

from cad.events import Grade, UnitStatus
from cad.incident_types import DEFAULT_PLAN, Requirement
from cad.keys import AreaKeys
from dispatch.claims import NamedPick, plan_nearest
from dispatch.lua.claim_plan import claim_plan
from dispatch.lua.claim_units import claim_units
from dispatch.lua.divert_unit import divert_unit
from dispatch.lua.stand_down import stand_down
from dispatch.scripts import DispatchScripts, register_scripts
from dispatch.unit_status import apply_status
from dispatch.units import Unit, register_unit
from service.servers import EmbeddedServer
from tests.dispatch.dispatch_model import MAY_BE_COMMITTED, AreaModel, ModelIncident, ModelUnit

AREA = "CS"
KEYS = AreaKeys(AREA)
SCENE = (-0.1100, 51.4900)
# Unit i stands (i + 1) * 150 m east of the scene: distance order is callsign order.
CAPABILITIES = (
    frozenset({"response"}),
    frozenset({"response", "firearms"}),
    frozenset({"response"}),
    frozenset({"firearms"}),
    frozenset({"response", "firearms"}),
)
CALLSIGNS = tuple(f"U{i}" for i in range(len(CAPABILITIES)))
REFS = ("P0", "P1", "P2", "P3")
PROPERTY_SETTINGS = settings(max_examples=40, deadline=None)


@dataclass(frozen=True)
class Report:
    """An MDT reports a status."""

    callsign: str
    status: UnitStatus


@dataclass(frozen=True)
class Claim:
    """The automatic claim of an incident's plan."""

    ref: str
    plan: tuple[Requirement, ...] = DEFAULT_PLAN


@dataclass(frozen=True)
class Named:
    """A dispatcher names units; `take` pre-empts each from the incident it is committed to."""

    ref: str
    callsigns: tuple[str, ...]
    take: bool


@dataclass(frozen=True)
class Release:
    """A unit arrives and then clears: on_scene, then available."""

    callsign: str


@dataclass(frozen=True)
class StandDown:
    """A dispatcher stands a unit down from its incident."""

    callsign: str


@dataclass(frozen=True)
class Divert:
    """A dispatcher diverts a unit to another incident."""

    callsign: str
    ref: str


Op = Report | Claim | Named | Release | StandDown | Divert

callsigns = st.sampled_from(CALLSIGNS)
refs = st.sampled_from(REFS)
requirements = st.builds(
    Requirement,
    capabilities=st.sampled_from([("response",), ("firearms",), ("firearms", "response")]),
    count=st.integers(1, 2),
)
plans = st.lists(requirements, min_size=1, max_size=2).map(tuple)
reports = st.builds(Report, callsigns, st.sampled_from(list(UnitStatus)))
named = st.builds(
    Named, refs, st.lists(callsigns, min_size=1, max_size=2).map(tuple), st.booleans()
)
grades = st.lists(st.sampled_from(["I", "S", "E"]), min_size=len(REFS), max_size=len(REFS))


async def _start(redis: Redis, scripts: DispatchScripts, incident_grades: list[str]) -> AreaModel:
    await redis.flushdb()
    units = []
    for i, (callsign, caps) in enumerate(zip(CALLSIGNS, CAPABILITIES, strict=True)):
        unit = Unit(
            callsign=callsign, capabilities=caps, area=AREA,
            base_lon=SCENE[0] + (i + 1) * 150 / 69_000, base_lat=SCENE[1],
        )  # fmt: skip
        await register_unit(redis, scripts, unit, now_ms=1, actor="test")
        units.append(ModelUnit(callsign, caps))
    for ref, grade in zip(REFS, incident_grades, strict=True):
        await redis.hset(KEYS.incident(ref), mapping={"ref": ref, "status": "new", "grade": grade})
    incidents = {r: ModelIncident(r, g) for r, g in zip(REFS, incident_grades, strict=True)}
    return AreaModel(units, incidents)


async def _step(redis: Redis, scripts: DispatchScripts, model: AreaModel, op: Op) -> None:
    if isinstance(op, Report):
        await _report(redis, scripts, model, op.callsign, op.status)
    elif isinstance(op, Release):
        await _report(redis, scripts, model, op.callsign, UnitStatus.ON_SCENE)
        await _report(redis, scripts, model, op.callsign, UnitStatus.AVAILABLE)
    elif isinstance(op, StandDown | Divert):
        await _control(scripts, model, op)
    elif isinstance(op, Claim):
        expected, expected_units = model.claim_nearest(op.ref, op.plan)
        result = await claim_plan(scripts, plan_nearest(
            area=AREA, ref=op.ref, lon=SCENE[0], lat=SCENE[1],
            grade=Grade(model.incidents[op.ref].grade), received_ms=1, radii_m=(300, 5_000),
            now_ms=10, actor="prop", plan=op.plan,
        ))  # fmt: skip
        assert (result.outcome.value, [u.callsign for u in result.units]) == (
            expected,
            expected_units,
        )
    else:
        picks = [(c, model.unit(c).incident if op.take else None) for c in op.callsigns]
        expected = model.claim_units(op.ref, picks)
        result = await claim_units(
            scripts, area=AREA, ref=op.ref, picks=tuple(NamedPick(c, f) for c, f in picks),
            now_ms=10, actor="prop", reason="property test",
        )  # fmt: skip
        assert result.outcome.value == expected, result.reason


async def _control(scripts: DispatchScripts, model: AreaModel, op: StandDown | Divert) -> None:
    ref = model.unit(op.callsign).incident or ""
    if isinstance(op, StandDown):
        expected = model.stand_down(op.callsign)
        answer = await stand_down(
            scripts, area=AREA, callsign=op.callsign, ref=ref, now_ms=30, actor="control",
            reason="property test",
        )  # fmt: skip
    else:
        expected = model.divert(op.callsign, op.ref)
        answer = await divert_unit(
            scripts, area=AREA, callsign=op.callsign, from_ref=ref, to_ref=op.ref,
            tasking_id=f"t-{op.callsign}-{op.ref}", now_ms=30, actor="control",
            reason="property test",
        )  # fmt: skip
    assert answer.outcome == expected, answer


async def _report(
    redis: Redis, scripts: DispatchScripts, model: AreaModel, callsign: str, status: UnitStatus
) -> None:
    expected = model.report(callsign, status)
    change = await apply_status(
        redis, scripts, area=AREA, callsign=callsign, status=status, now_ms=20, actor="mdt"
    )
    assert change.applied is expected, change.reason


async def _check(redis: Redis, model: AreaModel) -> None:
    statuses = await redis.hgetall(KEYS.unit_status)
    available = set(await redis.zrange(KEYS.available, 0, -1))
    committed = await redis.hgetall(KEYS.unit_incident)
    pending = set(await redis.zrange(KEYS.pending, 0, -1))
    incidents = {r: await redis.hgetall(KEYS.incident(r)) for r in REFS}
    listed = {r: [c for c in i.get("units", "").split(",") if c] for r, i in incidents.items()}
    # The invariants, whatever the model says: one place per unit, one queue entry per waiter.
    assert available == {c for c, s in statuses.items() if s == UnitStatus.AVAILABLE}
    assert all(statuses[c] in MAY_BE_COMMITTED for c in committed)
    assert {c for c, s in statuses.items() if s == UnitStatus.ASSIGNED} <= set(committed)
    assert all(c in listed[r] for c, r in committed.items())
    # Each listed unit stands once, beside its own tasking (claimed() pairs them up).
    for ref, incident in incidents.items():
        assert len(set(listed[ref])) == len(listed[ref]), incident
        assert len([t for t in incident.get("taskings", "").split(",") if t]) == len(listed[ref])
    assert pending == {r for r, i in incidents.items() if i["status"] == "pending"}
    assert not any(r in pending for r in committed.values())
    # And the exact state the model predicts.
    assert statuses == {u.callsign: u.status.value for u in model.units}
    assert committed == {u.callsign: u.incident for u in model.units if u.incident}
    assert available == model.available
    assert pending == model.pending
    assert {r: i["status"] for r, i in incidents.items()} == {
        r: i.status for r, i in model.incidents.items()
    }
    assert listed == {r: i.units for r, i in model.incidents.items()}


async def _run(url: str, incident_grades: list[str], ops: list[Op]) -> None:
    client: Redis = Redis.from_url(url, decode_responses=True)
    try:
        scripts = register_scripts(client)
        model = await _start(client, scripts, incident_grades)
        for op in ops:
            await _step(client, scripts, model, op)
            await _check(client, model)
    finally:
        await client.aclose()


@PROPERTY_SETTINGS
@given(
    grades,
    st.lists(st.one_of(reports, reports, st.builds(Claim, refs)), min_size=1, max_size=30),
)
def test_status_reports_never_leave_a_unit_in_two_places(
    redis_proc: EmbeddedServer, incident_grades: list[str], ops: list[Op]
) -> None:
    """The state machine: random reports with claims interleaved, checked after every step."""
    asyncio.run(_run(redis_proc.url, incident_grades, ops))


@PROPERTY_SETTINGS
@given(
    grades,
    st.lists(
        st.one_of(
            st.builds(Claim, refs, plans),
            named,
            st.builds(Release, callsigns),
        ),
        min_size=1,
        max_size=30,
    ),
)
def test_claims_and_releases_follow_the_model(
    redis_proc: EmbeddedServer, incident_grades: list[str], ops: list[Op]
) -> None:
    """Plans, named claims, pre-emption and releases: no unit committed twice, queue exact."""
    asyncio.run(_run(redis_proc.url, incident_grades, ops))


@PROPERTY_SETTINGS
@given(
    grades,
    st.lists(
        st.one_of(
            st.builds(Claim, refs, plans),
            named,
            reports,
            st.builds(StandDown, callsigns),
            st.builds(Divert, callsigns, refs),
        ),
        min_size=1,
        max_size=30,
    ),
)
def test_stand_downs_and_diverts_follow_the_model(
    redis_proc: EmbeddedServer, incident_grades: list[str], ops: list[Op]
) -> None:
    """Control taking units off incidents and moving them among claims, pre-emptions and reports:
    a unit on one incident at most, an incident with no committed unit back in the queue."""
    asyncio.run(_run(redis_proc.url, incident_grades, ops))
