"""Schemathesis fuzzes the HTTP API from its own OpenAPI document with every check it has: no
input may cause a 5xx, and every answer must be one the document lists, in the shape it shows."""

from __future__ import annotations

import asyncio
import functools
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cad.settings import Settings
from service.servers import free_port
from tests.helpers import bearer, eventually, ready

# The event stream never ends by itself: schemathesis reads one event of it, or two seconds.
_CONFIG = """\
[[operations]]
include-path = "/v1/events"
request-timeout = 2
max-stream-events = 1
"""


@pytest.fixture
def served(settings: Settings, database_url: str) -> Iterator[str]:
    """`cad serve` on a free port against the session servers (the history store too)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAD_")}
    env.update(
        CAD_REDIS_URL=settings.redis_url, CAD_MQTT_URL=settings.mqtt_url,
        CAD_TOPIC_ROOT=settings.topic_root, CAD_HTTP_PORT=str(port), CAD_LOG_LEVEL="WARNING",
        CAD_AVL_WORKERS="0",
        CAD_ENVIRONMENT="development", CAD_AUTH_DEV_SECRET=settings.auth_dev_secret or "",
        CAD_RATE_LIMIT_PER_S="100000", CAD_RATE_LIMIT_BURST="100000",
        CAD_DATABASE_URL=database_url,
    )  # fmt: skip
    command = [sys.executable, "-m", "service.cli", "serve"]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.mark.slow
@pytest.mark.timeout(180)
async def test_every_operation_answers_only_what_its_document_says(
    served: str, settings: Settings, tmp_path: Path, repo_root: Path
) -> None:
    await eventually(functools.partial(ready, served), within_s=30)
    async with httpx.AsyncClient() as http:
        document = (await http.get(f"{served}/openapi.json")).json()
    operations = sum(len(methods) for methods in document["paths"].values())
    st = shutil.which("schemathesis", path=os.path.dirname(sys.executable))
    assert st is not None
    config = tmp_path / "schemathesis.toml"
    config.write_text(_CONFIG)
    command = [
        st, "--config-file", str(config), "run", f"{served}/openapi.json",
        # Every check (5xx, undocumented status or content type, response schema, negative data
        # accepted, valid data refused, Allow on 405, auth ignored...), on valid and invalid data.
        "--checks", "all", "--mode", "all", "--phases", "examples,coverage,fuzzing",
        # One worker: hypothesis describing its strategies from two threads at once trips a
        # CPython 3.11 parser error (a "Runtime Error" of schemathesis, not of the service).
        "--max-examples", "30", "--workers", "1", "--no-color",
        # Every role: the fuzzer reaches past authentication into every endpoint's own checks.
        "--header", f"Authorization: Bearer {bearer(settings)}",
    ]  # fmt: skip
    # A call's time must lie within the service's bounds, which its schema cannot say.
    hooks = {"SCHEMATHESIS_HOOKS": "tests.reliability.fuzz_hooks", "PYTHONPATH": str(repo_root)}
    done = await asyncio.to_thread(
        subprocess.run, command, capture_output=True, text=True, timeout=170, check=False,
        env=os.environ | hooks,
    )  # fmt: skip
    report = done.stdout[-6000:] + done.stderr[-2000:]
    assert done.returncode == 0, report
    assert f"Selected: {operations}/{operations}" in done.stdout, report
    assert f"Tested: {operations}" in done.stdout, report  # it really ran every operation
