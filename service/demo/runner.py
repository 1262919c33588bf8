"""`cad demo`: servers, service, fleet and a stream of real-located 999 calls, then a summary."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cad.events import Tasking
from cad.keys import AreaKeys, GlobalKeys
from cad.logs import configure_logging
from cad.settings import Settings, get_settings
from cad.tokens import Role, dev_token_for, new_dev_secret
from cad.topics import Topics
from cad.waits import wait_until_set
from dispatch.dispatcher import AUTO_DISPATCH_GRADES
from dispatch.scripts import register_scripts
from dispatch.units import Unit, register_fleet
from service.demo.call_counts import service_calls
from service.demo.calls import call_stream
from service.demo.control_room import ControlRoom
from service.demo.fleet import build_fleet
from service.demo.history_counts import ShiftCounts, shift_counts
from service.demo.mdt_sim import SimulatedFleet
from service.demo.summary import LiveCounts, ShiftStory, collect_counts, print_summary
from service.postgres_server import embedded_postgres
from service.server import server_for
from service.servers import embedded_servers, free_port
from transport.broker_security import (
    GATEWAY_USER,
    BrokerCredentials,
    development_credentials,
    redact_url,
)
from transport.mqtt import NO_DELAY, BrokerAddress
from transport.mqtt_client import Client, ProtocolVersion
from transport.redis_client import open_redis
from transport.redis_types import AsyncRedis

_PROGRESS_EVERY_S = 5.0
# After the last call, jobs in progress get this long (real time) to be cleared and given a
# result (closed by the simulated dispatchers).
_DRAIN_MAX_S = 25.0
_DRAIN_POLL_S = 0.5
# The demo's map token: long enough for a long demo, still a development token.
_TOKEN_TTL_S = 12 * 3600
# The share of calls the simulated call handler takes by place name over HTTP; the rest come
# from the MQTT gateway.
_HANDLER_SHARE = 0.2
# The archiver runs every second in the demo, and a closed incident stays in Redis (and on the
# live map) this long after it is archived; the supervisor waits this long at most for it.
_ARCHIVE_INTERVAL_S = 1.0
_ARCHIVE_GRACE_S = 60.0
_ARCHIVE_WAIT_S = 30.0
_ARCHIVE_POLL_S = 0.5


@dataclass(frozen=True)
class DemoOptions:
    """What the operator asked of the demo."""

    duration_s: float | None
    rate_per_s: float
    seed: int
    units_per_area: int
    # Simulated seconds per real second: at 240, a 20-minute job takes 5 s of the demo.
    time_scale: float = 240.0


@dataclass
class LatencyBook:
    """Call-to-tasking latency: publish time per call id, arrival time per tasking."""

    sent: dict[str, float] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)
    # Every tasking an MDT received: the gateway's calls', the call handler's, diversions'.
    taskings: int = 0

    def tasking_arrived(self, _callsign: str, tasking: Tasking, arrived: float) -> None:
        self.taskings += 1
        started = self.sent.pop(tasking.call_id, None)
        if started is not None:
            self.latencies_ms.append((arrived - started) * 1000)


@contextlib.asynccontextmanager
async def _servers(
    workdir: Path, credentials: BrokerCredentials, fleet: list[Unit]
) -> AsyncIterator[Settings]:
    """The configured servers (whose broker must know these credentials), or our own embedded
    ones, the broker with a password file for the service and every unit, and the ACL."""
    if os.environ.get("CAD_REDIS_URL") and os.environ.get("CAD_MQTT_URL"):
        yield get_settings()
        return
    callsigns = tuple(u.callsign for u in fleet)
    with (
        embedded_servers(workdir, credentials=credentials, units=callsigns) as (redis, broker),
        embedded_postgres() as postgres,
    ):
        print(f"started redis-server (AOF) at {redact_url(redis.url)} (ACL user), mosquitto "
              f"(ACL, logins) on port {broker.port} and PostgreSQL (the history store) at "
              f"{redact_url(postgres.url)}")  # fmt: skip
        # A fresh development secret per run: the demo's tokens are worthless after it ends.
        yield get_settings(
            redis_url=redis.url, mqtt_url=broker.url, http_port=free_port(),
            environment="development", auth_dev_secret=new_dev_secret(),
            database_url=postgres.url, archive_interval_s=_ARCHIVE_INTERVAL_S,
            archive_incident_grace_s=_ARCHIVE_GRACE_S,
        )  # fmt: skip


def _map_address(settings: Settings, api: str, page: str = "/") -> str:
    """The address of the live map (or the console, `page`), with a supervisor's token in the
    fragment when one can be made."""
    if not settings.auth_dev_secret:
        return f"{api}{page}  (append #token=<a bearer token from your identity provider>)"
    token = dev_token_for(
        settings, subject="demo-supervisor", ttl_s=_TOKEN_TTL_S,
        roles=(Role.SUPERVISOR, Role.DISPATCHER, Role.CALL_HANDLER),
    )  # fmt: skip
    return f"{api}{page}#token={token}"


async def run_demo(options: DemoOptions) -> int:
    """Run the demo; exit status 0 when calls were turned into taskings."""
    workdir = Path(tempfile.mkdtemp(prefix="cad-demo-"))
    log_path = workdir / "cad-service.log"
    configure_logging("INFO", log_path)
    fleet = build_fleet(options.units_per_area, options.seed)
    credentials = development_credentials(get_settings().mdt_credential_secret)
    async with _servers(workdir, credentials, fleet) as servers:
        # The service's AVL workers are processes of their own: they log to the same file.
        settings = servers.model_copy(update={"log_file": log_path})
        server = server_for(settings)
        serving = asyncio.create_task(server.serve())
        while not server.started:
            if serving.done():
                serving.result()
            await asyncio.sleep(0.05)
        api = f"http://{settings.http_host}:{settings.http_port}"
        print(f"service up: API {api}  (OpenAPI at {api}/docs); JSON logs in {log_path}")
        print(f"live operations map: {_map_address(settings, api)}  (open it in a browser)")
        print(f"operator console: {_map_address(settings, api, '/console')}  (docs/console.md)")
        print("  the token after #token= works for the API too: 'Authorization: Bearer <token>'")
        redis = open_redis(settings)
        scripts = register_scripts(redis)
        now_ms = int(time.time() * 1000)
        await register_fleet(redis, scripts, fleet, now_ms=now_ms, actor="demo")
        print(f"registered {len(fleet)} units in {len({u.area for u in fleet})} BCUs")
        topics = Topics(settings.topic_root)
        book = LatencyBook()
        sim = SimulatedFleet(
            fleet, credentials, mqtt_url=settings.mqtt_url, topics=topics, seed=options.seed,
            time_scale=options.time_scale, on_tasking=book.tasking_arrived,
            brokers=settings.mqtt_brokers,
        )  # fmt: skip
        await sim.start()
        print(f"{len(fleet)} MDTs connected, each with its own login and last will; "
              f"simulated time runs {options.time_scale:g}x")  # fmt: skip
        room = ControlRoom.staffed(settings, api, seed=options.seed)
        if room is None:
            print("no development secret: the simulated control room cannot sign in, so calls "
                  "are not graded, linked or closed")  # fmt: skip
        else:
            print("control room on the API: a call handler (place search, calls, grading, "
                  "links, remarks), a dispatcher (diversions, results) and a supervisor "
                  "(history search, KPI report)")  # fmt: skip
            room.start()
        started = datetime.now(UTC)
        async with _gateway_client(settings, credentials) as caller_client:
            published = await _publish_calls(caller_client, topics, options, book, sim, room)
        await _drain(redis)
        if room is not None:
            await room.stop()  # the last few results, given as the drain ended
        await sim.stop()
        live = await collect_counts(redis, book.latencies_ms, taskings=book.taskings)
        story = await _story(settings, api, room, started, published, live)
        print_summary(story)
        if room is not None:
            await room.aclose()
        await redis.aclose()
        server.should_exit = True
        await serving
    return 0 if live.taskings > 0 else 1


async def _story(
    settings: Settings,
    api: str,
    room: ControlRoom | None,
    started: datetime,
    published: int,
    live: LiveCounts,
) -> ShiftStory:
    """Read back what the shift did: the supervisor's searches and report, the audit trail."""
    # The window's end: after every incident of the demo, which the archiver may still be taking.
    window = (started - timedelta(seconds=1), datetime.now(UTC) + timedelta(minutes=1))
    shift: ShiftCounts | None = None
    archived: dict[str, str] = {}
    found = alarms = kpis = None
    if room is not None:
        alarms = await room.supervisor.alarms()
        if settings.database_url:
            closes = room.tally.succeeded("POST /v1/incidents/{ref}/close")
            print(f"supervisor: waiting for the archiver to take the {closes} closed incidents ...")
            found = await room.supervisor.await_archive(*window, closed=closes,
                                                        within_s=_ARCHIVE_WAIT_S)  # fmt: skip
            kpis = await room.supervisor.kpis(*window)
    if settings.database_url:
        shift, archived = await shift_counts(settings.database_url)
        # The archiver copies an incident as Redis holds it after it has read the audit
        # streams: a close between the two is in the search a round before its
        # `incident_closed` entry is in the audit trail, which the shift's figures count.
        deadline = time.monotonic() + _ARCHIVE_WAIT_S
        while found is not None and shift.closed < found and time.monotonic() < deadline:
            await asyncio.sleep(_ARCHIVE_POLL_S)
            shift, archived = await shift_counts(settings.database_url)
    return ShiftStory(
        published=published, calls=await service_calls(api),
        place_searches=0 if room is None else room.handler.tally.searches,
        places_not_found=0 if room is None else room.handler.tally.not_found,
        live=live, shift=shift, archived_statuses=archived, found_in_history=found,
        alarms=alarms, kpis=kpis,
        refusals=Counter() if room is None else room.tally.refusals(),
    )  # fmt: skip


