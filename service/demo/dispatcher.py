"""The demo's simulated dispatcher, on the HTTP API as a dispatcher's screen would be.

It closes every incident whose units have all cleared with a result a dispatcher would
plausibly give for its type (`GET /v1/incidents?status=awaiting_result`, then
`POST /v1/incidents/{ref}/close`). Every few seconds it looks at the open incidents: diverts a
travelling unit from a lower-grade job to the highest incident waiting in the queue
(`POST /v1/units/{callsign}/divert`), accepts the recommendation for those the queue has held a
while, the E grades the service leaves to a dispatcher among them
(`POST /v1/incidents/{ref}/dispatch`: a 409 when no unit can go yet), and refers those graded R
(`POST /v1/incidents/{ref}/refer`).
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any
from urllib.parse import quote

from service.demo.api_role import ApiRole, incident_path

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
# How often the dispatcher looks at the result queue, and at the open incidents (real s).
_ROUND_S = 0.5
_QUEUE_EVERY_S = 3.0
# Highest first; an ungraded incident is never a diversion's target.
_GRADE_RANK = {"I": 0, "S": 1, "E": 2, "R": 3}
# The queue's incidents the dispatcher sends units to each round (oldest of the highest grade
# first), once they have waited this long (I and S for the automatic dispatch), and the R
# grades it refers each round.
_DISPATCH_PER_ROUND = 5
_DISPATCH_AFTER_MS = 3_000
# A unit still travelling can be turned round; one on scene is left to finish.
_DIVERTIBLE = ("assigned", "en_route")


class Dispatcher:
    """Closes what awaits a result (`close_waiting`) and works the queue (`work_queue`)."""

    def __init__(self, api: ApiRole, *, seed: int) -> None:
        self._api = api
        self._rng = random.Random(seed)

    async def run(self) -> None:
        """Close, dispatch and divert, round after round, until cancelled."""
        next_look = time.monotonic() + _QUEUE_EVERY_S
        while True:
            await self.close_waiting()
            if time.monotonic() >= next_look:
                next_look += _QUEUE_EVERY_S
                await self.work_queue()
            await asyncio.sleep(_ROUND_S)

    async def close_waiting(self) -> None:
        """Close every incident awaiting its result now, each with a result for its type."""
        waiting = await self._api.get(
            "/v1/incidents", "/v1/incidents", {"status": "awaiting_result", "limit": 500}
        )
        for view in (waiting or {"incidents": []})["incidents"]:
            incident = view["incident"]
            code = self._rng.choice(
                RESULTS_BY_TYPE.get(incident["incident_type"] or "", _OTHERWISE)
            )
            await self._api.post(
                "/v1/incidents/{ref}/close",
                incident_path(incident["ref"], "close"),
                {"code": code, "note": "result given by the demo dispatcher"},
            )

    async def work_queue(self) -> None:
        """One look at the open incidents: divert a unit to the highest incident waiting, send
        units to those the queue has held a while, refer those graded R."""
        listed = await self._api.get(
            "/v1/incidents", "/v1/incidents", {"status": "open", "limit": 2000}
        )
        if listed is None:
            return
        open_ = [v["incident"] for v in listed["incidents"]]
        now_ms = int(time.time() * 1000)
        waiting = sorted(
            (i for i in open_ if i["status"] == "pending" and i["grade"] in _GRADE_RANK),
            key=lambda i: (_GRADE_RANK[i["grade"]], i["received_ms"]),
        )
        if waiting:
            await self._divert_to(waiting[0], open_)
        held = [i for i in waiting if now_ms - i["created_ms"] >= _DISPATCH_AFTER_MS]
        for incident in held[:_DISPATCH_PER_ROUND]:
            await self._api.post(
                "/v1/incidents/{ref}/dispatch", incident_path(incident["ref"], "dispatch"), {}
            )
        referable = [i for i in open_ if i["status"] == "new" and i["grade"] == "R"]
        for incident in referable[:_DISPATCH_PER_ROUND]:
            await self._api.post(
                "/v1/incidents/{ref}/refer",
                incident_path(incident["ref"], "refer"),
                {"note": "referred to the front counter: no police attendance"},
            )

    async def _divert_to(self, target: dict[str, Any], open_: list[dict[str, Any]]) -> None:
        """Send a travelling unit of the target's area from a lower-grade job to it."""
        units = await self._api.get("/v1/units", "/v1/units", {"area": target["area"]})
        if not units:
            return
        grades = {i["ref"]: i["grade"] for i in open_}
        rank = _GRADE_RANK[target["grade"]]
        lower = [
            (u["unit"]["callsign"], grades[u["incident_ref"]])
            for u in units
            if u["status"] in _DIVERTIBLE
            and grades.get(u["incident_ref"]) in _GRADE_RANK
            and _GRADE_RANK[grades[u["incident_ref"]]] > rank
        ]
        if not lower:
            return
        callsign, grade = self._rng.choice(lower)
        await self._api.post(
            "/v1/units/{callsign}/divert",
            f"/v1/units/{quote(callsign, safe='')}/divert",
            {
                "incident_ref": target["ref"],
                "reason": f"nearer a grade {target['grade']} call than its {grade} job",
            },
        )
