"""Locust users: call handlers over HTTP at real London incident locations.

Two kinds of work: a graded call (dispatched automatically) read back, and the handler's own
flow for an ungraded call: record it, grade it with THRIVE, then dispatch the recommendation.
Run headless against a running service, for example:
    locust -f loadtests/http_calls.py --headless -u 50 -r 10 -t 60s --host http://127.0.0.1:8000
with `CAD_TOKEN` set to a bearer token (call_handler and dispatcher roles), or with the service's
`CAD_AUTH_DEV_SECRET` so that the users sign development tokens themselves.
"""

from __future__ import annotations

import itertools
import os
import random
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from locust import between, task
from locust.contrib.fasthttp import FastHttpUser

from loadtests.api_token import api_token
from service.demo.calls import CALL_MIX, incident_locations

_POINTS = incident_locations()
_SEQUENCE = itertools.count()
# Each locust process gets its own call-id space, so several generators never collide.
_RUN = f"{os.getpid()}-{random.getrandbits(24):06x}"
_HIGH_RISK = {"threat": "high", "harm": "high", "risk": "high", "vulnerability": True}


def _call(incident_type: str | None, grade: str | None) -> dict[str, Any]:
    lon, lat = random.choice(_POINTS)
    return {
        "call_id": f"locust-{_RUN}-{next(_SEQUENCE)}",
        "received_at": datetime.now(UTC).isoformat(),
        "source": "999",
        "location": {"lon": lon, "lat": lat, "radius_m": 50},
        "incident_type": incident_type,
        "grade": grade,
    }


class CallHandler(FastHttpUser):
    """A call handler recording calls, grading and dispatching."""

    wait_time = between(0.05, 0.2)

    def on_start(self) -> None:
        """Sign in: every request carries the bearer token."""
        # FastHttpSession puts its `auth_header` on every request that names no other.
        self.client.auth_header = f"Bearer {api_token()}"

    def _record(self, body: dict[str, Any]) -> str | None:
        with self.client.post("/v1/calls", json=body, catch_response=True) as response:
            if response.status_code != 201:
                response.failure(f"status {response.status_code}: {response.text[:200]}")
                return None
            # CallRecorded: the incident view holds the incident record, which holds the ref.
            ref: str = response.json()["incident"]["incident"]["ref"]
            return ref

    @task(3)
    def record_graded_call(self) -> None:
        """POST /v1/calls with a type and grade (dispatched at once), then GET the incident."""
        incident_type, grade, _ = random.choice(CALL_MIX)
        ref = self._record(_call(incident_type if grade else None, grade.value if grade else None))
        if ref is not None:
            self.client.get(f"/v1/incidents/{quote(ref, safe='')}", name="/v1/incidents/{ref}")

    @task(1)
    def record_grade_dispatch(self) -> None:
        """An ungraded call, graded with THRIVE, then the recommendation dispatched."""
        ref = self._record(_call("concern_for_welfare", None))
        if ref is None:
            return
        path = f"/v1/incidents/{quote(ref, safe='')}"
        self.client.post(
            f"{path}/grade", json={"thrive": _HIGH_RISK}, name="/v1/incidents/{ref}/grade"
        )
        with self.client.post(
            f"{path}/dispatch", json={}, name="/v1/incidents/{ref}/dispatch", catch_response=True
        ) as response:
            # 409: no unit can meet the plan now; the incident waits in the queue, as it should.
            if response.status_code in (200, 409):
                response.success()
            else:
                response.failure(f"status {response.status_code}: {response.text[:200]}")
