"""The demo's simulated dispatcher, on the HTTP API as a dispatcher's screen would be.

It closes every incident whose units have all cleared with a result a dispatcher would
plausibly give for its type (`GET /v1/incidents?status=awaiting_result`, then
`POST /v1/incidents/{ref}/close`), and now and then diverts a unit from a lower-grade job to a
higher-grade incident waiting in the queue (`POST /v1/units/{callsign}/divert`).
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any
from urllib.parse import quote

from service.demo.api_role import ApiRole

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
# How often the dispatcher looks at the result queue, and at the queue for a diversion (real s).
_ROUND_S = 0.5
_DIVERT_EVERY_S = 3.0
# Highest first; an ungraded incident is never a diversion's target.
_GRADE_RANK = {"I": 0, "S": 1, "E": 2, "R": 3}
# A unit still travelling can be turned round; one on scene is left to finish.
_DIVERTIBLE = ("assigned", "en_route")


class Dispatcher:
    """Closes what awaits a result (`close_waiting`) and diverts units (`divert_once`)."""

    def __init__(self, api: ApiRole, *, seed: int) -> None:
        self._api = api
        self._rng = random.Random(seed)

    async def run(self) -> None:
        """Close and divert, round after round, until cancelled."""
        next_divert = time.monotonic() + _DIVERT_EVERY_S
        while True:
            await self.close_waiting()
            if time.monotonic() >= next_divert:
                next_divert += _DIVERT_EVERY_S
                await self.divert_once()
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
                f"/v1/incidents/{quote(incident['ref'], safe='/')}/close",
                {"code": code, "note": "result given by the demo dispatcher"},
            )

    async def divert_once(self) -> None:
        """Send a travelling unit from a lower-grade job to the highest incident in the queue."""
        queue = await self._api.get(
            "/v1/incidents", "/v1/incidents", {"status": "pending", "limit": 50}
        )
        waiting = [
            v["incident"]
            for v in (queue or {"incidents": []})["incidents"]
            if v["incident"]["grade"] in _GRADE_RANK
        ]
        if not waiting:
            return
        target = min(waiting, key=lambda i: (_GRADE_RANK[i["grade"]], i["received_ms"]))
        unit = await self._lower_job_unit(target)
        if unit is None:
            return
        reason = f"nearer a grade {target['grade']} call than its {unit[1]} job"
        await self._api.post(
            "/v1/units/{callsign}/divert",
            f"/v1/units/{quote(unit[0], safe='')}/divert",
            {"incident_ref": target["ref"], "reason": reason},
        )

    async def _lower_job_unit(self, target: dict[str, Any]) -> tuple[str, str] | None:
        """A travelling unit of the target's area on a lower-grade job: (callsign, its grade)."""
        units = await self._api.get("/v1/units", "/v1/units", {"area": target["area"]})
        open_ = await self._api.get(
            "/v1/incidents", "/v1/incidents", {"status": "open", "limit": 2000}
        )
        if not units or not open_:
            return None
        grades = {v["incident"]["ref"]: v["incident"]["grade"] for v in open_["incidents"]}
        rank = _GRADE_RANK[target["grade"]]
        lower = [
            (u["unit"]["callsign"], grades[u["incident_ref"]])
            for u in units
            if u["status"] in _DIVERTIBLE
            and grades.get(u["incident_ref"]) in _GRADE_RANK
            and _GRADE_RANK[grades[u["incident_ref"]]] > rank
        ]
        return self._rng.choice(lower) if lower else None
