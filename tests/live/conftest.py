"""A real uvicorn server for the app on a free loopback port, and headless Chromium from Debian."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from playwright.async_api import Browser, async_playwright
from redis.asyncio import Redis

from cad.settings import Settings
from service.server import server_for
from service.servers import free_port
from tests.helpers import serving

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
_START_WITHIN_S = 15.0


@pytest.fixture
async def live_url(settings: Settings, redis: Redis) -> AsyncIterator[str]:
    """The base URL of the whole service (API, MQTT consumers, map) serving this test."""
    served = settings.model_copy(update={"http_port": free_port()})
    server = server_for(served)
    serving = asyncio.create_task(server.serve())
    deadline = time.monotonic() + _START_WITHIN_S
    while not (server.started and server.config.loaded_app is not None and _linked(server)):
        if serving.done():
            serving.result()
        assert time.monotonic() < deadline, "the service did not start"
        await asyncio.sleep(0.05)
    yield f"http://{served.http_host}:{served.http_port}"
    server.should_exit = True
    async with asyncio.timeout(20):
        await serving


def _linked(server: uvicorn.Server) -> bool:
    app = server.config.app
    assert isinstance(app, FastAPI)
    runtime = getattr(app.state, "runtime", None)
    return runtime is not None and serving(runtime)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """Debian's headless Chromium under playwright (never a downloaded browser)."""
    assert os.access(CHROMIUM, os.X_OK), "install Debian's chromium: apt-get install -y chromium"
    async with async_playwright() as pw:
        launched = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


@pytest.fixture(scope="session")
def artifacts(repo_root: Path) -> Path:
    """Where screenshots and measurements are kept for people to look at (gitignored)."""
    folder = repo_root / "test-artifacts"
    folder.mkdir(exist_ok=True)
    return folder
