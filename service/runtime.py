"""The service's long-lived parts, built from settings, run by the app's lifespan."""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Awaitable
from dataclasses import dataclass

from redis.exceptions import RedisClusterException, RedisError

from cad.clock_bounds import status_clock
from cad.incident_types import load_catalogue
from cad.logs import log
from cad.result_codes import load_result_catalogue
from cad.settings import Settings
from cad.supervisor import Supervisor
from cad.task_health import RestartPolicy, TaskBoard, TaskHealth
from cad.topics import Topics
from cad.unreadable import UnreadableRecords
from cad.waits import cancel_and_wait
from callhandling.call_consumer import CallEventConsumer
from callhandling.incident_service import IncidentService
from callhandling.intake import CallIntake
from callhandling.scripts import CallScripts, register_call_scripts
from dispatch.ack_watch import AckWatch
from dispatch.avl_supervisor import AvlWorkers
from dispatch.dispatcher import Dispatcher
from dispatch.geo_sets import GeoSetCompactor
from dispatch.mdt_consumer import MdtConsumer
from dispatch.queue_sweep import QueueSweep
from dispatch.scripts import DispatchScripts, register_scripts
from dispatch.tasking_resend import TaskingResend
from geo import load_gazetteer, load_streets
from history.archiver import Archiver
from history.store import HistoryStore
from interop.eido.issue import EidoIssuer
from interop.https import PartnerEndpoints
from interop.inbound import PartnerInbound
from interop.outbox import Outbox, RetryPolicy
from interop.partner_updates import PartnerUpdates
from interop.partners import load_partners, our_agency
from service.alarms.ack_alarms import AlarmedAckWatch
from service.alarms.scanner import AlarmScanner
from service.metrics import ServiceMetrics
from service.places import load_place_search
from transport.broker_security import redact_url
from transport.broker_tier import TierLink
from transport.led_job import LedJobs
from transport.mqtt import Route
from transport.mqtt_intake import IntakeSession
from transport.mqtt_logins import replica_login
from transport.redis_client import MAX_CONNECTIONS, open_redis
from transport.redis_types import AsyncRedis
from transport.tasks import TaskPool

logger = logging.getLogger("cad.runtime")

# Enough handlers to keep Redis busy, few enough that a storm queues (at the broker, once the
# pool is full) rather than thrashes: no more than there are Redis connections to serve them.
_HANDLER_CONCURRENCY = MAX_CONNECTIONS
# Charing Cross, where the gazetteer and the projection are first exercised.
_WARM_UP_POINT = (-0.1276, 51.5072)


@dataclass(frozen=True)
class Readiness:
    """Whether the process can do its work: its servers answer, its tasks are healthy."""

    checks: dict[str, bool]
    tasks: list[TaskHealth]
    # What this replica leads now: the intake's session and each led job (a follower is ready).
    leading: dict[str, bool]

    @property
    def unhealthy_tasks(self) -> list[str]:
        """The names of the tasks that keep failing."""
        return [t.name for t in self.tasks if not t.healthy]

    @property
    def ready(self) -> bool:
        """Every check passes and no task keeps failing."""
        return all(self.checks.values()) and not self.unhealthy_tasks


