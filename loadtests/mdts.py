"""Locust users: in-car terminals (MDTs) that receive taskings and work each job to clear.

One user listens for every unit's taskings (a fleet's worth of MDTs on one connection), reports
call-to-tasking latency for the calls this process published, and acknowledges each tasking:
en route, on scene, then available, so that the fleet keeps serving the load.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import gevent
import paho.mqtt.client as paho
from locust import User, constant, task

from loadtests import mqtt_common

# Seconds between a tasking and each status report: brief, so units come back soon.
_STEPS = (("en_route", 0.2), ("on_scene", 0.5), ("available", 1.0))


class MdtFleet(User):
    """Every unit's MDT on one connection; run exactly one (`fixed_count`)."""

    fixed_count = 1
    wait_time = constant(1.0)
    client: Any = None

    def on_start(self) -> None:
        """Connect and subscribe before any call is published."""
        self.client = mqtt_common.connect("mdts")
        self.client.on_message = self._on_tasking
        self.client.subscribe(f"{mqtt_common.TOPICS.root}/units/+/tasking", qos=1)

    def on_stop(self) -> None:
        """Disconnect."""
        self.client.disconnect()
        self.client.loop_stop()

    @task
    def idle(self) -> None:
        """The work happens in the message callback; nothing to do on a timer."""

    def _on_tasking(self, _c: paho.Client, _u: object, message: paho.MQTTMessage) -> None:
        arrived = time.perf_counter()
        try:
            tasking = json.loads(message.payload)
            callsign = mqtt_common.TOPICS.callsign_of(message.topic) or ""
        except ValueError as exc:
            mqtt_common.fire(self.environment, "tasking", arrived, len(message.payload), exc)
            return
        sent = mqtt_common.SENT.pop(tasking.get("call_id", ""), None)
        if sent is not None:
            self.environment.events.request.fire(
                request_type="MQTT", name="call -> tasking", response_time=(arrived - sent) * 1000,
                response_length=len(message.payload), exception=None, context={},
            )  # fmt: skip
        gevent.spawn(self._work, callsign, tasking)

    def _work(self, callsign: str, tasking: dict[str, Any]) -> None:
        for status, pause_s in _STEPS:
            gevent.sleep(pause_s)
            report = {
                "status": status, "ts": datetime.now(UTC).isoformat(),
                "tasking_id": tasking.get("tasking_id"),
                "incident_ref": tasking.get("incident_ref"),
            }  # fmt: skip
            mqtt_common.publish(
                self.environment, self.client, f"status {status}",
                mqtt_common.TOPICS.status(callsign), json.dumps(report).encode(), 1,
            )  # fmt: skip
