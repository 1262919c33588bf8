"""Locust users: telephony, AML and eCall gateways publishing 999 call events over MQTT.

Each call event is timed to the broker's PUBACK; the MDT users (loadtests/mdts.py) in the same
process time its tasking from the moment it was published.
"""

from __future__ import annotations

import itertools
import random
import time
from typing import Any

from locust import User, constant_throughput, task

from loadtests import mqtt_common
from loadtests.bench.calls import BenchCall, london_points

_SEQUENCE = itertools.count()
_RUN = f"{random.getrandbits(32):08x}"
_POINTS = london_points(10_000, 999)
_TYPES = (("missing_person_high_risk", "I"), ("concern_for_welfare", "S"), ("asb", "S"))


class CallGateway(User):
    """A gateway publishing graded call events at one a second (scale with the user count)."""

    wait_time = constant_throughput(1.0)
    client: Any = None

    def on_start(self) -> None:
        """Connect before anything is counted."""
        self.client = mqtt_common.connect("gateway")

    def on_stop(self) -> None:
        """Disconnect."""
        self.client.disconnect()
        self.client.loop_stop()

    @task
    def publish_call(self) -> None:
        """One call event on `calls/in`, QoS 1."""
        n = next(_SEQUENCE)
        lon, lat = _POINTS[n % len(_POINTS)]
        incident_type, grade = _TYPES[n % len(_TYPES)]
        call = BenchCall(f"locust-{_RUN}-{n}", lon, lat, incident_type, grade)
        payload = call.payload()
        mqtt_common.SENT[call.call_id] = time.perf_counter()
        mqtt_common.publish(
            self.environment, self.client, "calls/in", mqtt_common.TOPICS.calls_in, payload, 1
        )