def _gateway_client(settings: Settings, credentials: BrokerCredentials) -> Client:
    """The call gateway's client: its own login, which may publish call events and no more."""
    address = BrokerAddress.from_url(settings.mqtt_url)
    return Client(
        address.host, address.port, username=GATEWAY_USER,
        password=credentials.gateway_password, identifier=GATEWAY_USER,
        protocol=ProtocolVersion.V5, timeout=settings.network_timeout_s,
        socket_options=NO_DELAY,
    )  # fmt: skip


async def _drain(redis: AsyncRedis) -> None:
    """Wait (bounded) until no incident is still being worked."""
    for _ in range(int(_DRAIN_MAX_S / _DRAIN_POLL_S)):
        if not await _open_incidents(redis):
            return
        await asyncio.sleep(_DRAIN_POLL_S)


async def _statuses(redis: AsyncRedis) -> list[str]:
    statuses: list[str] = []
    async for ref, area in redis.hscan_iter(GlobalKeys().incident_area):
        statuses.append(await redis.hget(AreaKeys(area).incident(ref), "status") or "")
    return statuses


async def _open_incidents(redis: AsyncRedis) -> int:
    working = ("dispatched", "en_route", "on_scene", "awaiting_result")
    return sum(s in working for s in await _statuses(redis))


