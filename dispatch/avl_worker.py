"""The AVL ingest process: an MQTT session of its own (transport/avl_link.py) on the shared AVL
subscription, batching fixes into pipelined Redis writes, so positions never queue ahead of
calls on the service's link.

Run as `python -m dispatch.avl_worker INDEX PARENT_PID` with the pickled settings on stdin (the
service's `AvlWorkers` does this); it reconnects with backoff, exits when its parent dies, and
drains its batch on SIGTERM.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import select
import signal
import sys
import time

from cad.clock_bounds import fix_clock
from cad.errors import BrokerConnectError, LinkLostError
from cad.logs import configure_logging, log
from cad.settings import Settings
from cad.topics import Topics
from dispatch.avl_ingest import AvlIngest
from transport import avl_link
from transport.broker_security import redact_url
from transport.broker_tier import tier_logins
from transport.mqtt import tls_parameters
from transport.mqtt_logins import avl_login
from transport.redis_client import open_sync_redis

logger = logging.getLogger("cad.avl")

SHARE_GROUP = "avl"
# Idle wake-ups: how soon a SIGTERM or the parent's death is noticed.
_IDLE_S = 0.05
# Messages read per wake-up before the batch and the keepalive get a look in.
_READ_BURST = 500


class AvlWorker:
    """One AVL ingest process: connect, subscribe, read and write batches until stopped."""

    def __init__(self, settings: Settings, index: int, parent_pid: int) -> None:
        self._settings = settings
        self._topics = Topics(settings.topic_root)
        self._ingest = AvlIngest(
            open_sync_redis(settings), self._topics, max_payload_bytes=settings.max_payload_bytes,
            clock_bounds=fix_clock(settings),
        )  # fmt: skip
        # Its own login and so its own client id (the broker binds the two).
        self._login = avl_login(settings, index)
        # On a broker tier, worker i serves broker i modulo the tier's size, and waits for it
        # when it is down: an MDT may report on any broker, so each needs its workers
        # (settings refuse fewer workers than brokers).
        tier = tier_logins(settings, self._login)
        self._url = tier[index % len(tier)].url
        # Used only with an mqtts:// URL: the same CA and client certificate as the service's.
        self._tls = tls_parameters(settings)
        # Told, not read with getppid(): a parent that died while this process was starting
        # would leave it adopted before it could look, and it would never notice.
        self._parent = parent_pid
        self._stopping = False

    def stop(self, *_: object) -> None:
        """Ask the loop to finish its batch and return (a signal handler)."""
        self._stopping = True

    def _running(self) -> bool:
        # A parent that died leaves us adopted: stop rather than ingest for nobody.
        return not self._stopping and os.getppid() == self._parent

    def run(self) -> None:
        """Ingest until stopped, reconnecting with backoff."""
        backoff = 0.1
        while self._running():
            try:
                link = self._connect()
            except (OSError, BrokerConnectError) as exc:
                log(logger, logging.WARNING, "mqtt_disconnected", error=str(exc), retry_s=backoff)
                self._sleep(backoff)
                backoff = min(backoff * 2, self._settings.reconnect_max_backoff_s)
                continue
            backoff = 0.1
            log(logger, logging.INFO, "avl_worker_connected", client_id=self._login.client_id,
                url=redact_url(self._url))  # fmt: skip
            try:
                self._pump(link)
            except LinkLostError as exc:
                log(logger, logging.WARNING, "mqtt_disconnected", error=str(exc), retry_s=0.1)
            self._flush(link)  # the batch is written whatever became of the link
            link.close()
        log(logger, logging.INFO, "avl_worker_stopped", written=self._ingest.written)

    def _connect(self) -> avl_link.AvlLink:
        # Positions are QoS 0 and perishable: a clean session is enough.
        link = avl_link.connect(
            self._url, self._login.client_id, tls=self._tls, keepalive=15,
            timeout_s=self._settings.network_timeout_s, still_wanted=self._running,
        )  # fmt: skip
        link.on_payload = self._ingest.add
        link.subscribe(self._topics.all_avl_shared(SHARE_GROUP), qos=0)
        return link

    def _pump(self, link: avl_link.AvlLink) -> None:
        """Read, batch and write until stopped; LinkLostError when the link drops."""
        next_misc = time.monotonic() + 1.0
        while self._running():
            now = time.monotonic()
            due = self._ingest.wait_s(now)
            timeout = _IDLE_S if due is None else min(due, _IDLE_S)
            buffered = link.has_buffered()
            readable, _, _ = select.select([link.socket], [], [], 0 if buffered else timeout)
            if readable or buffered:
                self._read(link)
            now = time.monotonic()
            if self._ingest.wait_s(now) == 0.0:
                self._flush(link)
            if now >= next_misc:
                next_misc = now + 1.0
                link.keep_alive(now)

    def _read(self, link: avl_link.AvlLink) -> None:
        # One packet a call, from 64 KiB read ahead: go on while whole ones are there.
        for _ in range(_READ_BURST):
            if not link.read() or self._ingest.wait_s(time.monotonic()) == 0.0:
                return

    def _flush(self, link: avl_link.AvlLink) -> None:
        for letter in self._ingest.flush():
            log(logger, logging.WARNING, "message_rejected", topic=letter.topic,
                reason=letter.reason)  # fmt: skip
            # Recorded in the dead-letter stream already: the topic is a courtesy to watchers.
            with contextlib.suppress(LinkLostError):
                link.publish(self._topics.deadletter, letter.model_dump_json().encode(), qos=1)

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while self._running() and time.monotonic() < deadline:
            time.sleep(min(_IDLE_S, seconds))


def main() -> None:
    """Entry point: settings from the parent on stdin, ingest until SIGTERM."""
    # Pickled, not read from the environment: the parent's settings may carry overrides.
    settings: Settings = pickle.loads(sys.stdin.buffer.read())
    configure_logging(settings.log_level, settings.log_file)
    worker = AvlWorker(settings, int(sys.argv[1]), int(sys.argv[2]))
    signal.signal(signal.SIGTERM, worker.stop)
    signal.signal(signal.SIGINT, worker.stop)
    worker.run()


if __name__ == "__main__":
    main()
