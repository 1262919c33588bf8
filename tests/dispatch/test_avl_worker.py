"""The AVL worker process against the session's real broker and Redis: fixes published on MQTT
land in Redis, bad ones become dead letters without stopping it, and SIGTERM stops it cleanly."""

from __future__ import annotations

import asyncio
import json
import os
import pickle
import re
import signal
import sys
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil
import pytest
from redis.asyncio import Redis

from cad.keys import AreaKeys
from cad.settings import Settings
from cad.task_health import RestartPolicy, TaskBoard
from cad.topics import Topics
from dispatch.avl_supervisor import AvlWorkers
from dispatch.scripts import DispatchScripts
from dispatch.unit_store import find_unit
from dispatch.units import Unit, register_unit
from service.servers import mosquitto
from tests.conftest import TEST_ACL_ROOT
from tests.helpers import eventually, mqtt_client
from tests.security.certs import make_tls_files
from transport.broker_security import development_credentials
from transport.deadletter import DEADLETTER_STREAM
from transport.mqtt import new_client
from transport.mqtt_client import Client
from transport.mqtt_logins import own_login

KEYS = AreaKeys("CW")
UNIT = Unit(callsign="AV01", area="CW", base_lon=-0.13, base_lat=51.51)
# A second unit whose fix, once stored, shows the worker has dealt with everything sent before.
MARKER = Unit(callsign="AV02", area="CW", base_lon=-0.14, base_lat=51.5)


def fix(lon: float, lat: float, ts: datetime) -> bytes:
    return json.dumps({"lon": lon, "lat": lat, "ts": ts.isoformat()}).encode()


async def start_worker(settings: Settings) -> asyncio.subprocess.Process:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "dispatch.avl_worker", "0", str(os.getpid()),
        stdin=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdin is not None
    proc.stdin.write(pickle.dumps(settings))
    await proc.stdin.drain()
    proc.stdin.close()
    return proc


@pytest.fixture
async def worker(settings: Settings) -> AsyncIterator[asyncio.subprocess.Process]:
    proc = await start_worker(settings)
    yield proc
    if proc.returncode is None:
        proc.kill()
        await proc.wait()


async def land(
    redis: Redis, gateway: Client, topics: Topics, ts: datetime, lon: float,
    unit: Unit = UNIT,
) -> None:  # fmt: skip
    """Publish the fix until it is stored: QoS 0 before the worker has subscribed is lost. Its
    `ts` must not be ahead of the clock: the stored time never is (dispatch/avl.py)."""
    stamp = str(int(ts.timestamp() * 1000))

    async def stored() -> bool:
        if await redis.hget(KEYS.unit_fix, unit.callsign) == stamp:
            return True
        await gateway.publish(topics.avl(unit.callsign), fix(lon, 51.52, ts), qos=0)
        return False

    await eventually(stored, within_s=10)


async def test_fixes_on_mqtt_land_in_redis(
    settings: Settings, redis: Redis, scripts: DispatchScripts,
    worker: asyncio.subprocess.Process,
) -> None:  # fmt: skip
    await register_unit(redis, scripts, UNIT, now_ms=1, actor="test")
    topics = Topics(settings.topic_root)
    async with mqtt_client(settings, "avl-gw") as gateway:
        await land(redis, gateway, topics, datetime.now(UTC), lon=-0.12)
    (position,) = await redis.geopos(KEYS.positions, UNIT.callsign)
    (available,) = await redis.geopos(KEYS.available, UNIT.callsign)
    assert position is not None
    assert available is not None
    assert round(position[0], 4) == round(available[0], 4) == -0.12


async def test_a_malformed_fix_is_dead_lettered_and_the_worker_goes_on(
    settings: Settings, redis: Redis, scripts: DispatchScripts,
    worker: asyncio.subprocess.Process,
) -> None:  # fmt: skip
    await register_unit(redis, scripts, UNIT, now_ms=1, actor="test")
    topics = Topics(settings.topic_root)
    now = datetime.now(UTC) - timedelta(seconds=1)
    async with mqtt_client(settings, "avl-gw") as gateway:
        await land(redis, gateway, topics, now, lon=-0.12)
        await gateway.publish(topics.avl(UNIT.callsign), b'{"lon": "west"', qos=0)
        await gateway.publish(topics.avl("NOBODY"), fix(-0.1, 51.5, now), qos=0)
        await gateway.publish(topics.avl(UNIT.callsign), fix(-0.1, 91.0, now), qos=0)
        await land(redis, gateway, topics, now + timedelta(seconds=1), lon=-0.11)
        await eventually(lambda: _letters(redis, 3))
    reasons = [json.loads(f["letter"])["reason"] for _, f in await redis.xrange(DEADLETTER_STREAM)]
    assert any(r.startswith("payload: not valid JSON") for r in reasons)
    assert "callsign: unknown unit" in reasons
    assert any(r.startswith("lat") for r in reasons)
    assert worker.returncode is None


