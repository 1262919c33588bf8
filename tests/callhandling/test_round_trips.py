"""Redis round trips of a call, counted at the socket (docs/architecture.md, "Redis round trips of
a call"): a TCP proxy between the intake's client and Redis counts each turn the client takes to
speak after Redis has answered, on every connection. The numbers must not grow."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import pkgutil
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from redis.asyncio import Redis

import callhandling.lua
import dispatch.lua
from cad.events import CallEvent, CallSource, Location, utcnow
from cad.settings import Settings
from callhandling.call_claims import CallIdConflictError
from callhandling.incidents import Outcome
from callhandling.intake import CallIntake
from dispatch.scripts import register_scripts
from service.servers import EmbeddedServer
from tests.dispatch.mutual_aid_fixtures import dispatcher_for
from transport.redis_client import open_redis
from transport.scripts import Script

WESTMINSTER = (-0.1276, 51.5007)
FAR_AWAY = (-0.0553, 51.5450)  # Hackney: nothing of Westminster's is near
# One moment for every call: a copy of a call is the same call only with the same content.
RECEIVED = utcnow() - timedelta(seconds=5)


class RoundTrips:
    """A TCP proxy in front of Redis that counts round trips: a client's turn to speak, on any of
    its connections, after Redis had answered it (or at the start)."""

    def __init__(self, port: int) -> None:
        self._port = port
        self.count = 0
        self._server: asyncio.Server | None = None

    async def start(self) -> int:
        """Listen on a free loopback port; the port."""
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        return int(self._server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        """Stop listening (the relays end with their connections)."""
        if self._server is not None:
            self._server.close()

    async def _relay(
        self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter
    ) -> None:
        server_in, server_out = await asyncio.open_connection("127.0.0.1", self._port)
        answered = True

        async def up() -> None:
            nonlocal answered
            while data := await client_in.read(65536):
                if answered:
                    self.count += 1
                    answered = False
                server_out.write(data)
                await server_out.drain()
            server_out.close()

        async def down() -> None:
            nonlocal answered
            while data := await server_in.read(65536):
                answered = True
                client_out.write(data)
                await client_out.drain()
            client_out.close()

        with contextlib.suppress(ConnectionError):
            await asyncio.gather(up(), down())


@pytest.fixture
async def counted(
    settings: Settings, redis: Redis, redis_proc: EmbeddedServer
) -> AsyncIterator[tuple[CallIntake, RoundTrips]]:
    """An intake whose Redis client goes through the counting proxy, its connections open."""
    trips = RoundTrips(redis_proc.port)
    port = await trips.start()
    through = open_redis(
        settings.model_copy(
            update={"redis_url": settings.redis_url.replace(f":{redis_proc.port}/", f":{port}/")}
        )
    )
    try:
        # Load the scripts and open the shared connection and one of the pool's first: the first
        # call after a Redis restart loads what it runs, and a connection's handshake is not a
        # call's round trip.
        for script in _every_script():
            await redis.script_load(script.source)
        await through.ping()
        async with through.pipeline(transaction=False) as pipe:
            pipe.ping()
            await pipe.execute()
        intake = CallIntake(through, dispatcher_for(through, register_scripts(through)), settings)
        yield intake, trips
    finally:
        await through.aclose()
        await trips.close()


def _every_script() -> list[Script]:
    modules = [
        importlib.import_module(f"{package.__name__}.{info.name}")
        for package in (callhandling.lua, dispatch.lua)
        for info in pkgutil.iter_modules(package.__path__)
    ]
    return [module.SCRIPT for module in modules]


def call(call_id: str, where: tuple[float, float] = WESTMINSTER) -> CallEvent:
    """An ungraded call (nothing is dispatched: the intake's own round trips)."""
    return CallEvent(
        call_id=call_id, received_at=RECEIVED,
        source=CallSource.EMERGENCY_999, location=Location(lon=where[0], lat=where[1]),
    )  # fmt: skip


async def _trips(trips: RoundTrips, intake: CallIntake, event: CallEvent, **how: object) -> int:
    before = trips.count
    await intake.accept(event, actor="test", **how)  # type: ignore[arg-type]
    return trips.count - before


async def test_an_mqtt_call_takes_three_to_open_or_join_an_incident_two_for_a_replay(
    counted: tuple[CallIntake, RoundTrips],
) -> None:
    intake, trips = counted
    # Opens an incident with nothing near: the look, the day's reference, the creation.
    assert await _trips(trips, intake, call("open")) == 3
    # Joins it (a duplicate: same place, same time): the look, the facts, the link, which
    # answers with the incident as it left it (it was read back: four before).
    assert await _trips(trips, intake, call("join")) == 3
    # A replay: the look finds its record, then its incident is read.
    assert await _trips(trips, intake, call("join")) == 2


async def test_an_api_call_takes_two_a_refused_copy_one(
    counted: tuple[CallIntake, RoundTrips],
) -> None:
    intake, trips = counted
    # Opens an incident whatever it finds: the look takes the reference, the creation reads the
    # neighbours' facts.
    assert await _trips(trips, intake, call("api"), auto_link=False, area="CW") == 2
    assert await _trips(trips, intake, call("api"), auto_link=False, area="CW") == 2
    before = trips.count
    with pytest.raises(CallIdConflictError):
        await intake.accept(call("api", FAR_AWAY), actor="test")
    assert trips.count - before == 1


async def test_the_counts_hold_as_the_intake_answers(
    counted: tuple[CallIntake, RoundTrips],
) -> None:
    """What was counted is what the intake did (no round trip was saved by doing less)."""
    intake, _ = counted
    opened = await intake.accept(call("a"), actor="test")
    joined = await intake.accept(call("b"), actor="test")
    again = await intake.accept(call("b"), actor="test")
    assert (opened.outcome, joined.outcome, again.outcome) == (
        Outcome.CREATED, Outcome.LINKED, Outcome.REPLAYED,
    )  # fmt: skip
    assert joined.incident.ref == again.incident.ref == opened.incident.ref
    assert joined.incident.call_count == 2
    assert [c.ref for c in joined.candidates] == [opened.incident.ref]
