"""The ASGI app with its lifespan against the session servers, and an HTTP client for it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis

from cad.settings import Settings
from callhandling.app import create_app
from tests.helpers import auth_headers, eventually


@pytest.fixture
async def app(settings: Settings, redis: Redis) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        runtime = application.state.runtime

        async def linked() -> bool:
            return bool(runtime.link.connected)

        await eventually(linked)
        yield application


@pytest.fixture
async def client(app: FastAPI, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for the app, holding a token with every role."""
    transport = httpx.ASGITransport(app=app)
    headers = auth_headers(settings)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://cad.test", headers=headers
    ) as http:
        yield http
