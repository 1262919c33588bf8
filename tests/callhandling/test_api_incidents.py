"""The call handlers' incident API through the ASGI app against real servers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from redis.asyncio import Redis

from cad.settings import Settings

HERE = {"lon": -0.1281, "lat": 51.5080}


def call_body(
    call_id: str, *, grade: str | None = None, kind: str | None = None, east_m: float = 0,
    minutes_ago: float = 0, cli: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    received = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    return {
        "call_id": call_id, "received_at": received.isoformat(), "source": "999",
        "location": {"lon": HERE["lon"] + east_m / 69_000, "lat": HERE["lat"], "radius_m": 40},
        "incident_type": kind, "grade": grade, "cli": cli, "text": "caller distressed",
    }  # fmt: skip


async def record(client: httpx.AsyncClient, body: dict[str, Any], **params: str) -> dict[str, Any]:
    response = await client.post("/v1/calls", json=body, params=params)
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def test_a_call_reports_duplicate_candidates_and_the_handler_links_it(
    client: httpx.AsyncClient,
) -> None:
    first = await record(client, call_body("d1", kind="violence", cli="07700900001"))
    ref = first["incident"]["incident"]["ref"]
    assert first["candidates"] == []
    second = await record(client, call_body("d2", kind="violence", east_m=30, cli="07700900002"))
    other = second["incident"]["incident"]["ref"]
    assert other != ref
    (candidate,) = second["candidates"]
    assert candidate["ref"] == ref
    assert candidate["score"] >= 0.95
    assert "same type (violence)" in candidate["reasons"]
    linked = await client.post(f"/v1/incidents/{ref}/links", json={"call_id": "d2"})
    assert linked.json() == {"ref": ref, "call_id": "d2", "outcome": "moved_and_cancelled"}
    detail = (await client.get(f"/v1/incidents/{ref}")).json()
    assert [c["call_id"] for c in detail["calls"]] == ["d1", "d2"]
    assert "cli" not in detail["calls"][0]
    assert detail["incident"]["call_count"] == 2
    kinds = [e["type"] for e in detail["chronology"]]
    assert kinds[0] == "incident_created"
    assert "call_linked" in kinds
    gone = (await client.get(f"/v1/incidents/{other}")).json()["incident"]
    assert (gone["status"], gone["close_code"]) == ("cancelled", "duplicate")
    # With auto_link (the MQTT path's behaviour) a third call joins without being asked.
    third = await record(client, call_body("d3", kind="violence", east_m=10), auto_link="true")
    assert third["outcome"] == "linked"
    assert third["incident"]["incident"]["ref"] == ref
    assert third["dispatch"] is None


async def test_candidates_are_reported_when_redis_has_forgotten_its_scripts(
    client: httpx.AsyncClient, redis: Redis
) -> None:
    """After a Redis restart its script cache is empty: the creation's round trip finds the near
    incidents' facts script forgotten, and the candidates are read again, not dropped."""
    first = await record(client, call_body("f1", kind="violence"))
    await redis.script_flush()
    # A call with nothing near it loads the creation's scripts again, but not the facts'.
    await record(client, call_body("f2", kind="violence", east_m=3_000))
    second = await record(client, call_body("f3", kind="violence", east_m=30))
    assert [c["ref"] for c in second["candidates"]] == [first["incident"]["incident"]["ref"]]


async def test_grading_with_thrive_dispatches_and_keeps_every_grade(
    client: httpx.AsyncClient,
) -> None:
    await client.post(
        "/v1/units",
        json={"callsign": "CW10", "area": "CW", "base_lon": -0.13, "base_lat": 51.51},
    )
    made = await record(client, call_body("g1", kind="concern_for_welfare"))
    ref = made["incident"]["incident"]["ref"]
    assert made["incident"]["incident"]["status"] == "pending"  # ungraded: waits for a handler
    refused = await client.post(
        f"/v1/incidents/{ref}/grade", json={"thrive": {"risk": "low"}, "grade": "I"}
    )
    assert refused.status_code == 422
    assert "reason: required to grade I when THRIVE suggests R" in refused.text
    graded = await client.post(
        f"/v1/incidents/{ref}/grade",
        json={"thrive": {"risk": "medium", "vulnerability": True}},
    )
    assert graded.status_code == 200, graded.text
    view = graded.json()
    assert view["incident"]["grade"] == "I"
    assert view["incident"]["status"] == "dispatched"
    assert view["incident"]["units"] == ["CW10"]
    assert view["clocks"]["target_s"] == 900
    regraded = await client.post(
        f"/v1/incidents/{ref}/grade",
        json={"thrive": {"risk": "medium"}, "grade": "I", "reason": "weapon mentioned"},
    )
    assert regraded.json()["incident"]["grade_reason"] == "override: weapon mentioned"
    history = [
        (e["grade"], e["previous"], e["reason"])
        for e in (await client.get(f"/v1/incidents/{ref}")).json()["chronology"]
        if e["type"] == "incident_graded"
    ]
    assert history == [
        ("I", "", "medium risk with a vulnerable person"),
        ("I", "I", "override: weapon mentioned"),
    ]
    units = [e for e in (await client.get(f"/v1/incidents/{ref}")).json()["chronology"]
             if e["type"] == "unit_assigned"]  # fmt: skip
    assert len(units) == 1  # a re-grade never dispatches twice


