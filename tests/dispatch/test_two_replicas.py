"""Two `cad serve` processes claiming from one Redis: one holds the call intake, both serve the
pending queue (its sweep, and units freed by the reports) at the same moments."""

from __future__ import annotations

import asyncio
import functools
import json
import os
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from redis.asyncio import Redis

from cad.events import StatusReport, UnitStatus
from cad.keys import AreaKeys, GlobalKeys
from cad.settings import Settings
from cad.topics import Topics
from dispatch.scripts import DispatchScripts
from dispatch.units import Unit, register_unit
from service.servers import free_port
from tests.helpers import eventually, mqtt_client, ready
from transport.broker_security import SERVICE_USER, url_with_login

UNITS = 40
CALLS = 120
AREA = "CE"  # Hackney and Tower Hamlets
KEYS = AreaKeys(AREA)


@pytest.fixture
def replicas(settings: Settings) -> Iterator[list[str]]:
    """Two service processes with their own logins (so client ids) and HTTP ports."""
    procs, urls = [], []
    for login in (SERVICE_USER, f"{SERVICE_USER}-2"):
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("CAD_")}
        env.update(
            CAD_REDIS_URL=settings.redis_url, CAD_MQTT_URL=url_with_login(settings.mqtt_url, login),
            CAD_TOPIC_ROOT=settings.topic_root, CAD_HTTP_PORT=str(port),
            # Every call here is its own incident: only an exact repeat would count as one.
            CAD_AUTO_LINK_SCORE="1.0", CAD_LOG_LEVEL="WARNING",
        )  # fmt: skip
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "service.cli", "serve"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        urls.append(f"http://127.0.0.1:{port}")
    try:
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=20)


def _call(n: int) -> bytes:
    return json.dumps({
        "call_id": f"storm-{n}", "received_at": datetime.now(UTC).isoformat(), "source": "999",
        "location": {"lon": -0.06 + (n % 12) * 0.002, "lat": 51.53 + (n // 12) * 0.0015},
        "incident_type": "concern_for_welfare" if n % 3 else "missing_person_high_risk",
        "grade": "S" if n % 3 else "I",
    }).encode()  # fmt: skip


@pytest.mark.slow
async def test_no_unit_is_ever_sent_to_two_incidents_and_no_i_waits_beside_a_free_unit(
    settings: Settings, redis: Redis, scripts: DispatchScripts, replicas: list[str]
) -> None:
    for i in range(UNITS):
        await register_unit(
            redis, scripts,
            Unit(callsign=f"CE{i:02d}", area=AREA, base_lon=-0.06 + (i % 8) * 0.003,
                 base_lat=51.54 - (i // 8) * 0.003),
            now_ms=1, actor="test",
        )  # fmt: skip
    for url in replicas:
        await eventually(functools.partial(ready, url), within_s=30)
    topics = Topics(settings.topic_root)
    async with mqtt_client(settings, "storm") as gateway, mqtt_client(settings, "fleet") as fleet:
        await fleet.subscribe(f"{topics.root}/units/+/tasking", qos=1)
        await asyncio.gather(
            *(gateway.publish(topics.calls_in, _call(n), qos=1) for n in range(CALLS))
        )
        await eventually(lambda: _incidents_settled(redis, CALLS), within_s=30)
        # Every unit works its job through and clears, three rounds, so both replicas serve the
        # pending queue concurrently from units freed at the same moment.
        for _ in range(3):
            committed = await redis.hgetall(KEYS.unit_incident)
            await asyncio.gather(*(_work_job(fleet, topics, c) for c in committed))
            await asyncio.sleep(0.5)
        await eventually(lambda: _quiet(redis), within_s=30)
    await _assert_no_double_assignment(redis)
    await _assert_no_i_waits_beside_a_free_unit(redis)


async def _work_job(fleet: object, topics: Topics, callsign: str) -> None:
    for status in (UnitStatus.ON_SCENE, UnitStatus.AVAILABLE):
        report = StatusReport(status=status, ts=datetime.now(UTC))
        await fleet.publish(topics.status(callsign), report.model_dump_json(), qos=1)  # type: ignore[attr-defined]


async def _incidents_settled(redis: Redis, calls: int) -> bool:
    made = await redis.hlen(GlobalKeys().incident_area)
    busy = await redis.hlen(KEYS.unit_incident)
    pending = await redis.zcard(KEYS.pending)
    return bool(made == calls and (busy + pending == calls or busy == UNITS))


async def _quiet(redis: Redis) -> bool:
    before = await redis.xlen(KEYS.audit)
    await asyncio.sleep(0.5)
    return bool(await redis.xlen(KEYS.audit) == before)


async def _assert_no_double_assignment(redis: Redis) -> None:
    """Replay the audit stream: a unit is assigned again only after it cleared or was pre-empted,
    and an incident of a one-unit plan never holds two units at once."""
    holding: dict[str, str] = {}
    on_incident: dict[str, set[str]] = defaultdict(set)
    assignments = preemptions = 0
    for _, entry in await redis.xrange(KEYS.audit):
        callsign, kind = entry.get("callsign", ""), entry["type"]
        if kind == "unit_assigned":
            ref = entry["ref"]
            assert callsign not in holding, f"{callsign} to {ref} while on {holding[callsign]}"
            holding[callsign] = ref
            on_incident[ref].add(callsign)
            assert len(on_incident[ref]) == 1, (ref, on_incident[ref])
            assignments += 1
        elif kind == "unit_preempted" or (kind == "unit_status" and entry["status"] == "available"):
            ref = holding.pop(callsign, "")
            on_incident[ref].discard(callsign)
            preemptions += kind == "unit_preempted"
    assert assignments > UNITS  # the storm really did reuse units
    assert preemptions > 0  # and Immediate calls really did take units from Significant ones


async def _assert_no_i_waits_beside_a_free_unit(redis: Redis) -> None:
    pending = await redis.zrange(KEYS.pending, 0, -1)
    grades = [await redis.hget(KEYS.incident(ref), "grade") for ref in pending]
    free = await redis.zcard(KEYS.available)
    assert not (free and ("I" in grades or "S" in grades)), (free, grades)
