"""One call id is one call across the force: a copy located in another dispatch area changes
nothing and is refused naming the difference (MQTT: a dead letter; HTTP: 409), an identical copy
is a replay, and copies racing in several areas make one incident. Real Redis and mosquitto."""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from cad.errors import ConflictError
from cad.events import CallEvent, DeadLetter
from cad.keys import AreaKeys, GlobalKeys
from cad.logs import JsonFormatter
from cad.settings import Settings
from cad.topics import Topics
from callhandling.intake import IntakeResult
from dispatch.scripts import DispatchScripts
from dispatch.units import Unit, register_unit
from tests.cad.test_metrics import samples_of
from tests.helpers import eventually, mqtt_client, next_message, running_runtime
from transport.deadletter import DEADLETTER_STREAM

# Real points, each in its own dispatch area (checked with geo: nearest_bcu).
WESTMINSTER = (-0.1357, 51.4995)  # CW
CAMDEN = (-0.1426, 51.5390)  # CN
STRATFORD = (-0.0035, 51.5416)  # NE
CROYDON = (-0.0982, 51.3762)  # SO
AREA_OF = {WESTMINSTER: "CW", CAMDEN: "CN", STRATFORD: "NE", CROYDON: "SO"}
CLI = "07700900777"
# One time for every copy of a call (a copy that differs in it is another call), recent enough
# for the service's bounds (CAD_MAX_CALL_AGE_S).
RECEIVED_AT = datetime.now(UTC).isoformat(timespec="seconds")
TEXT = "a man is climbing into the house next door"


def call(call_id: str, where: tuple[float, float], **over: Any) -> dict[str, Any]:
    return {
        "call_id": call_id, "received_at": RECEIVED_AT, "source": "999",
        "location": {"lon": where[0], "lat": where[1]}, "incident_type": "missing_person_high_risk",
        "grade": "I", "cli": CLI, "text": TEXT, **over,
    }  # fmt: skip


async def register_units(redis: Redis, scripts: DispatchScripts) -> None:
    """One response unit in each area, at the test's point there."""
    for (lon, lat), area in AREA_OF.items():
        unit = Unit(callsign=f"{area}01", area=area, base_lon=lon + 0.002, base_lat=lat)
        await register_unit(redis, scripts, unit, now_ms=1, actor="test")


async def audit_count(redis: Redis, kind: str) -> int:
    """Audit entries of one type across every area."""
    entries = [f for area in AREA_OF.values() for _, f in await redis.xrange(AreaKeys(area).audit)]
    return sum(f["type"] == kind for f in entries)


async def call_records(redis: Redis, call_id: str) -> list[str]:
    """The areas holding a call record of this call id."""
    keys = [k async for k in redis.scan_iter(f"cad:{{*}}:call:{call_id}")]
    return sorted(k.split("{")[1].split("}")[0] for k in keys)


_CALLS_REPLAYED = ("cad_calls_total", (("channel", "mqtt"), ("outcome", "replayed")))


def _payload(message: Any) -> bytes:
    assert isinstance(message.payload, bytes)
    return message.payload


