"""The app against the session servers, with an HTTP client that holds no token of its own."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis

from cad.settings import Settings
from callhandling.app import create_app
from tests.helpers import eventually


@pytest.fixture
async def app(settings: Settings, redis: Redis) -> AsyncIterator[FastAPI]:
    """The whole app, its lifespan running, its MQTT link up."""
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        runtime = application.state.runtime

        async def linked() -> bool:
            return bool(runtime.link.connected)

        await eventually(linked)
        yield application


@pytest.fixture
async def anon(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client sending no Authorization header unless a test gives one."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://cad.test") as http:
        yield http
