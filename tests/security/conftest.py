"""The app against the session servers, with an HTTP client that holds no token of its own."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from tests.helpers import asgi_client


@pytest.fixture
async def anon(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client sending no Authorization header unless a test gives one."""
    async with asgi_client(app) as http:
        yield http
