"""The demo's simulated dispatchers: every incident whose units have all cleared is closed with
a result code a dispatcher would plausibly give for its type, through the same script as
`POST /v1/incidents/{ref}/close`, so that `cad demo` runs incidents through their whole life."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter

from prometheus_client import Counter as MetricCounter
from redis.asyncio import Redis

from cad.incident_record import IncidentStatus
from cad.result_codes import ResultCatalogue
from cad.unreadable import UnreadableRecords
from callhandling.lifecycle import ALLOWED_FROM
from callhandling.lua.set_incident_status import set_incident_status
from callhandling.queue import awaiting_results
from callhandling.scripts import register_call_scripts

# Results a dispatcher would give for each of the demo's incident types.
RESULTS_BY_TYPE: dict[str, tuple[str, ...]] = {
    "violence": ("arrest", "crime_reported", "no_trace"),
    "burglary_in_progress": ("arrest", "crime_reported", "no_trace"),
    "rtc_injury": ("rtc_reported", "road_obstruction_cleared"),
    "domestic": ("arrest", "crime_reported", "advice_given"),
    "concern_for_welfare": ("person_found_safe", "no_police_action"),
    "asb": ("asb_nuisance", "asb_personal", "advice_given"),
    "alarm_activation": ("false_alarm", "no_trace"),
    "theft_report": ("crime_reported", "no_trace"),
    "lost_property": ("no_police_action",),
}
_OTHERWISE = ("resolved",)
# How often the simulated dispatchers look at the result queue (real seconds).
_ROUND_S = 0.5
_ACTOR = "demo:dispatcher"


class ResultGiver:
    """Closes incidents awaiting their result, counting results by category."""

    def __init__(self, redis: Redis, results: ResultCatalogue, *, seed: int) -> None:
        self._redis = redis
        self._scripts = register_call_scripts(redis)
        self._results = results
        self._rng = random.Random(seed)
        self.by_category: Counter[str] = Counter()
        # The demo has no metrics endpoint: an unreadable record is logged, counted nowhere.
        self._unreadable = MetricCounter(
            "cad_demo_unreadable_records", "unread", ["kind"], registry=None
        )

    async def run(self) -> None:
        """Close what awaits a result, round after round, until cancelled."""
        while True:
            await self.close_waiting()
            await asyncio.sleep(_ROUND_S)

    async def close_waiting(self) -> int:
        """Close every incident awaiting its result now; how many were closed."""
        waiting = await awaiting_results(
            self._redis, limit=500, unreadable=UnreadableRecords(self._unreadable)
        )
        closed = 0
        for incident in waiting:
            code = self._rng.choice(RESULTS_BY_TYPE.get(incident.incident_type or "", _OTHERWISE))
            category = self._results.codes[code].category.value
            answer = await set_incident_status(
                self._scripts, area=incident.area, ref=incident.ref,
                target=IncidentStatus.CLOSED, allowed_from=ALLOWED_FROM[IncidentStatus.CLOSED],
                closing_code=code, category=category, note="", pending_score=0,
                now_ms=int(time.time() * 1000), actor=_ACTOR,
            )  # fmt: skip
            if answer.outcome == "ok":
                closed += 1
                self.by_category[category] += 1
        return closed