async def test_life_cycle_transitions_are_409_when_illegal(client: httpx.AsyncClient) -> None:
    await client.post(
        "/v1/units",
        json={"callsign": "CW20", "area": "CW", "base_lon": -0.13, "base_lat": 51.51},
    )
    sent = await record(client, call_body("l1", grade="I", kind="missing_person_high_risk"))
    ref = sent["incident"]["incident"]["ref"]
    busy = await client.post(f"/v1/incidents/{ref}/close", json={"code": "resolved"})
    assert busy.status_code == 409
    assert (
        busy.json()["detail"] == "status: units still committed: CW20 (current status: dispatched)"
    )
    cancel = await client.post(f"/v1/incidents/{ref}/cancel", json={"note": "caller rang back"})
    assert cancel.status_code == 409
    assert "illegal transition dispatched -> cancelled" in cancel.json()["detail"]
    waiting = await record(client, call_body("l2", kind="theft_report", east_m=3_000))
    other = waiting["incident"]["incident"]["ref"]
    referred = await client.post(f"/v1/incidents/{other}/refer", json={"note": "to Action Fraud"})
    assert referred.json()["status"] == "referred"
    again = await client.post(f"/v1/incidents/{other}/close", json={"code": "resolved"})
    assert again.status_code == 409
    assert "(current status: referred)" in again.json()["detail"]
    bad_code = await client.post(f"/v1/incidents/{other}/close", json={"code": "vanished"})
    assert bad_code.status_code == 422
    assert bad_code.json()["detail"][0]["loc"] == ["body", "code"]


async def test_the_queue_is_by_grade_then_age_with_clocks_and_an_alarm(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    # No units anywhere: every graded call waits. Far apart, so none is another's duplicate.
    await record(client, call_body("q1", grade="S", kind="asb", east_m=0, minutes_ago=5))
    await record(client, call_body("q2", grade="I", kind="violence", east_m=4_000, minutes_ago=1))
    await record(client, call_body("q3", grade="S", kind="asb", east_m=8_000, minutes_ago=30))
    await record(client, call_body("q4", grade="E", kind="theft_report", east_m=12_000))
    listed = (await client.get("/v1/incidents", params={"status": "pending"})).json()
    order = [(v["incident"]["call_id"], v["incident"]["grade"]) for v in listed["incidents"]]
    assert order == [("q2", "I"), ("q3", "S"), ("q1", "S"), ("q4", "E")]
    clocks = listed["incidents"][0]["clocks"]
    assert clocks["target_s"] == 900
    assert 55 <= clocks["since_call_s"] <= 120
    assert clocks["predicted_breach"] is False  # no unit, no ETA: not yet predicted late
    assert settings.queue_alarm_age_s == 1200
    assert [a["ref"] for a in listed["alarms"]] == [listed["incidents"][1]["incident"]["ref"]]


async def test_an_idempotency_key_replays_the_first_answer(client: httpx.AsyncClient) -> None:
    headers = {"Idempotency-Key": "handler-7:call-1"}
    body = call_body("i1", kind="asb")
    first = await client.post("/v1/calls", json=body, headers=headers)
    again = await client.post("/v1/calls", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()  # the very same answer, not a "replayed" outcome
    other = await client.post("/v1/calls", json=call_body("i2", kind="asb"), headers=headers)
    assert other.status_code == 422
    assert other.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]
    bad = await client.post("/v1/calls", json=call_body("i3"), headers={"Idempotency-Key": "a b"})
    assert bad.status_code == 422


async def test_an_oversized_body_is_refused_with_413(client: httpx.AsyncClient) -> None:
    body = call_body("big", kind="asb")
    body["text"] = "x" * 70_000
    response = await client.post("/v1/calls", json=body)
    assert response.status_code == 413
    assert response.json()["detail"][0] == {
        "loc": ["body"],
        "msg": "larger than 65536 bytes",
        "type": "too_large",
    }
