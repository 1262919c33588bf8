"""An HTTP client for the app (tests/conftest.py): a dispatcher's token."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from cad.settings import Settings
from cad.tokens import Role
from tests.helpers import asgi_client, auth_headers


@pytest.fixture
async def client(app: FastAPI, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for the app, as a dispatcher who may also record calls and units."""
    roles = (Role.DISPATCHER, Role.CALL_HANDLER, Role.SUPERVISOR)
    async with asgi_client(app, auth_headers(settings, *roles, subject="PC1234")) as http:
        yield http
