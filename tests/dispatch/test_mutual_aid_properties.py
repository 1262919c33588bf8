"""Property test of cross-BCU dispatch: random dispatches, borrowing, status reports and releases
over three areas, with the invariants checked in every area after every step."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis

from cad.events import UnitStatus
from cad.incident_record import read_incident
from cad.keys import AreaKeys, GlobalKeys
from dispatch.lent_status import apply_lent_status, borrowing_area
from dispatch.scripts import DispatchScripts, register_scripts
from dispatch.unit_status import apply_status
from service.servers import EmbeddedServer
from tests.dispatch.dispatch_model import MAY_BE_COMMITTED
from tests.dispatch.mutual_aid_fixtures import add_fleet, add_incident, dispatcher_for

FLEET = {
    "W1": ("CW", -0.1300, 51.5100),
    "S1": ("CS", -0.1134, 51.5033),
    "S2": ("CS", -0.1145, 51.4613),
    "N1": ("CN", -0.1240, 51.5308),
}
# Grade S: pre-emption (grade I) across areas is covered by test_lent_status.py.
INCIDENTS = {"A0": "CW", "A1": "CW", "A2": "CW", "C0": "CS", "C1": "CS"}
AREAS = ("CW", "CS", "CN")


@dataclass(frozen=True)
class Dispatch:
    """The automatic dispatch of an incident (claim, pre-emption, borrowing)."""

    ref: str


@dataclass(frozen=True)
class Report:
    """An MDT reports a status; a lent unit's report goes the lent way (dispatch/lent_status)."""

    callsign: str
    status: UnitStatus


Op = Dispatch | Report

ops = st.lists(
    st.one_of(
        st.builds(Dispatch, st.sampled_from(sorted(INCIDENTS))),
        st.builds(Report, st.sampled_from(sorted(FLEET)), st.sampled_from(list(UnitStatus))),
        st.builds(
            Report,
            st.sampled_from(sorted(FLEET)),
            st.sampled_from([UnitStatus.ON_SCENE, UnitStatus.AVAILABLE]),
        ),
    ),
    min_size=1,
    max_size=25,
)


async def _report(
    redis: Redis, scripts: DispatchScripts, callsign: str, status: UnitStatus
) -> None:
    area = FLEET[callsign][0]
    ref = await redis.hget(AreaKeys(area).unit_incident, callsign) or ""
    home = await borrowing_area(redis, area=area, ref=ref)
    if home is None:
        await apply_status(
            redis, scripts, area=area, callsign=callsign, status=status, now_ms=9, actor="mdt"
        )
    else:
        await apply_lent_status(
            scripts, area=area, home_area=home, ref=ref, callsign=callsign, status=status,
            now_ms=9, actor="mdt",
        )  # fmt: skip


async def _check(redis: Redis) -> None:
    committed: dict[str, str] = {}
    for area in AREAS:
        keys = AreaKeys(area)
        statuses = await redis.hgetall(keys.unit_status)
        mine = await redis.hgetall(keys.unit_incident)
        assert set(await redis.zrange(keys.available, 0, -1)) == {
            c for c, s in statuses.items() if s == UnitStatus.AVAILABLE
        }
        assert all(statuses[c] in MAY_BE_COMMITTED for c in mine)
        assert {c for c, s in statuses.items() if s == UnitStatus.ASSIGNED} <= set(mine)
        committed |= mine
        # No area holds an incident hash (or a queue entry) for another area's incident.
        own = {r for r, a in INCIDENTS.items() if a == area}
        held = {r for r in INCIDENTS if await redis.exists(keys.incident(r))}
        assert held <= own
        pending = set(await redis.zrange(keys.pending, 0, -1))
        assert pending == {
            r for r in own if await redis.hget(keys.incident(r), "status") == "pending"
        }
    for ref, area in INCIDENTS.items():
        incident = await redis.hgetall(AreaKeys(area).incident(ref))
        listed = set(filter(None, incident.get("units", "").split(",")))
        borrowed = set(filter(None, incident.get("borrowed", "").split(",")))
        mine = {c for c, r in committed.items() if r == ref}
        assert mine <= listed
        assert borrowed == {c for c in mine if FLEET[c][0] != area}
        assert all(incident[f"lent_from:{c}"] == FLEET[c][0] for c in borrowed)


async def _run(url: str, steps: list[Op]) -> None:
    client: Redis = Redis.from_url(url, decode_responses=True)
    try:
        await client.flushdb()
        scripts = register_scripts(client)
        await add_fleet(client, scripts, FLEET)
        for ref, area in INCIDENTS.items():
            where = (FLEET["S1"][1], FLEET["S1"][2]) if area == "CS" else (-0.1281, 51.5080)
            await add_incident(client, ref, area=area, status="new", grade="S", where=where)
        await client.sadd(GlobalKeys().areas, *AREAS)
        dispatcher = dispatcher_for(client, scripts)
        for step in steps:
            if isinstance(step, Dispatch):
                incident = await read_incident(client, INCIDENTS[step.ref], step.ref)
                assert incident is not None
                await dispatcher.dispatch(incident, actor="prop")
            else:
                await _report(client, scripts, step.callsign, step.status)
            await _check(client)
    finally:
        await client.aclose()


@settings(max_examples=40, deadline=None)
@given(ops)
def test_lending_never_leaves_a_unit_in_two_places(
    redis_proc: EmbeddedServer, steps: list[Op]
) -> None:
    """Every commitment is listed by its incident in the incident's own area, and only there."""
    asyncio.run(_run(redis_proc.url, steps))
