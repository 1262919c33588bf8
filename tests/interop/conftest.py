"""An HTTP client for the app (tests/conftest.py), holding a token with every role."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from cad.settings import Settings
from tests.helpers import asgi_client, auth_headers


@pytest.fixture
async def client(app: FastAPI, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for the app, holding a token with every role."""
    async with asgi_client(app, auth_headers(settings, subject="PC1234")) as http:
        yield http
