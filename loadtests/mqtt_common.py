"""What the MQTT locust users share: the broker and topics from CAD_* settings, paho clients,
locust request events, and the publish times that call-to-tasking latency is measured from.

locust runs on gevent, so these users drive paho directly (its network thread is a greenlet
once gevent has patched threading), never asyncio.
"""

from __future__ import annotations

import itertools
import os
import time
import uuid
from typing import Any

import paho.mqtt.client as paho

from cad.errors import BrokerConnectError
from cad.topics import Topics
from transport import paho_link
from transport.broker_tier import broker_urls
from transport.mqtt_logins import GeneratorLogins

# The broker, logged in as a load generators' login family (`cad-loadtest`): each connection
# logs in as a login of its own, `{family}-{n}` (a broker binds a client id to its login).
MQTT_URL = os.environ.get("CAD_MQTT_URL", "mqtt://127.0.0.1:1883")
_LOGINS = GeneratorLogins(MQTT_URL, int(os.environ.get("CAD_LOADTEST_LOGINS", "64")))
# A broker tier (`CAD_MQTT_BROKERS`, docs/reliability.md): connections spread over its brokers
# in turn, each trying the next when its own does not answer.
_BROKERS = os.environ.get("CAD_MQTT_BROKERS", "")
_TURN = itertools.count()
TOPICS = Topics(os.environ.get("CAD_TOPIC_ROOT", "cad").strip("/"))
HTTP_URL = os.environ.get("CAD_HTTP_URL", "http://127.0.0.1:8000")
# call id -> when it was published: the MDT users in the same process time the tasking from it.
SENT: dict[str, float] = {}
_PUBACK_WAIT_S = 10.0


def connect(role: str) -> paho.Client:
    """A connected paho client (Nagle off) with its network loop running, under its own login."""
    login = _LOGINS.next()
    urls = broker_urls(login.url, _BROKERS)
    first = next(_TURN)
    client_id = f"locust-{role}-{uuid.uuid4().hex[:8]}"
    for n in range(len(urls)):
        try:
            return paho_link.connect(urls[(first + n) % len(urls)], client_id, threaded=True)
        except (OSError, BrokerConnectError):
            if n == len(urls) - 1:
                raise
    raise AssertionError("unreachable: broker_urls lists at least one broker")


def fire(environment: Any, name: str, started: float, length: int, error: Exception | None) -> None:
    """Report one MQTT operation to locust, so its statistics and CSV output include it."""
    environment.events.request.fire(
        request_type="MQTT", name=name, response_time=(time.perf_counter() - started) * 1000,
        response_length=length, exception=error, context={},
    )  # fmt: skip


def publish(
    environment: Any, client: paho.Client, name: str, topic: str, payload: bytes, qos: int
) -> None:
    """Publish and report it; QoS 1 is timed to the broker's PUBACK."""
    started = time.perf_counter()
    error: Exception | None = None
    try:
        info = client.publish(topic, payload, qos=qos)
        if qos:
            info.wait_for_publish(_PUBACK_WAIT_S)
            if not info.is_published():
                error = TimeoutError(f"no PUBACK within {_PUBACK_WAIT_S}s")
    except (ValueError, RuntimeError) as exc:
        error = exc
    fire(environment, name, started, len(payload), error)