def _fix_doc(**changes: object) -> bytes:
    document: dict[str, object] = {
        "lon": -0.05, "lat": 51.52, "ts": datetime.now(UTC).isoformat(), "speed_mps": 5,
        "heading": 90,
    }  # fmt: skip
    return json.dumps({**document, **changes}).encode()


def _ts(offset: timedelta) -> str:
    return (datetime.now(UTC) + offset).isoformat()


async def test_fixes_of_wrong_types_or_out_of_the_clock_bounds_are_dead_letters_naming_the_field(
    settings: Settings, redis: Redis, scripts: DispatchScripts,
    worker: asyncio.subprocess.Process,
) -> None:  # fmt: skip
    for unit in (UNIT, MARKER):
        await register_unit(redis, scripts, unit, now_ms=1, actor="test")
    topics = Topics(settings.topic_root)
    bad = [
        ("lat", _fix_doc(lat=True)),
        ("lat", _fix_doc(lat="51.52")),
        ("lon", _fix_doc(lon=None)),
        ("lon", _fix_doc(lon=False)),
        ("heading", _fix_doc(heading=False)),
        ("speed_mps", _fix_doc(speed_mps="5")),
        ("ts", _fix_doc(ts=int(time.time()))),
        ("ts", _fix_doc(ts=None)),
        ("ts", _fix_doc(ts="9999-12-31T00:00:00Z")),
        ("ts", _fix_doc(ts=_ts(timedelta(hours=2)))),
        ("ts", _fix_doc(ts="1970-01-01T00:00:00Z")),
        ("ts", _fix_doc(ts=_ts(timedelta(minutes=-6)))),
    ]
    first = datetime.now(UTC) - timedelta(seconds=2)
    async with mqtt_client(settings, "avl-gw") as gateway:
        await land(redis, gateway, topics, first, lon=-0.12)
        for _, payload in bad:
            await gateway.publish(topics.avl(UNIT.callsign), payload, qos=0)
        await land(redis, gateway, topics, datetime.now(UTC), lon=-0.11, unit=MARKER)
    letters = [json.loads(f["letter"]) for _, f in await redis.xrange(DEADLETTER_STREAM)]
    assert [letter["reason"].split(":")[0] for letter in letters] == [f for f, _ in bad]
    reasons = [letter["reason"] for letter in letters]
    assert "ahead of the service clock (allowed skew 60 s)" in reasons[8]
    assert re.search(r" is 7[12]\d\d s ahead of the service clock", reasons[9])  # two hours
    assert "behind the service clock (maximum age 300 s)" in reasons[10]
    assert "behind the service clock (maximum age 300 s)" in reasons[11]
    # Not one of them moved the unit or its time.
    (position,) = await redis.geopos(KEYS.positions, UNIT.callsign)
    assert round(position[0], 4) == -0.12
    assert await redis.hget(KEYS.unit_fix, UNIT.callsign) == str(int(first.timestamp() * 1000))


async def test_a_fix_dated_ahead_does_not_make_a_stale_unit_look_fresh(
    settings: Settings, redis: Redis, scripts: DispatchScripts,
    worker: asyncio.subprocess.Process,
) -> None:  # fmt: skip
    for unit in (UNIT, MARKER):
        await register_unit(redis, scripts, unit, now_ms=1, actor="test")
    topics = Topics(settings.topic_root)
    stale_at = datetime.now(UTC) - timedelta(seconds=settings.stale_fix_s + 60)
    async with mqtt_client(settings, "avl-gw") as gateway:
        await land(redis, gateway, topics, stale_at, lon=-0.12)
        assert await _stale(redis, settings)
        # Two hours ahead: refused outright; the unit stays as stale as it was.
        await gateway.publish(
            topics.avl(UNIT.callsign), _fix_doc(ts=_ts(timedelta(hours=2))), qos=0
        )
        await land(redis, gateway, topics, datetime.now(UTC), lon=-0.11, unit=MARKER)
        assert await _stale(redis, settings)
        # Half a minute ahead, within the skew: taken, but fresh only from when it arrived.
        sent_ms = int(time.time() * 1000)
        ahead = _fix_doc(ts=_ts(timedelta(seconds=30)))
        await gateway.publish(topics.avl(UNIT.callsign), ahead, qos=0)
        await eventually(lambda: _moved(redis, sent_ms))
    stored_ms = int(await redis.hget(KEYS.unit_fix, UNIT.callsign))
    assert sent_ms <= stored_ms <= int(time.time() * 1000)


async def _stale(redis: Redis, settings: Settings) -> bool:
    cutoff = int((time.time() - settings.stale_fix_s) * 1000)
    view = await find_unit(redis, UNIT.callsign, stale_before_ms=cutoff)
    assert view is not None
    return view.stale


