"""The demo's simulated supervisor at the end of the shift, on the HTTP API: waits until the
archiver has the shift's closed incidents, finds them through the history search
(`GET /v1/incidents?status=closed&from=&to=`), reads the KPI report per BCU
(`GET /v1/reports/kpis`) and the alarms raised (`GET /v1/alarms`)."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from service.demo.api_role import ApiRole

_POLL_S = 0.5
# The history search's largest page.
_PAGE = 2_000


@dataclass(frozen=True)
class BcuKpis:
    """One BCU's line of the KPI report over the demo's window, all grades together but the
    median, which is the I grade's (a median of medians would be no median)."""

    area: str
    incidents: int
    dispatched: int
    immediate_median_s: float | None
    within_target: int
    target_decided: int

    @property
    def within_target_pct(self) -> float | None:
        return None if not self.target_decided else 100 * self.within_target / self.target_decided


def bcu_kpis(report: dict[str, Any]) -> list[BcuKpis]:
    """The report's groups (by day and grade) summed per BCU."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for group in report["groups"]:
        groups.setdefault(group["area"], []).append(group)
    lines = []
    for area, found in sorted(groups.items()):
        immediate = [g for g in found if g["grade"] == "I"]
        lines.append(
            BcuKpis(
                area=area,
                incidents=sum(g["incidents"] for g in found),
                dispatched=sum(g["dispatched"] for g in found),
                # One day in the demo's window (two around midnight): the first day's median.
                immediate_median_s=next(
                    (
                        g["call_to_dispatch_median_s"]
                        for g in immediate
                        if g["call_to_dispatch_median_s"] is not None
                    ),
                    None,
                ),
                within_target=sum(g["within_target"] for g in found),
                target_decided=sum(g["target_decided"] for g in found),
            )
        )
    return lines


class Supervisor:
    """Reads back what the shift did, from the history store and the live state."""

    def __init__(self, api: ApiRole) -> None:
        self._api = api

    async def found_in_history(self, start: datetime, end: datetime) -> int | None:
        """How many closed incidents created in [start, end) the history search finds (None:
        it did not answer)."""
        params: dict[str, Any] = {
            "status": "closed",
            "from": start.isoformat(),
            "to": end.isoformat(),
            "limit": _PAGE,
        }
        found = 0
        while True:
            page = await self._api.get("/v1/incidents", "/v1/incidents", params)
            if page is None:
                return None
            found += len(page["incidents"])
            if not page["next_cursor"]:
                return found
            params["cursor"] = page["next_cursor"]

    async def await_archive(
        self, start: datetime, end: datetime, *, closed: int, within_s: float
    ) -> int | None:
        """Search the history until it finds the `closed` incidents or `within_s` passes; what
        it found last."""
        deadline = time.monotonic() + within_s
        found = await self.found_in_history(start, end)
        while (found is None or found < closed) and time.monotonic() < deadline:
            await asyncio.sleep(_POLL_S)
            found = await self.found_in_history(start, end)
        return found

    async def kpis(self, start: datetime, end: datetime) -> list[BcuKpis] | None:
        """The KPI report over [start, end) per BCU (None: it did not answer)."""
        report = await self._api.get(
            "/v1/reports/kpis",
            "/v1/reports/kpis",
            {"from": start.isoformat(), "to": end.isoformat(), "by": "day"},
        )
        return None if report is None else bcu_kpis(report)

    async def alarms(self) -> Counter[str] | None:
        """Alarms the service raised, by kind, whatever their state now."""
        listed = await self._api.get("/v1/alarms", "/v1/alarms", {"limit": 2000})
        if listed is None:
            return None
        return Counter(str(alarm["kind"]) for alarm in listed["alarms"])
