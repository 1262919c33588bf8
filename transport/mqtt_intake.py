"""The call intake's MQTT session, held by one replica at a time under a Redis lease.

Call events and MDT status reports arrive on one persistent session (login `cad-intake`) with
plain subscriptions: the broker keeps what arrives while no replica holds it, restores it after
its own crash, and resends what was not acknowledged to the next holder. Whichever replica holds
the lease connects it; when that replica stops it hands over at once, and when it dies the next
one takes over once the lease lapses (`CAD_INTAKE_LEASE_S`). So no replica's session holds calls
hostage, and each MDT's reports are applied by one process, in order. On a broker tier
(`CAD_MQTT_BROKERS`) the holder keeps the session on every broker (transport/broker_tier.py).
"""

from __future__ import annotations

import asyncio
import logging

from cad.keys import GlobalKeys
from cad.logs import log
from cad.outages import outage_of
from cad.settings import Settings
from cad.waits import cancel_and_wait, wait_until_set
from transport.broker_tier import TierLink
from transport.lease import Lease
from transport.mqtt import Route
from transport.mqtt_logins import intake_login, replica_login
from transport.redis_types import AsyncRedis

logger = logging.getLogger("cad.intake_session")

LEASE_NAME = "intake"


class IntakeSession:
    """Holds the intake lease when it can, and runs the intake's link while it does."""

    def __init__(self, settings: Settings, redis: AsyncRedis, routes: list[Route]) -> None:
        self._settings = settings
        self._routes = routes
        self._replica = replica_login(settings).client_id
        self._lease = Lease(
            redis, GlobalKeys().lease(LEASE_NAME), holder=self._replica,
            ttl_s=settings.intake_lease_s,
        )  # fmt: skip
        self._link: TierLink | None = None
        self._running: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    @property
    def holding(self) -> bool:
        """Whether this replica runs the intake now."""
        return self._link is not None and self._link.connected

    def stop_receiving(self) -> None:
        """Take no more messages (the link stays up, so those in flight can be acknowledged)."""
        self._stopping.set()
        if self._link is not None:
            self._link.stop_receiving()

    async def run(self) -> None:
        """Wait for the lease, run the intake while holding it; again when it is lost."""
        poll_s = self._settings.intake_lease_s / 3
        while not self._stopping.is_set():
            if await self._ask():
                await self._run_while_held(poll_s)
            else:
                await wait_until_set(self._stopping, poll_s)

    async def close(self) -> None:
        """After the handlers' drain: disconnect, then hand the lease over at once."""
        self.stop_receiving()
        if self._link is not None and self._running is not None:
            self._link.close()
            await asyncio.wait({self._running})
        try:
            await self._lease.release()
        except Exception as exc:
            # Not released: the next holder waits for it to lapse instead.
            log(logger, logging.WARNING, "intake_lease_not_released", error=str(exc))

    async def _ask(self) -> bool | None:
        """Take or keep the lease: True held, False another's, None when Redis cannot say."""
        try:
            return await self._lease.hold()
        except Exception as exc:
            log(
                logger, logging.WARNING, "intake_lease_unavailable", replica=self._replica,
                error=f"{type(exc).__name__}: {exc}", outage=outage_of(exc) is not None,
            )  # fmt: skip
            return None

    async def _run_while_held(self, poll_s: float) -> None:
        link = TierLink(self._settings, intake_login(self._settings), self._routes, persistent=True)
        self._link = link
        self._running = running = asyncio.create_task(link.run(), name="intake-link")
        log(logger, logging.INFO, "intake_taken", replica=self._replica)
        try:
            while not self._stopping.is_set():
                await asyncio.wait({running}, timeout=poll_s)
                if running.done() or self._stopping.is_set():
                    break
                held = await self._ask()
                if held is False or (held is None and not self._lease.valid):
                    # Another replica has it, or may have by now: the broker would let that one
                    # take the session from us anyway (one login, one connection).
                    log(logger, logging.WARNING, "intake_lost", replica=self._replica)
                    break
        finally:
            if self._stopping.is_set():
                # Stopping on purpose: `close` ends the link after the handlers' drain.
                await asyncio.wait({running})
            else:
                await cancel_and_wait(running)
            self._link = self._running = None
