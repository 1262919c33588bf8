"""Shared test helpers: a running runtime or app, clients (HTTP, MQTT), tokens, and waiting."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
from fastapi import FastAPI

from cad.settings import Settings
from cad.tokens import Role, dev_token_for
from service.app import create_app
from service.runtime import Runtime
from transport.broker_security import (
    GENERATOR_USER,
    development_credentials,
    numbered_login,
    url_with_login,
)
from transport.mqtt import NO_DELAY, BrokerAddress
from transport.mqtt_client import Client, Message, ProtocolVersion


async def eventually(check: Callable[[], Awaitable[bool]], within_s: float = 5.0) -> None:
    """Wait until `check()` is true, failing the test after `within_s` seconds."""
    deadline = time.monotonic() + within_s
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {within_s}s")
        await asyncio.sleep(0.02)


@contextlib.asynccontextmanager
async def running_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """A started service runtime whose MQTT link is up."""
    runtime = Runtime(settings)
    await runtime.start()
    try:
        await eventually(lambda: holds(serving(runtime)))
        yield runtime
    finally:
        await runtime.stop()


def serving(runtime: Runtime) -> bool:
    """Whether the runtime publishes and takes in calls: its link is up and it holds the intake
    (a test's calls published before the intake subscribed would find no subscriber)."""
    return runtime.link.connected and runtime.intake_session.holding


# Every role: by default the tests may call every endpoint.
ALL_ROLES = tuple(Role)


def bearer(settings: Settings, *roles: Role, subject: str = "PC0001", ttl_s: int = 3600) -> str:
    """A development token for the test's settings (every role unless told)."""
    return dev_token_for(settings, subject=subject, roles=roles or ALL_ROLES, ttl_s=ttl_s)


def auth_headers(settings: Settings, *roles: Role, subject: str = "PC0001") -> dict[str, str]:
    """The Authorization header of a development token (every role unless told)."""
    return {"Authorization": f"Bearer {bearer(settings, *roles, subject=subject)}"}


@contextlib.asynccontextmanager
async def running_app(settings: Settings, *, intake: bool = True) -> AsyncIterator[FastAPI]:
    """The whole app, its lifespan running and its MQTT link up; with `intake`, holding the call
    intake too (which a Redis it cannot write to, a replica or one loading, never lets it)."""
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        runtime: Runtime = application.state.runtime
        if intake:
            await eventually(lambda: holds(serving(runtime)))
        else:
            await eventually(lambda: holds(runtime.link.connected))
        yield application


@contextlib.asynccontextmanager
async def asgi_client(
    app: FastAPI, headers: dict[str, str] | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client calling the app in process, sending `headers` with every request."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://cad.test", headers=headers
    ) as http:
        yield http


async def readiness(base_url: str) -> dict[str, object] | None:
    """A running service's `/readyz` answer when it is ready, else None (not ready, not up)."""
    try:
        async with httpx.AsyncClient() as http:
            answer = await http.get(f"{base_url}/readyz", timeout=2)
    except httpx.HTTPError:
        return None
    body: dict[str, object] = answer.json()
    return body if answer.status_code == 200 else None


async def ready(base_url: str) -> bool:
    """Whether a running service at `base_url` says it is ready."""
    return await readiness(base_url) is not None


async def holds(value: bool) -> bool:
    """A truth already known, as the awaitable `eventually` checks: `lambda: holds(x == y)`."""
    return value


# Harness connections log in as load-generator logins, each its own (the broker binds a client
# id to its login): the test broker knows EMBEDDED_LOGINS' 64 of them.
_HARNESS = itertools.count()
_HARNESS_LOGINS = 64
# The family's development password: it does not derive from the units' secret.
_HARNESS_PASSWORD = development_credentials(unit_secret="").generator_password


def harness_login() -> tuple[str, str]:
    """A login of its own for one harness connection, which may speak for any unit or gateway
    and listen to anything under the tests' roots."""
    username = numbered_login(GENERATOR_USER, next(_HARNESS) % _HARNESS_LOGINS)
    return username, _HARNESS_PASSWORD


def harness_connection_url(settings: Settings) -> str:
    """The test broker's URL with a harness login of its own, for one paho connection."""
    return url_with_login(settings.mqtt_url, *harness_login())


def harness_url(settings: Settings) -> str:
    """The test broker's URL logged in as the harness logins' family (`cad-loadtest`)."""
    return url_with_login(settings.mqtt_url, GENERATOR_USER, _HARNESS_PASSWORD)


def mqtt_client(
    settings: Settings,
    identifier: str,
    *,
    login: tuple[str, str] | None = None,
    manual_ack: bool = False,
) -> Client:
    """A plain MQTT v5 client on the test broker (a gateway, an MDT, an observer); it logs in as
    a harness login of its own unless given another `login` (a unit's callsign and password).
    `identifier` is its client id only on a broker without logins; with `manual_ack` it
    acknowledges QoS 1 messages only when told (`Client.ack`)."""
    address = BrokerAddress.from_url(settings.mqtt_url)
    username, password = login or harness_login()
    return Client(
        address.host, address.port, identifier=username if address.username else identifier,
        username=username, password=password, protocol=ProtocolVersion.V5, timeout=5,
        socket_options=NO_DELAY, manual_ack=manual_ack,
    )  # fmt: skip


async def next_message(client: Client, within_s: float = 5.0) -> Message:
    """The next message the client receives, or a test failure after `within_s`."""
    async with asyncio.timeout(within_s):
        async for message in client.messages:
            return message
    raise AssertionError("the client's message stream ended")
