"""Locust users: call handlers recording 999 calls over HTTP at real London incident locations.

Run headless against a running service, for example:
    locust -f loadtests/http_calls.py --headless -u 50 -r 10 -t 60s --host http://127.0.0.1:8000
"""

from __future__ import annotations

import itertools
import os
import random
from datetime import UTC, datetime

from locust import between, task
from locust.contrib.fasthttp import FastHttpUser

from cad.demo.calls import CALL_MIX, incident_locations

_POINTS = incident_locations()
_SEQUENCE = itertools.count()
# Each locust process gets its own call-id space, so several generators never collide.
_RUN = f"{os.getpid()}-{random.getrandbits(24):06x}"


class CallHandler(FastHttpUser):
    """A call handler recording a graded call and reading the incident back."""

    wait_time = between(0.05, 0.2)

    @task
    def record_call(self) -> None:
        """POST /v1/calls, then GET the incident it made."""
        lon, lat = random.choice(_POINTS)
        incident_type, grade, _ = random.choice(CALL_MIX)
        body = {
            "call_id": f"locust-{_RUN}-{next(_SEQUENCE)}",
            "received_at": datetime.now(UTC).isoformat(),
            "source": "999",
            "location": {"lon": lon, "lat": lat, "radius_m": 50},
            "incident_type": incident_type if grade else None,
            "grade": grade.value if grade else None,
        }
        with self.client.post("/v1/calls", json=body, catch_response=True) as response:
            if response.status_code != 201:
                response.failure(f"status {response.status_code}: {response.text[:200]}")
                return
            ref = response.json()["incident"]["ref"]
        self.client.get(f"/v1/incidents/{ref}", name="/v1/incidents/{ref}")
