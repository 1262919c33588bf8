"""A location corrected into another dispatch area moves the incident there: its hash, calls
(caller data with its expiry), queue places and the ref directory; committed units stay
committed and their reports still reach it; a reader by ref finds it at every moment, and no
list shows it twice. Through the real app and scripts against real Redis and broker."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
from prometheus_client import Counter
from redis.asyncio import Redis

from cad.events import Location, UnitStatus
from cad.incident_types import load_catalogue
from cad.keys import AreaKeys, GlobalKeys
from cad.unreadable import UnreadableRecords
from callhandling.incident_log import IncidentLog
from callhandling.incident_move import moved_fields
from callhandling.incidents import find_incident
from callhandling.lua.incident_move_commit import incident_move_commit
from callhandling.lua.incident_move_in import incident_move_in
from callhandling.lua.incident_move_out import incident_move_out
from callhandling.lua.incident_move_undo import incident_move_undo
from callhandling.queue import pending_queue
from callhandling.scripts import register_call_scripts
from dispatch.scripts import DispatchScripts
from dispatch.unit_status import apply_status
from tests.callhandling.test_api_incidents import call_body, record

CW, SO = AreaKeys("CW"), AreaKeys("SO")
CROYDON = {"lon": -0.0982, "lat": 51.3762, "radius_m": 30}  # area SO


async def _move(client: httpx.AsyncClient, ref: str) -> dict[str, Any]:
    moved = await client.post(
        f"/v1/incidents/{ref}/location", json={"location": CROYDON, "reason": "wrong town"}
    )
    assert moved.status_code == 200, moved.text
    answer: dict[str, Any] = moved.json()
    return answer


@pytest.mark.topologies("single", "cluster")
async def test_a_waiting_incident_moves_with_its_calls_and_its_place_in_the_queue(
    client: httpx.AsyncClient, redis: Redis
) -> None:
    body = call_body("mv1", kind="asb", cli="07700900501")
    first = await record(client, body)
    ref = first["incident"]["incident"]["ref"]
    await record(client, call_body("mv2", kind="asb", east_m=20, cli="07700900502"))
    assert (await client.post(f"/v1/incidents/{ref}/links", json={"call_id": "mv2"})).is_success
    score = await redis.zscore(CW.pending, ref)
    ttl_before = await redis.pttl(CW.call("mv1"))
    read_before = await find_incident(redis, ref)
    assert read_before is not None

    moved = await _move(client, ref)
    assert (moved["area"], moved["lon"], moved["lat"], moved["status"]) == (
        "SO", CROYDON["lon"], CROYDON["lat"], "pending",
    )  # fmt: skip
    assert await redis.hget(GlobalKeys().incident_area, ref) == "SO"
    for key in (CW.incident(ref), CW.incident_calls(ref), CW.call("mv1"), CW.call("mv2")):
        assert not await redis.exists(key), key
    assert await redis.zscore(CW.pending, ref) is None
    assert await redis.zscore(CW.open_incidents, ref) is None
    assert await redis.zscore(SO.pending, ref) == score  # its place in the queue kept
    assert await redis.geopos(SO.open_incidents, ref) != [None]
    assert await redis.zrange(SO.incident_calls(ref), 0, -1) == ["mv1", "mv2"]
    assert 0 < await redis.pttl(SO.call("mv1")) <= ttl_before  # caller data keeps its expiry

    detail = (await client.get(f"/v1/incidents/{ref}")).json()
    kinds = [e["type"] for e in detail["chronology"]]
    assert kinds[0] == "incident_created"  # the old area's chronology comes with it
    assert "call_linked" in kinds
    assert kinds[-2:] == ["incident_moved_out", "incident_moved_in"]
    moved_in = detail["chronology"][-1]
    assert (moved_in["from_area"], moved_in["reason"], moved_in["old_lat"]) == (
        "CW", "wrong town", repr(51.508),
    )  # fmt: skip
    callers = (await client.get(f"/v1/incidents/{ref}/caller")).json()["callers"]
    assert [c["cli"] for c in callers] == ["07700900501", "07700900502"]
    # A remark by someone who read it before the move reaches it in its new area.
    log = IncidentLog(register_call_scripts(redis), load_catalogue())
    entry_id = await log.remark(read_before, "late note", now_ms=1, actor="t")
    assert [f["text"] for i, f in await redis.xrange(SO.audit) if i == entry_id] == ["late note"]
    # A replay of its first call is still that incident, found in its new area.
    replay = await record(client, body)
    assert (replay["outcome"], replay["incident"]["incident"]["ref"]) == ("replayed", ref)


async def test_committed_units_stay_committed_and_their_reports_follow_the_incident(
    client: httpx.AsyncClient, redis: Redis, scripts: DispatchScripts
) -> None:
    unit = {"callsign": "CW10", "area": "CW", "base_lon": -0.13, "base_lat": 51.51}
    assert (await client.post("/v1/units", json=unit)).status_code == 201
    made = await record(client, call_body("mv3", grade="I", kind="violence"))
    ref = made["incident"]["incident"]["ref"]
    moved = await _move(client, ref)
    assert (moved["area"], moved["status"], moved["units"]) == ("SO", "dispatched", ["CW10"])
    assert await redis.hget(CW.unit_incident, "CW10") == ref  # still committed
    assert await redis.hget(SO.incident(ref), "borrowed") == "CW10"
    assert await redis.hget(SO.incident(ref), "lent_from:CW10") == "CW"
    busy = await client.post(f"/v1/incidents/{ref}/close", json={"code": "arrest"})
    assert busy.status_code == 409
    for status in (UnitStatus.EN_ROUTE, UnitStatus.ON_SCENE, UnitStatus.AVAILABLE):
        change = await apply_status(
            redis, scripts, area="CW", callsign="CW10", status=status,
            now_ms=int(time.time() * 1000), actor="mdt:CW10",
        )  # fmt: skip
        assert change.applied, change.reason
    incident = (await client.get(f"/v1/incidents/{ref}")).json()["incident"]
    assert incident["status"] == "awaiting_result"
    assert await redis.zscore(SO.awaiting_result, ref) is not None
    closed = await client.post(f"/v1/incidents/{ref}/close", json={"code": "arrest"})
    assert closed.status_code == 200, closed.text


async def test_a_change_between_the_steps_undoes_the_copy_and_changes_nothing(
    client: httpx.AsyncClient, redis: Redis
) -> None:
    """The saga's steps by hand, with a grading in the old area between steps 1 and 3."""
    made = await record(client, call_body("mv4", kind="asb"))
    ref = made["incident"]["incident"]["ref"]
    incident = await find_incident(redis, ref)
    assert incident is not None
    scripts = register_call_scripts(redis)
    out = await incident_move_out(scripts, area="CW", ref=ref, call_ids=["mv4"])
    assert out.snapshot is not None
    new = Location(**CROYDON)
    fields = moved_fields(out.snapshot, from_area="CW", to_area="SO", location=new)
    copied = await incident_move_in(
        scripts, area="SO", ref=ref, incident=fields, calls=out.snapshot.calls
    )
    assert copied.outcome == "ok"
    assert await pending_queue(redis, limit=10, unreadable=_unreadable()) != []
    graded = await client.post(f"/v1/incidents/{ref}/grade", json={"thrive": {"risk": "low"}})
    assert graded.status_code == 200  # read through the directory: still in CW
    answer = await incident_move_commit(
        scripts, area="CW", ref=ref, call_ids=["mv4"], to_area="SO",
        fingerprint=out.fingerprint, old=incident.location, new=new, reason="r",
        forward_s=60, now_ms=1, actor="t",
    )  # fmt: skip
    assert answer == "changed"
    assert await incident_move_undo(scripts, area="SO", ref=ref, call_ids=["mv4"])
    assert await redis.keys("cad:{SO}:*") == []
    assert await redis.hget(CW.incident(ref), "grade") == "R"
    assert await redis.exists(CW.call("mv4"))
    wrong = await incident_move_out(scripts, area="CW", ref=ref, call_ids=[])
    assert wrong.outcome == "retry"  # its calls as read do not match


async def test_readers_find_the_incident_once_throughout_a_move(
    client: httpx.AsyncClient, redis: Redis
) -> None:
    made = await record(client, call_body("mv5", kind="asb"))
    ref = made["incident"]["incident"]["ref"]
    moving = asyncio.create_task(_move(client, ref))
    seen: list[tuple[str, int]] = []
    while not moving.done():
        found = await find_incident(redis, ref)
        assert found is not None  # never nowhere, by ref
        queued = await pending_queue(redis, limit=50, unreadable=_unreadable())
        listed = [i.ref for i in queued].count(ref)
        assert listed <= 1  # never twice in the queue
        seen.append((found.area, listed))
    await moving
    after = await find_incident(redis, ref)
    assert after is not None
    assert after.area == "SO"
    assert seen  # the reader ran while the move did


def _unreadable() -> UnreadableRecords:
    return UnreadableRecords(Counter("t_unreadable", "t", ["kind"], registry=None))
