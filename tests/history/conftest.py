"""The history store's fixtures: settings with a fresh database, the app with its archiver, a
store of the test's database."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis

from cad.settings import Settings
from history.store import HistoryStore
from tests.helpers import asgi_client, auth_headers, running_app


@pytest.fixture
def history_settings(settings: Settings, database_url: str) -> Settings:
    """The test's settings with its own database; the archiver keeps nothing back, and the app
    does not run it (a round of its own at start could take, and lock, the rows a test's round
    is about): the tests run its rounds themselves."""
    return settings.model_copy(
        update={
            "database_url": database_url,
            "archive_in_service": False,
            "archive_interval_s": 3600.0,
            "archive_keep_audit_s": 0.0,
            "archive_incident_grace_s": 0.0,
        }
    )


@pytest.fixture
async def history_app(history_settings: Settings, redis: Redis) -> AsyncIterator[FastAPI]:
    """The whole app with the history store configured."""
    async with running_app(history_settings) as application:
        yield application


@pytest.fixture
async def history_client(
    history_app: FastAPI, history_settings: Settings
) -> AsyncIterator[httpx.AsyncClient]:
    """A client with every role."""
    async with asgi_client(history_app, auth_headers(history_settings)) as http:
        yield http


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[HistoryStore]:
    """A store of the test's database, apart from any app's."""
    history = HistoryStore(database_url, timeout_s=3.0)
    await history.open()
    yield history
    await history.close()
