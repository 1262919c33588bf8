"""`cad replay FILE` as a user runs it, against a running service on the session servers."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from redis.asyncio import Redis

from cad.keys import AreaKeys, GlobalKeys
from cad.settings import Settings
from tests.cad.test_metrics import samples_of
from tests.helpers import eventually, running_runtime
from transport.deadletter import DEADLETTER_STREAM

# Ungraded calls at real London points (Trafalgar Square, Bank, Stratford): they queue, no units.
_POINTS = [(-0.1281, 51.5080), (-0.0886, 51.5133), (-0.0035, 51.5416)]


def _replay(settings: Settings, path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAD_")}
    env.update(CAD_MQTT_URL=settings.mqtt_url, CAD_TOPIC_ROOT=settings.topic_root)
    return subprocess.run(
        [sys.executable, "-m", "service.cli", "replay", str(path), *args],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip


async def test_a_replayed_log_becomes_incidents_once(
    settings: Settings, redis: Redis, tmp_path: Path
) -> None:
    path = tmp_path / "gateway.jsonl"
    received = datetime.now(UTC).isoformat()
    lines = [
        json.dumps({"call_id": f"replay-{i}", "received_at": received, "source": "999",
                    "location": {"lon": lon, "lat": lat}, "cli": "07700900123"})
        for i, (lon, lat) in enumerate(_POINTS)
    ]  # fmt: skip
    path.write_text("\n".join([*lines, '{"call_id": "broken"}']) + "\n")
    async with running_runtime(settings) as runtime:

        async def recorded() -> bool:
            return int(await redis.hlen(GlobalKeys().incident_area)) == len(_POINTS)

        async def replays_taken() -> bool:
            samples = samples_of(runtime.metrics.render().decode())
            key = ("cad_calls_total", (("channel", "mqtt"), ("outcome", "replayed")))
            return samples.get(key) == len(_POINTS)

        done = await asyncio.to_thread(_replay, settings, path)
        assert done.returncode == 1, done.stderr  # the broken line is refused, and said so
        assert f"published {len(_POINTS)} of {len(_POINTS)} call events" in done.stdout
        assert f"{path}:4: refused: " in done.stderr
        assert "07700900123" not in done.stdout + done.stderr
        await eventually(recorded)
        again = await asyncio.to_thread(_replay, settings, path, "--speed", "100")
        assert f"published {len(_POINTS)} of {len(_POINTS)}" in again.stdout
        # The service takes the repeats in and changes nothing.
        await eventually(replays_taken)
        assert int(await redis.hlen(GlobalKeys().incident_area)) == len(_POINTS)


async def test_replay_names_lines_out_of_bounds_and_restamping_takes_an_old_log(
    settings: Settings, redis: Redis, tmp_path: Path
) -> None:
    def line(call_id: str, received_at: str, lat: object = _POINTS[0][1]) -> str:
        return json.dumps({"call_id": call_id, "received_at": received_at, "source": "999",
                           "location": {"lon": _POINTS[0][0], "lat": lat}})  # fmt: skip

    now = datetime.now(UTC)
    path = tmp_path / "gateway.jsonl"
    path.write_text("\n".join([
        line("now", now.isoformat()),
        line("epoch", "1970-01-01T00:00:00Z"),
        line("year-9999", "9999-12-31T00:00:00Z"),
        line("lat-true", now.isoformat(), lat=True),
    ]) + "\n")  # fmt: skip
    two_days_ago = (now - timedelta(days=2)).isoformat()
    old = tmp_path / "exercise.jsonl"
    old.write_text("\n".join(line(f"old-{i}", two_days_ago) for i in range(2)) + "\n")
    async with running_runtime(settings):
        done = await asyncio.to_thread(_replay, settings, path)
        assert done.returncode == 1, done.stderr
        assert "published 1 of 1 call events" in done.stdout
        assert f"{path}:2: refused: received_at: 1970-01-01T00:00:00+00:00 is " in done.stderr
        assert "behind the service clock (maximum age 86400 s)" in done.stderr
        assert f"{path}:3: refused: received_at: 9999-12-31T00:00:00+00:00 is " in done.stderr
        assert f"{path}:4: refused: location.lat: Input should be a valid number" in done.stderr
        refused_old = await asyncio.to_thread(_replay, settings, old)
        assert "published 0 of 0 call events" in refused_old.stdout
        restamped = await asyncio.to_thread(_replay, settings, old, "--restamp")
        assert restamped.returncode == 0, restamped.stderr
        assert "published 2 of 2 call events" in restamped.stdout

        async def recorded() -> bool:
            # Calls, not incidents: at one spot and one time, they are linked as duplicates.
            return sorted(await redis.keys("*:call:*")) == sorted(
                AreaKeys("CW").call(c) for c in ("now", "old-0", "old-1")
            )

        await eventually(recorded)
    assert await redis.xlen(DEADLETTER_STREAM) == 0