async def test_the_same_call_id_in_two_areas_over_mqtt_is_one_incident_and_a_dead_letter(
    settings: Settings, redis: Redis, scripts: DispatchScripts, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    await register_units(redis, scripts)
    topics = Topics(settings.topic_root)
    first = json.dumps(call("T-1", WESTMINSTER)).encode()
    moved = json.dumps(call("T-1", CAMDEN)).encode()
    async with (
        running_runtime(settings) as runtime,
        mqtt_client(settings, "gateway") as gateway,
        mqtt_client(settings, "watcher") as watcher,
    ):
        await watcher.subscribe(topics.deadletter, qos=1)
        await gateway.publish(topics.calls_in, first, qos=1)

        async def dispatched() -> bool:
            return bool(await redis.hget(AreaKeys("CW").unit_status, "CW01") == "assigned")

        await eventually(dispatched)
        # A QoS 1 redelivery of the first copy, then the tester's copy located in Camden.
        await gateway.publish(topics.calls_in, first, qos=1)
        await gateway.publish(topics.calls_in, moved, qos=1)
        letter = DeadLetter.model_validate_json(_payload(await next_message(watcher)))

        async def replay_taken() -> bool:
            samples = samples_of(runtime.metrics.render().decode())
            return samples.get(_CALLS_REPLAYED) == 1

        await eventually(replay_taken)
    reason = "call_id: T-1 already recorded with a different location (area CW, not CN)"
    assert letter.reason == reason
    assert letter.topic == topics.calls_in
    stored = [json.loads(f["letter"]) for _, f in await redis.xrange(DEADLETTER_STREAM)]
    assert [s["reason"] for s in stored] == [reason]  # the identical copy is no dead letter
    assert await redis.hlen(GlobalKeys().incident_area) == 1
    assert await call_records(redis, "T-1") == ["CW"]
    assert await audit_count(redis, "incident_created") == 1
    assert await audit_count(redis, "unit_assigned") == 1
    assert await redis.hget(AreaKeys("CN").unit_status, "CN01") == "available"
    conflicts = [r for r in caplog.records if r.getMessage() == "call_id_conflict"]
    assert [r.__dict__["fields"]["call_id"] for r in conflicts] == ["T-1"]
    lines = "\n".join(JsonFormatter().format(r) for r in caplog.records)
    for private in (CLI, TEXT):
        assert private not in lines
        assert private not in letter.payload_excerpt


async def test_the_same_call_id_in_two_areas_over_http_is_one_incident_and_a_409(
    client: httpx.AsyncClient, redis: Redis, scripts: DispatchScripts
) -> None:
    await register_units(redis, scripts)
    created = await client.post("/v1/calls", json=call("H-1", WESTMINSTER))
    assert created.status_code == 201, created.text
    assert created.json()["dispatch"] == {"outcome": "claimed", "units": ["CW01"]}
    ref = created.json()["incident"]["incident"]["ref"]
    moved = call("H-1", CAMDEN, grade="S", cli="07700900999", text="someone else entirely")
    refused = await client.post("/v1/calls", json=moved)
    assert refused.status_code == 409, refused.text
    detail = refused.json()["detail"]
    assert detail == (
        "call_id: H-1 already recorded with a different location (area CW, not CN), grade, cli, "
        "text"
    )
    assert "07700900" not in detail
    assert "someone" not in detail
    # The same place, another text: refused too, naming only the text.
    reworded = await client.post("/v1/calls", json=call("H-1", WESTMINSTER, text="other words"))
    assert reworded.status_code == 409
    assert reworded.json()["detail"] == "call_id: H-1 already recorded with a different text"
    # The identical copy is a replay: its incident, as before this change.
    again = await client.post("/v1/calls", json=call("H-1", WESTMINSTER))
    assert again.status_code == 201
    assert (again.json()["outcome"], again.json()["incident"]["incident"]["ref"]) == (
        "replayed", ref,
    )  # fmt: skip
    assert await redis.hlen(GlobalKeys().incident_area) == 1
    assert await call_records(redis, "H-1") == ["CW"]
    assert await audit_count(redis, "unit_assigned") == 1
    assert await redis.hget(AreaKeys("CN").unit_status, "CN01") == "available"


async def test_twenty_copies_racing_in_four_areas_make_one_incident(
    settings: Settings, redis: Redis, scripts: DispatchScripts
) -> None:
    """Five identical copies in each of four areas, all at once, on both intake paths: one
    area's copies make one incident (one creates, four replay), the other fifteen are refused."""
    await register_units(redis, scripts)
    places = list(AREA_OF)
    copies = [CallEvent.model_validate(call("RACE-1", places[n % 4])) for n in range(20)]
    async with running_runtime(settings) as runtime:
        answers = await asyncio.gather(
            *(
                runtime.intake.accept(copy, actor="test", auto_link=n % 2 == 0)
                for n, copy in enumerate(copies)
            ),
            return_exceptions=True,
        )
    accepted = [(n, a) for n, a in enumerate(answers) if isinstance(a, IntakeResult)]
    refused = [(n, a) for n, a in enumerate(answers) if not isinstance(a, IntakeResult)]
    assert Counter(a.outcome.value for _, a in accepted) == {"created": 1, "replayed": 4}
    assert len({a.incident.ref for _, a in accepted}) == 1
    winner = {places[n % 4] for n, _ in accepted}
    assert len(winner) == 1  # only the copies of the first claim's content were taken
    area = AREA_OF[winner.pop()]
    assert len(refused) == 15
    for n, error in refused:
        assert isinstance(error, ConflictError), error
        assert str(error) == (
            f"call_id: RACE-1 already recorded with a different location "
            f"(area {area}, not {AREA_OF[places[n % 4]]})"
        )
    assert await redis.hlen(GlobalKeys().incident_area) == 1
    assert await call_records(redis, "RACE-1") == [area]
    assert await audit_count(redis, "incident_created") == 1
    assert await audit_count(redis, "unit_assigned") == 1
