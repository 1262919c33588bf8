"""The demo's simulated call handler, on the HTTP API as a call handler's screen would be.

It takes its share of the calls by place name (`GET /v1/places?q=`, then `POST /v1/calls` at
the place found, with an AML-like radius), now and then takes a second call about the same job
and links it when the answer names a strong candidate (`POST /v1/incidents/{ref}/links`), logs
remarks (`POST .../log`), and grades with THRIVE whatever waits in the queue ungraded
(`POST .../grade`), the MQTT gateway's calls among them.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass
from typing import Any

from cad.events import CallEvent, CallSource, utcnow
from service.demo.api_role import ApiRole, incident_path

# Of the handler's calls, how many a second caller rings about, and how many get a remark.
_DUPLICATE_SHARE = 0.2
_REMARK_SHARE = 0.3
# How often the handler looks at the queue for ungraded calls, and how old one must be: a
# second caller's call gets its moment to be linked before anyone grades it.
_GRADE_ROUND_S = 1.0
_GRADE_AFTER_MS = 2_000
# What callers ring back with, and handlers note.
REMARKS = (
    "caller rang back: suspects left on foot towards the high street",
    "informant describes a white van, partial index noted",
    "neighbour reports shouting has stopped",
    "caller now in a place of safety",
    "CCTV operator has the area on camera",
)
# THRIVE as handlers record it for the ungraded calls, weighted: I, I, S, S, E.
THRIVE_PROFILES: tuple[tuple[dict[str, Any], float], ...] = (
    ({"threat": "high", "harm": "medium", "risk": "high", "engagement": True}, 0.25),
    ({"harm": "medium", "risk": "medium", "vulnerability": True, "engagement": True}, 0.15),
    ({"risk": "medium", "engagement": True}, 0.3),
    ({"vulnerability": True, "engagement": True}, 0.1),
    ({"investigation": True, "engagement": True}, 0.2),
)


@dataclass
class HandlerTally:
    """What the handler tried (the summary's figures come from the service)."""

    searches: int = 0
    not_found: int = 0


class CallHandler:
    """Takes calls given to it (`take`), and grades the ungraded queue (`grade_round`)."""

    def __init__(
        self, api: ApiRole, place_names: list[str], *, strong_score: float, seed: int
    ) -> None:
        self._api = api
        self._names = place_names
        self._strong = strong_score
        self._rng = random.Random(seed)
        # Grading runs on its own clock: its own generator keeps the calls' draws seeded.
        self._grading_rng = random.Random(f"{seed}-grading")
        self.tally = HandlerTally()
        self.calls: asyncio.Queue[CallEvent] = asyncio.Queue()

    async def run(self) -> None:
        """Take the calls put on `calls`, one at a time, until cancelled."""
        while True:
            await self.take(await self.calls.get())

    async def grade_rounds(self) -> None:
        """Grade the ungraded queue, round after round, until cancelled."""
        while True:
            await self.grade_round()
            await asyncio.sleep(_GRADE_ROUND_S)

    async def take(self, event: CallEvent) -> None:
        """Take one call: where the caller says, the place searched, the call recorded."""
        name = self._rng.choice(self._names)
        self.tally.searches += 1
        found = await self._api.get("/v1/places", "/v1/places", {"q": name, "limit": 5})
        if not found or not found["places"]:
            self.tally.not_found += 1
            return
        place = found["places"][0]
        call = {
            "call_id": event.call_id,
            "received_at": utcnow().isoformat(),
            "source": CallSource.AML.value,
            "location": {
                "lon": place["lon"],
                "lat": place["lat"],
                "radius_m": round(self._rng.uniform(15, 250), 1),
            },
            "incident_type": event.incident_type,
            "grade": None if event.grade is None else event.grade.value,
            "text": f"caller at {place['name']}",
        }
        recorded = await self._api.post("/v1/calls", "/v1/calls", call)
        if recorded is None:
            return
        ref = recorded["incident"]["incident"]["ref"]
        if self._rng.random() < _REMARK_SHARE:
            text = self._rng.choice(REMARKS)
            await self._api.post(
                "/v1/incidents/{ref}/log", incident_path(ref, "log"), {"text": text}
            )
        if event.incident_type is not None and self._rng.random() < _DUPLICATE_SHARE:
            await self._second_caller(call)

    async def _second_caller(self, first: dict[str, Any]) -> None:
        """A second caller about the same job: recorded ungraded, then linked to the strongest
        candidate the answer names, if strong enough (its own incident is then cancelled)."""
        call = {
            **first,
            "call_id": f"{first['call_id']}-2",
            "received_at": utcnow().isoformat(),
            "source": CallSource.EMERGENCY_999.value,
            "grade": None,
            "text": "second caller, same incident",
        }
        recorded = await self._api.post("/v1/calls", "/v1/calls", call)
        if recorded is None:
            return
        own = recorded["incident"]["incident"]["ref"]
        strong = [
            c for c in recorded["candidates"] if c["ref"] != own and c["score"] >= self._strong
        ]
        if strong:
            best = max(strong, key=lambda c: c["score"])
            await self._api.post(
                "/v1/incidents/{ref}/links",
                incident_path(best["ref"], "links"),
                {"call_id": call["call_id"]},
            )

    async def grade_round(self) -> None:
        """Grade with THRIVE every ungraded call that has waited its moment in the queue."""
        queue = await self._api.get(
            "/v1/incidents", "/v1/incidents", {"status": "pending", "limit": 200}
        )
        if not queue:
            return
        now_ms = int(time.time() * 1000)
        profiles = [p for p, _ in THRIVE_PROFILES]
        weights = [w for _, w in THRIVE_PROFILES]
        for view in queue["incidents"]:
            incident = view["incident"]
            if incident["grade"] is not None or now_ms - incident["created_ms"] < _GRADE_AFTER_MS:
                continue
            thrive = self._grading_rng.choices(profiles, weights=weights)[0]
            await self._api.post(
                "/v1/incidents/{ref}/grade",
                incident_path(incident["ref"], "grade"),
                {"thrive": thrive},
            )