class Runtime:
    """Redis, the MQTT link, the consumers and the dispatcher of one service process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.topics = Topics(settings.topic_root)
        self.redis: AsyncRedis = open_redis(settings)
        self.scripts: DispatchScripts = register_scripts(self.redis)
        self.call_scripts: CallScripts = register_call_scripts(self.redis)
        self.pool = TaskPool(_HANDLER_CONCURRENCY)
        # Every long-lived task runs under the supervisor; its board feeds /readyz and /metrics.
        self.tasks = TaskBoard(RestartPolicy.from_settings(settings))
        self.supervisor = Supervisor(self.tasks)
        self.metrics = ServiceMetrics()
        self.metrics.watch_tasks(self.tasks)
        # AVL has processes of its own: positions never queue ahead of calls on this link.
        self.avl_workers = AvlWorkers(settings, self.tasks)
        # This replica's own connection publishes; the intake session, held by one replica at a
        # time, receives the calls and the MDTs' reports (transport/mqtt_intake.py).
        self.link = TierLink(settings, replica_login(settings), [])
        self.catalogue = load_catalogue(settings.incident_types_file)
        self.results = load_result_catalogue(settings.result_codes_file)
        self.dispatcher = Dispatcher(
            self.redis, self.scripts, self.link, self.topics,
            radii_m=settings.search_radii_m, catalogue=self.catalogue,
            stale_fix_s=settings.stale_fix_s,
        )  # fmt: skip
        self.intake = CallIntake(self.redis, self.dispatcher, settings)
        calls = CallEventConsumer(
            self.intake, self.redis, self.link, self.topics,
            max_payload_bytes=settings.max_payload_bytes, pool=self.pool, metrics=self.metrics,
            give_up_after_s=settings.message_give_up_s,
        )  # fmt: skip
        mdts = MdtConsumer(
            self.redis, self.scripts, self.link, self.topics, self.dispatcher,
            max_payload_bytes=settings.max_payload_bytes, pool=self.pool,
            give_up_after_s=settings.message_give_up_s, clock_bounds=status_clock(settings),
        )  # fmt: skip
        self.acks = AckWatch(
            self.redis, self.scripts, self.dispatcher, self.link, self.topics,
            catalogue=self.catalogue, timeout_s=settings.ack_timeout_s,
        )  # fmt: skip
        # Alarms (service/alarms/): each change made once in Redis, by the scan's leader.
        self.alarms = AlarmScanner(
            self.redis, self.link, self.topics, settings,
            lambda: UnreadableRecords(self.metrics.unreadable_records),
        )  # fmt: skip
        self.alarmed_acks = AlarmedAckWatch(self.acks, self.alarms)
        self.resend = TaskingResend(self.redis, self.dispatcher, resend_s=settings.tasking_resend_s)
        self.geo_compactor = GeoSetCompactor(self.redis, self.scripts)
        self.sweep = QueueSweep(self.redis, self.dispatcher)
        self.led_jobs = LedJobs(
            self.redis, self.supervisor, holder=replica_login(settings).client_id,
            lease_s=settings.job_lease_s,
        )  # fmt: skip
        t = self.topics
        # Interop (interop/, docs/interop.md): EIDOs out to partners through a durable outbox,
        # and in from them through the intake session (one replica applies each).
        self.partners = load_partners(settings.partners_file)
        self.endpoints = PartnerEndpoints(timeout_s=settings.network_timeout_s)
        self.eidos = EidoIssuer(
            self.redis, IncidentService(self.redis, self.call_scripts, self.dispatcher),
            self.partners, our_agency(settings),
        )  # fmt: skip
        self.outbox = Outbox(
            self.redis, self.link, t, self.partners, RetryPolicy.from_settings(settings),
            self.endpoints, self.eidos, lease_s=settings.network_timeout_s * 3,
        )  # fmt: skip
        partner_eidos = PartnerInbound(
            PartnerUpdates(self.redis, self.call_scripts, self.intake,
                           settings.caller_data_retention_s),
            self.redis, self.link, t, self.partners, our_agency=settings.agency_id,
            max_bytes=settings.interop_max_eido_bytes, pool=self.pool,
            give_up_after_s=settings.message_give_up_s,
        )  # fmt: skip
        self.intake_session = IntakeSession(
            settings,
            self.redis,
            [
                Route(t.calls_in, t.calls_in, 1, calls.handle),
                Route(t.all_status, t.all_status, 1, mdts.handle_status),
                Route(t.all_interop_in, t.all_interop_in, 1, partner_eidos.handle),
            ],
        )
        self.metrics.watch_leadership(self.leading)
        # The history store (docs/history.md): None without CAD_DATABASE_URL.
        self.history: HistoryStore | None = None
        self.archiver: Archiver | None = None
        if settings.database_url:
            self.history = HistoryStore(settings.database_url, timeout_s=settings.network_timeout_s)
            self.archiver = Archiver(
                self.redis, self.history, batch=settings.archive_batch,
                keep_audit_s=settings.archive_keep_audit_s,
                incident_grace_s=settings.archive_incident_grace_s,
            )  # fmt: skip
        self._archive_task: asyncio.Task[None] | None = None
        self._link_task: asyncio.Task[None] | None = None
        self._intake_task: asyncio.Task[None] | None = None
        self._avl_task: asyncio.Task[None] | None = None
        self._outbox_task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Load the gazetteer, then run the MQTT link, the AVL workers and the periodic tasks in
        the background, each under the supervisor."""
        # Loading the boundaries takes a moment: do it now, not inside the first call's latency.
        gazetteer = await asyncio.to_thread(load_gazetteer)
        # pyproj's transformer is built once per thread (geo.projection), ~170 ms: build the event
        # loop's own now, not inside the first call that has an uncertainty circle.
        gazetteer.locate_circle(*_WARM_UP_POINT, 100.0)
        # The place index and the street map (GET /v1/places, /v1/geo/locate): built now too.
        await asyncio.to_thread(load_place_search, self.settings.place_providers)
        await asyncio.to_thread(load_streets)
        # What is loaded by now (boundaries, place index, streets, the modules) lives as long as
        # the process: frozen out of the collector's reach, a full collection no longer walks
        # its ~190,000 objects, 40 to 50 ms a pass here, a stall of every call in flight.
        gc.freeze()
        settings, supervise = self.settings, self.supervisor
        self._link_task = supervise.start("mqtt-link", self.link.run)
        self._intake_task = supervise.start("intake-session", self.intake_session.run)
        self._avl_task = supervise.start("avl-workers", self.avl_workers.run)
        # One replica at a time leads each: docs/reliability.md, "Replicas", says why.
        led, s = self.led_jobs, settings
        led.start("ack-watch", self.alarmed_acks.check_once, interval_s=s.ack_check_interval_s)
        led.start("tasking-resend", self.resend.resend_once, interval_s=s.ack_check_interval_s)
        led.start("queue-sweep", self.sweep.sweep_once, interval_s=s.queue_sweep_interval_s)
        led.start("alarm-scan", self.alarms.scan_once, interval_s=s.alarm_scan_interval_s)
        compact_s = s.geo_compact_interval_s
        led.start("geo-compaction", self.geo_compactor.compact_once, interval_s=compact_s,
                  first_after_s=compact_s)  # fmt: skip
        # Every replica: each send is taken under its own short lease (interop/outbox.py).
        self._outbox_task = supervise.start_periodic(
            "interop-outbox", self.outbox.send_due, interval_s=settings.interop_send_interval_s
        )
        if self.history is not None:
            await self.history.open()
        if self.archiver is not None and settings.archive_in_service:
            self._archive_task = supervise.start_periodic(
                "history-archiver", self.archiver.archive_once,
                interval_s=settings.archive_interval_s,
            )  # fmt: skip
        log(
            logger,
            logging.INFO,
            "runtime_started",
            redis=redact_url(self.settings.redis_url),
            mqtt=redact_url(self.settings.mqtt_url),
            history=redact_url(self.settings.database_url or "") or "not configured",
            topic_root=self.settings.topic_root,
        )

    async def stop(self) -> None:
        """Stop taking messages, finish the ones in flight, then close the clients."""
        grace, network = self.settings.shutdown_grace_s, self.settings.network_timeout_s
        # Stop taking calls first; the intake session stays connected for the acknowledgements.
        self.intake_session.stop_receiving()
        # Their leases handed over at once: another replica leads them at its next ask.
        await shutdown_step("led_jobs", self.led_jobs.stop(), network)
        # A send cut short is still in the outbox: the next round, here or elsewhere, resends it.
        await shutdown_step("interop_outbox", cancel_and_wait(self._outbox_task), network)
        # A round cut short commits nothing it had not finished: the next one picks it up.
        await shutdown_step("history_archiver", cancel_and_wait(self._archive_task), network)
        # A call cut short here was never acknowledged: the broker gives it to the next holder.
        await shutdown_step("drain", self.pool.drain(within_s=grace), grace + network)
        # Then disconnect it and hand its lease over, so another replica takes the calls now.
        await shutdown_step("intake_close", self.intake_session.close(), network)
        if self._intake_task is not None:
            await shutdown_step("intake_session", self._intake_task, network)
        self.link.close()
        if self._link_task is not None:
            await shutdown_step("mqtt_close", self._link_task, network)
        if self._avl_task is not None:
            await shutdown_step(
                "avl_workers", self.avl_workers.stop(self._avl_task), grace + network
            )
        if self.history is not None:
            await shutdown_step("history_close", self.history.close(), network)
        await shutdown_step("partner_endpoints", self.endpoints.aclose(), network)
        await shutdown_step("redis_close", self.redis.aclose(), network)
        log(logger, logging.INFO, "runtime_stopped")

    async def readiness(self) -> Readiness:
        """Whether Redis and the broker answer now, and each supervised task's health."""
        try:
            async with asyncio.timeout(1.0):
                redis_ok = bool(await self.redis.ping())
        except (RedisError, RedisClusterException, OSError, TimeoutError):
            # A cluster's client says "no node reachable" (or refused login) in its own class.
            redis_ok = False
        tasks = self.tasks.health(time.monotonic())
        checks = {"redis": redis_ok, "mqtt": self.link.connected}
        return Readiness(checks, tasks, self.leading())

    def leading(self) -> dict[str, bool]:
        """What this replica leads now: the intake's session, and each led job."""
        return {"intake": self.intake_session.holding, **self.led_jobs.leading()}


async def shutdown_step(name: str, work: Awaitable[None], within_s: float) -> None:
    """One step of shutdown, given up (and said so) after `within_s`: SIGTERM must end the
    process even if one client will not let go; what was cut short is redelivered."""
    task = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({task}, timeout=within_s)
    if not done:
        task.cancel()
        log(logger, logging.WARNING, "shutdown_step_timed_out", step=name, after_s=within_s)
        return
    if not task.cancelled() and task.exception() is not None:
        log(logger, logging.WARNING, "shutdown_step_failed", step=name, error=str(task.exception()))
