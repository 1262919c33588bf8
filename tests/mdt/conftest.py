"""MDT tests: units with their own broker logins, and a service with a short ack timeout."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import pytest

from cad.settings import Settings
from service.servers import EmbeddedServer
from tests.helpers import mqtt_client
from transport.broker_security import add_users, development_credentials
from transport.mqtt_client import MqttError

Grant = Callable[..., Awaitable[dict[str, tuple[str, str]]]]


@pytest.fixture
def fast_acks(settings: Settings) -> Settings:
    """The test's settings with a one-second ack timeout, checked five times a second."""
    return settings.model_copy(update={"ack_timeout_s": 1.0, "ack_check_interval_s": 0.2})


@pytest.fixture
def grant(broker_proc: EmbeddedServer, settings: Settings) -> Grant:
    """Give units broker logins (username = callsign) and wait until the broker takes them."""
    credentials = development_credentials(settings.mdt_credential_secret)

    async def _grant(*callsigns: str) -> dict[str, tuple[str, str]]:
        users = credentials.unit_users(callsigns)
        await asyncio.to_thread(add_users, broker_proc.workdir / "passwd", users)
        broker_proc.reload()
        logins = {c: (c, p) for c, p in users.items()}
        await _wait_for_login(settings, logins[callsigns[-1]])
        return logins

    return _grant


async def _wait_for_login(settings: Settings, login: tuple[str, str]) -> None:
    deadline = time.monotonic() + 5.0
    while True:
        try:
            async with mqtt_client(settings, f"probe-{login[0]}", login=login):
                return
        except MqttError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.05)