async def _moved(redis: Redis, since_ms: int) -> bool:
    return int(await redis.hget(KEYS.unit_fix, UNIT.callsign)) >= since_ms


async def test_sigterm_stops_the_worker_cleanly(
    settings: Settings, redis: Redis, scripts: DispatchScripts,
    worker: asyncio.subprocess.Process,
) -> None:  # fmt: skip
    await register_unit(redis, scripts, UNIT, now_ms=1, actor="test")
    async with mqtt_client(settings, "avl-gw") as gateway:
        await land(redis, gateway, Topics(settings.topic_root), datetime.now(UTC), lon=-0.12)
    worker.send_signal(signal.SIGTERM)
    async with asyncio.timeout(5):
        assert await worker.wait() == 0
    assert worker.stderr is not None
    events = [json.loads(line)["event"] for line in (await worker.stderr.read()).splitlines()]
    assert events[-1] == "avl_worker_stopped"


async def test_the_service_restarts_a_worker_that_dies(
    settings: Settings, redis: Redis, scripts: DispatchScripts
) -> None:
    await register_unit(redis, scripts, UNIT, now_ms=1, actor="test")
    workers = AvlWorkers(settings.model_copy(update={"avl_workers": 1}), TaskBoard(RestartPolicy()))
    running = asyncio.create_task(workers.run())
    topics = Topics(settings.topic_root)
    try:
        async with mqtt_client(settings, "avl-gw") as gateway:
            await land(redis, gateway, topics, datetime.now(UTC) - timedelta(seconds=1), lon=-0.12)
            (first,) = workers.pids
            os.kill(first, signal.SIGKILL)
            await eventually(lambda: _restarted(workers, first), within_s=10)
            await land(redis, gateway, topics, datetime.now(UTC), lon=-0.11)
    finally:
        await workers.stop(running)
    assert workers.running == 0


@pytest.mark.parametrize("lives_s", [0.5, 0.0], ids=["after-starting", "while-starting"])
async def test_a_worker_whose_parent_dies_exits(settings: Settings, lives_s: float) -> None:
    # A stand-in parent starts the worker, says its pid, then dies without a word to it: after
    # the worker is up, or before its interpreter has even started (it is adopted before it
    # could ask who its parent is).
    parent = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _ORPHANING_PARENT, str(lives_s), stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, _ = await parent.communicate(pickle.dumps(settings))
    worker = psutil.Process(int(out))
    await eventually(lambda: _gone(worker), within_s=5)


_ORPHANING_PARENT = """
import os, subprocess, sys, time
worker = subprocess.Popen(
    [sys.executable, "-m", "dispatch.avl_worker", "0", str(os.getpid())], stdin=subprocess.PIPE,
    stderr=subprocess.DEVNULL,
)
worker.stdin.write(sys.stdin.buffer.read())
worker.stdin.close()
time.sleep(float(sys.argv[1]))
print(worker.pid)
"""


async def _gone(process: psutil.Process) -> bool:
    try:
        return process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


async def test_the_worker_reaches_a_broker_over_tls(
    settings: Settings, redis: Redis, scripts: DispatchScripts, tmp_path: Path
) -> None:
    await register_unit(redis, scripts, UNIT, now_ms=1, actor="test")
    tls = make_tls_files(tmp_path)
    (tmp_path / "mosquitto").mkdir()
    broker = mosquitto(
        tmp_path / "mosquitto", credentials=development_credentials("tls"), tls=tls,
        acl_root=TEST_ACL_ROOT,
    )  # fmt: skip
    broker.start()
    try:
        over_tls = settings.model_copy(update={"mqtt_url": broker.url, "mqtt_tls_ca_file": tls.ca})
        proc = await start_worker(over_tls)
        try:
            async with new_client(
                over_tls, own_login(over_tls.mqtt_url, "avl-tls-gw"), persistent=False
            ) as gateway:
                await land(redis, gateway, Topics(settings.topic_root), datetime.now(UTC), -0.12)
        finally:
            proc.kill()
            await proc.wait()
    finally:
        broker.stop()


async def test_the_service_stops_a_worker_that_is_still_starting(settings: Settings) -> None:
    workers = AvlWorkers(settings.model_copy(update={"avl_workers": 2}), TaskBoard(RestartPolicy()))
    running = asyncio.create_task(workers.run())
    await asyncio.sleep(0)  # the workers are being spawned, not yet running
    async with asyncio.timeout(10):
        await workers.stop(running)
    assert workers.running == 0


async def _restarted(workers: AvlWorkers, old: int) -> bool:
    return workers.running == 1 and workers.pids != [old]


async def _letters(redis: Redis, n: int) -> bool:
    return int(await redis.xlen(DEADLETTER_STREAM)) >= n