async def _publish_calls(
    client: Client,
    topics: Topics,
    options: DemoOptions,
    book: LatencyBook,
    sim: SimulatedFleet,
    room: ControlRoom | None,
) -> int:
    """Publish call events at the set rate until the duration ends or Ctrl-C, handing a share
    of the calls to the control room's call handler instead; how many were published."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if options.duration_s is None:
        print("publishing 999 calls until Ctrl-C ...")
    else:
        print(f"publishing 999 calls for {options.duration_s:.0f}s at {options.rate_per_s}/s ...")
    started = time.perf_counter()
    next_progress = started + _PROGRESS_EVERY_S
    interval = 1.0 / options.rate_per_s
    share = random.Random(f"{options.seed}-handler")
    published = handed = 0
    for event in call_stream(options.seed):
        now = time.perf_counter()
        if stop.is_set() or (
            options.duration_s is not None and now - started >= options.duration_s
        ):
            break
        if room is not None and share.random() < _HANDLER_SHARE:
            room.handler.calls.put_nowait(event)
            handed += 1
        else:
            if event.grade in AUTO_DISPATCH_GRADES:
                # The latency of the service's own dispatch: a call it sends a unit to as it
                # arrives (an E waits for a dispatcher, an R is not deployed).
                book.sent[event.call_id] = time.perf_counter()
            await client.publish(topics.calls_in, event.model_dump_json().encode(), qos=1)
            published += 1
        if now >= next_progress:
            next_progress += _PROGRESS_EVERY_S
            print(
                f"  t={now - started:5.1f}s calls={published} by MQTT, {handed} to the call "
                f"handler; taskings={book.taskings} cleared={sim.cleared}"
            )
        await wait_until_set(stop, max(0.0, started + (published + handed) * interval - now))
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.remove_signal_handler(sig)
    return published
