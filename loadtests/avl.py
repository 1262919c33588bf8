"""Locust users: the AVL fleet, every registered unit reporting its position every few seconds.

The callsigns come from the service (`GET /v1/units` at CAD_HTTP_URL), so the fixes are for
units it knows; each user reports for its own slice of the fleet.
"""

from __future__ import annotations

import itertools
import json
import random
import time
import urllib.request
from datetime import UTC, datetime
from typing import Any

from locust import User, constant, task

from loadtests import mqtt_common
from loadtests.api_token import api_token

# Units per locust user; with the default 5 s interval one user sends 40 fixes a second.
UNITS_PER_USER = 200
INTERVAL_S = 5.0
_SLICES = itertools.count()
_FLEET: list[tuple[str, float, float]] = []


def _fleet() -> list[tuple[str, float, float]]:
    """The service's units and their last positions, read once per process."""
    if not _FLEET:
        request = urllib.request.Request(
            f"{mqtt_common.HTTP_URL}/v1/units", headers={"Authorization": f"Bearer {api_token()}"}
        )
        with urllib.request.urlopen(request, timeout=30) as reply:
            for view in json.load(reply):
                unit = view["unit"]
                lon = view.get("lon") or unit["base_lon"]
                lat = view.get("lat") or unit["base_lat"]
                _FLEET.append((unit["callsign"], lon, lat))
    return _FLEET


class AvlFleet(User):
    """A slice of the fleet reporting AVL (QoS 0) every INTERVAL_S seconds."""

    wait_time = constant(INTERVAL_S)
    client: Any = None
    units: list[tuple[str, float, float]]

    def on_start(self) -> None:
        """Take a slice of the fleet and connect before counting."""
        fleet = _fleet()
        start = (next(_SLICES) * UNITS_PER_USER) % max(len(fleet), 1)
        self.units = fleet[start : start + UNITS_PER_USER]
        self.client = mqtt_common.connect("avl")

    def on_stop(self) -> None:
        """Disconnect."""
        self.client.disconnect()
        self.client.loop_stop()

    @task
    def report_positions(self) -> None:
        """One fix from each unit of the slice, a few metres from the last."""
        ts = datetime.now(UTC).isoformat()
        for i, (callsign, lon, lat) in enumerate(self.units):
            lon += random.uniform(-0.0003, 0.0003)
            lat += random.uniform(-0.0002, 0.0002)
            self.units[i] = (callsign, lon, lat)
            body = json.dumps({"lon": lon, "lat": lat, "ts": ts}).encode()
            mqtt_common.publish(
                self.environment, self.client, "avl", mqtt_common.TOPICS.avl(callsign), body, 0
            )
        time.sleep(0)  # let the network greenlet send between slices
