"""The README's locust command, headless for a few seconds against a real `cad serve` on the
session servers: every user connects, its requests reach locust's CSV, and none fail."""

from __future__ import annotations

import asyncio
import csv
import os
import sys
import time
from pathlib import Path

import httpx
from redis.asyncio import Redis

from cad.settings import Settings
from dispatch.scripts import DispatchScripts
from dispatch.units import register_unit
from service.demo.fleet import build_fleet
from service.servers import LOOPBACK, free_port
from tests.helpers import eventually, harness_url


def _env(settings: Settings, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAD_")}
    env.update(
        CAD_REDIS_URL=settings.redis_url, CAD_MQTT_URL=settings.mqtt_url,
        CAD_TOPIC_ROOT=settings.topic_root, CAD_ENVIRONMENT="development",
        CAD_AUTH_DEV_SECRET=str(settings.auth_dev_secret),
    )  # fmt: skip
    return env | extra


def _stats(path: Path) -> dict[tuple[str, str], dict[str, str]]:
    with path.open() as stats:
        return {(r["Type"], r["Name"]): r for r in csv.DictReader(stats)}


async def test_every_locust_user_runs_headless_and_reports_to_the_csv(
    settings: Settings, redis: Redis, scripts: DispatchScripts, tmp_path: Path
) -> None:
    now_ms = int(time.time() * 1000)
    for unit in build_fleet(2, seed=7):  # two units in each of the 12 BCUs
        await register_unit(redis, scripts, unit, now_ms=now_ms, actor="test")
    port = free_port()
    api = f"http://{LOOPBACK}:{port}"
    service = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "service.cli", "serve",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        env=_env(settings, CAD_HTTP_PORT=str(port), CAD_RATE_LIMIT_PER_S="100000",
                 CAD_RATE_LIMIT_BURST="100000"),
    )  # fmt: skip
    try:

        async def ready() -> bool:
            try:
                async with httpx.AsyncClient(timeout=2) as http:
                    return (await http.get(f"{api}/readyz")).status_code == 200
            except httpx.TransportError:
                return False

        await eventually(ready, within_s=30)
        prefix = tmp_path / "locust"
        locust = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "locust", "-f", "loadtests/locustfile.py", "--headless",
            "-u", "4", "-r", "4", "-t", "8s", "--host", api, "--csv", str(prefix),
            "--only-summary", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            # Locust's connections log in as the load generators' logins, one each.
            env=_env(settings, CAD_HTTP_URL=api, CAD_MQTT_URL=harness_url(settings)),
        )  # fmt: skip
        async with asyncio.timeout(90):
            output, _ = await locust.communicate()
    finally:
        service.terminate()
        async with asyncio.timeout(30):
            await service.wait()
    assert locust.returncode == 0, output.decode()[-3000:]
    rows = _stats(Path(f"{prefix}_stats.csv"))
    # Call-to-tasking is timed end to end: publish on calls/in to the tasking at the MDT.
    for key in (("MQTT", "calls/in"), ("MQTT", "call -> tasking"), ("MQTT", "avl"),
                ("POST", "/v1/calls")):  # fmt: skip
        assert key in rows, sorted(rows)
        assert int(rows[key]["Request Count"]) > 0, key
    assert int(rows[("", "Aggregated")]["Failure Count"]) == 0
