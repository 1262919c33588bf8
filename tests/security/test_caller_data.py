"""Caller data: the caller's number and free text never reach a log line or a dead letter,
and every Redis key holding them expires after CAD_CALLER_DATA_RETENTION_S."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import httpx
import pytest
from redis.asyncio import Redis

from cad.logs import JsonFormatter
from cad.settings import Settings
from cad.tokens import Role
from cad.topics import Topics
from tests.helpers import auth_headers, eventually, mqtt_client
from transport.deadletter import DEADLETTER_STREAM

CLI = "07700900461"
TEXT = "my neighbour Mrs Example at number 12 has collapsed"


def _call(call_id: str, **over: object) -> dict[str, object]:
    return {
        "call_id": call_id, "received_at": datetime.now(UTC).isoformat(), "source": "999",
        "location": {"lon": -0.1281, "lat": 51.508}, "incident_type": "concern_for_welfare",
        "cli": CLI, "text": TEXT, **over,
    }  # fmt: skip


async def _values(redis: Redis, key: str) -> str:
    kind = await redis.type(key)
    if kind == "hash":
        return json.dumps(await redis.hgetall(key))
    if kind == "string":
        return str(await redis.get(key))
    if kind == "stream":
        return json.dumps(await redis.xrange(key))
    if kind == "zset":
        return json.dumps(await redis.zrange(key, 0, -1))
    if kind == "set":
        return json.dumps(sorted(await redis.smembers(key)))
    return ""


async def test_caller_data_is_never_logged_and_expires_with_its_records(
    anon: httpx.AsyncClient, settings: Settings, redis: Redis, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    headers = auth_headers(settings, Role.CALL_HANDLER) | {"Idempotency-Key": "caller-data-1"}
    recorded = await anon.post("/v1/calls", json=_call("cd-http"), headers=headers)
    assert recorded.status_code == 201
    topics = Topics(settings.topic_root)
    async with mqtt_client(settings, "caller-data-gateway") as gateway:
        await gateway.publish(topics.calls_in, json.dumps(_call("cd-mqtt")).encode(), qos=1)
        # Refused (a grade that does not exist): a dead letter, which must not keep them either.
        bad = _call("cd-bad", grade="Z")
        await gateway.publish(topics.calls_in, json.dumps(bad).encode(), qos=1)

    async def both_recorded() -> bool:
        calls = [k async for k in redis.scan_iter(match="cad:*:call:cd-mqtt")]
        # The refusal is logged after its dead letter is stored and published: wait for both.
        logged = any(r.getMessage() == "message_rejected" for r in caplog.records)
        return bool(calls) and await redis.xlen(DEADLETTER_STREAM) > 0 and logged

    await eventually(both_recorded)
    lines = "\n".join(JsonFormatter().format(r) for r in caplog.records)
    assert "message_rejected" in lines  # the logs were captured
    assert CLI not in lines
    assert TEXT not in lines
    assert "Mrs Example" not in lines
    holding = []
    async for key in redis.scan_iter(match="*"):
        values = await _values(redis, key)
        if CLI in values or "Mrs Example" in values:
            holding.append(key)
            ttl = await redis.ttl(key)
            assert 0 < ttl <= settings.caller_data_retention_s, (key, ttl)
    # Only the two accepted call records hold them; nothing else (audit, idempotency, dead letter).
    assert sorted(k.rsplit(":", 1)[1] for k in holding) == ["cd-http", "cd-mqtt"]
    letter = json.loads((await redis.xrange(DEADLETTER_STREAM))[-1][1]["letter"])
    assert '"cli":"[redacted]"' in letter["payload_excerpt"].replace(" ", "")


@pytest.mark.parametrize(
    ("payload", "kept", "gone"),
    [
        (b'{"call_id":"a","cli":"07700900461","text":"help"}', '"call_id":"a"', "07700900461"),
        (b'{"cli": 7700900461, "grade": "Z"}', '"grade": "Z"', "7700900461"),
        (b'{"text": "unterminated and private', '"text": "[redacted]"', "private"),
        (b'{"text":"with \\"quotes\\" inside","x":1}', '"x":1', "quotes"),
        (b'{"caller_number":"0207","cli":null}', '"cli":"[redacted]"', "0207"),
        (b"not json at all", "not json at all", "cli"),
    ],
)
def test_a_dead_letter_excerpt_masks_caller_data(payload: bytes, kept: str, gone: str) -> None:
    from transport.deadletter import scrub_excerpt

    excerpt = scrub_excerpt(payload)
    assert kept in excerpt
    assert gone not in excerpt
