"""Schemathesis fuzzes the HTTP API from its own OpenAPI document: no input may cause a 5xx."""

from __future__ import annotations

import asyncio
import functools
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from cad.servers import free_port
from cad.settings import Settings
from tests.helpers import bearer, eventually


@pytest.fixture
def served(settings: Settings) -> Iterator[str]:
    """`cad serve` on a free port against the session servers."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAD_")}
    env.update(
        CAD_REDIS_URL=settings.redis_url, CAD_MQTT_URL=settings.mqtt_url,
        CAD_TOPIC_ROOT=settings.topic_root, CAD_MQTT_CLIENT_ID=settings.mqtt_client_id,
        CAD_HTTP_PORT=str(port), CAD_LOG_LEVEL="WARNING",
        CAD_ENVIRONMENT="development", CAD_AUTH_DEV_SECRET=settings.auth_dev_secret or "",
        CAD_RATE_LIMIT_PER_S="100000", CAD_RATE_LIMIT_BURST="100000",
    )  # fmt: skip
    command = [sys.executable, "-m", "cad.cli", "serve"]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


async def _ready(url: str) -> bool:
    try:
        async with httpx.AsyncClient() as http:
            return (await http.get(f"{url}/readyz", timeout=1)).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.mark.slow
@pytest.mark.timeout(300)
async def test_no_generated_request_causes_a_server_error(served: str, settings: Settings) -> None:
    await eventually(functools.partial(_ready, served), within_s=30)
    st = shutil.which("schemathesis", path=os.path.dirname(sys.executable))
    assert st is not None
    command = [
        st, "run", f"{served}/openapi.json", "--checks", "not_a_server_error",
        "--phases", "examples,fuzzing", "--max-examples", "10", "--workers", "2", "--no-color",
        # Every role: the fuzzer reaches past authentication into every endpoint's own checks.
        "--header", f"Authorization: Bearer {bearer(settings)}",
    ]  # fmt: skip
    done = await asyncio.to_thread(
        subprocess.run, command, capture_output=True, text=True, timeout=280, check=False
    )
    report = done.stdout[-4000:] + done.stderr[-2000:]
    assert done.returncode == 0, report
    assert "generated" in done.stdout  # it really ran cases
    assert "Server error" not in done.stdout
