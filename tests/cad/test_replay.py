"""`cad replay FILE` as a user runs it, against a running service on the session servers."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from redis.asyncio import Redis

from cad.keys import GlobalKeys
from cad.settings import Settings
from tests.cad.test_metrics import samples_of
from tests.helpers import eventually, running_runtime

# Ungraded calls at real London points (Trafalgar Square, Bank, Stratford): they queue, no units.
_POINTS = [(-0.1281, 51.5080), (-0.0886, 51.5133), (-0.0035, 51.5416)]


def _replay(settings: Settings, path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAD_")}
    env.update(CAD_MQTT_URL=settings.mqtt_url, CAD_TOPIC_ROOT=settings.topic_root)
    return subprocess.run(
        [sys.executable, "-m", "cad.cli", "replay", str(path), *args],
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
