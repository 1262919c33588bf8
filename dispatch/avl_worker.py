"""The AVL ingest process: a plain paho client on the shared AVL subscription, batching fixes
into pipelined Redis writes, so positions never queue ahead of calls on the service's link.

Run as `python -m dispatch.avl_worker INDEX PARENT_PID` with the pickled settings on stdin (the
service's `AvlWorkers` does this); it reconnects with backoff, exits when its parent dies, and
drains its batch on SIGTERM.
"""

from __future__ import annotations

import logging
import os
import pickle
import select
import signal
import ssl
import sys
import time
from typing import cast

import paho.mqtt.client as paho
from paho.mqtt.enums import MQTTErrorCode, MQTTProtocolVersion

from cad.clock_bounds import fix_clock
from cad.logs import configure_logging, log
from cad.settings import Settings
from cad.topics import Topics
from dispatch.avl_ingest import AvlIngest
from transport import paho_link
from transport.broker_security import redact_url
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
                client = self._connect()
            except (OSError, paho_link.BrokerConnectError) as exc:
                log(logger, logging.WARNING, "mqtt_disconnected", error=str(exc), retry_s=backoff)
                self._sleep(backoff)
                backoff = min(backoff * 2, self._settings.reconnect_max_backoff_s)
                continue
            backoff = 0.1
            log(logger, logging.INFO, "avl_worker_connected", client_id=self._login.client_id,
                url=redact_url(self._login.url))  # fmt: skip
            self._pump(client)
            self._flush(client)
            client.disconnect()
        log(logger, logging.INFO, "avl_worker_stopped", written=self._ingest.written)

    def _connect(self) -> paho_link.SingleLoopClient:
        # MQTT v3.1.1: v5 builds a Properties object for every incoming PUBLISH (a third of the
        # cost of AVL); positions are QoS 0 and perishable, so a clean session is enough.
        # `kind` makes it a SingleLoopClient; connect() is typed for every kind of client.
        client = cast(paho_link.SingleLoopClient, paho_link.connect(
            self._login.url, self._login.client_id, threaded=False,
            protocol=MQTTProtocolVersion.MQTTv311, tls=self._tls, keepalive=15,
            timeout_s=self._settings.network_timeout_s, still_wanted=self._running,
            kind=paho_link.SingleLoopClient,
        ))  # fmt: skip
        client.on_payload = self._ingest.add
        client.subscribe(self._topics.all_avl_shared(SHARE_GROUP), qos=0)
        return client

    def _pump(self, client: paho_link.SingleLoopClient) -> None:
        """Read, batch and write until stopped or the link drops."""
        sock = client.socket()
        next_misc = time.monotonic() + 1.0
        while self._running() and sock is not None:
            now = time.monotonic()
            due = self._ingest.wait_s(now)
            timeout = _IDLE_S if due is None else min(due, _IDLE_S)
            writers = [sock] if client.want_write() else []
            buffered = _buffered(client, sock)
            readable, writable, _ = select.select([sock], writers, [], 0 if buffered else timeout)
            if (readable or buffered) and not self._read(client, sock):
                return
            if writable and client.loop_write() != MQTTErrorCode.MQTT_ERR_SUCCESS:
                return
            now = time.monotonic()
            if self._ingest.wait_s(now) == 0.0:
                self._flush(client)
            if now >= next_misc:
                next_misc = now + 1.0
                if client.loop_misc() != MQTTErrorCode.MQTT_ERR_SUCCESS:  # keepalive pings
                    return

    def _read(self, client: paho_link.SingleLoopClient, sock: paho.SocketLike) -> bool:
        # paho reads one packet per call: keep reading while the socket has more.
        for _ in range(_READ_BURST):
            if client.loop_read() != MQTTErrorCode.MQTT_ERR_SUCCESS:
                log(logger, logging.WARNING, "mqtt_disconnected", error="connection lost",
                    retry_s=0.1)  # fmt: skip
                return False
            if self._ingest.wait_s(time.monotonic()) == 0.0:
                return True
            if not _buffered(client, sock) and not select.select([sock], [], [], 0)[0]:
                return True
        return True

    def _flush(self, client: paho.Client) -> None:
        for letter in self._ingest.flush():
            client.publish(self._topics.deadletter, letter.model_dump_json(), qos=1)
            log(logger, logging.WARNING, "message_rejected", topic=letter.topic,
                reason=letter.reason)  # fmt: skip

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while self._running() and time.monotonic() < deadline:
            time.sleep(min(_IDLE_S, seconds))


def _buffered(client: paho_link.SingleLoopClient, sock: paho.SocketLike) -> bool:
    # Bytes already read off the socket are invisible to select(): the client's read-ahead, and
    # the TLS records it decrypted ahead.
    return client.has_read_ahead() or (isinstance(sock, ssl.SSLSocket) and sock.pending() > 0)


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
