"""The supervisors' KPIs from an hour of audit entries. Pure: no I/O."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

HOUR_MS = 3_600_000
# The attendance targets of the grades that have one (I: 15 minutes, S: 60 minutes).
TARGET_MS: Mapping[str, int] = {"I": 15 * 60_000, "S": 60 * 60_000}
_CALL_TYPES = frozenset({"incident_created", "call_linked"})


@dataclass(frozen=True)
class IncidentTimes:
    """What the KPIs need of one incident: its grade and when its first call was received."""

    grade: str | None
    received_ms: int


@dataclass(frozen=True)
class Kpis:
    """The KPI panel; a share or median is None when nothing has been decided yet."""

    calls_last_hour: int
    i_within_target_pct: float | None
    i_decided: int
    s_within_target_pct: float | None
    s_decided: int
    median_call_to_dispatch_s: float | None
    median_dispatch_to_arrival_s: float | None

    def to_json(self) -> dict[str, Any]:
        """A plain dict for the wire."""
        return asdict(self)


def compute_kpis(
    entries: Iterable[Mapping[str, str]],
    incidents: Mapping[str, IncidentTimes],
    *,
    now_ms: int,
) -> Kpis:
    """KPIs of the incidents created in the hour before `now_ms`, from their audit entries."""
    since = now_ms - HOUR_MS
    calls = 0
    dispatched: dict[str, int] = {}
    arrived: dict[str, int] = {}
    for entry in entries:
        ts = _int(entry.get("ts_ms"))
        if ts is None or ts < since:
            continue
        kind, ref = entry.get("type"), entry.get("ref", "")
        if kind in _CALL_TYPES:
            calls += 1
        elif kind == "unit_assigned" and ref:
            dispatched.setdefault(ref, ts)
        elif kind == "unit_status" and entry.get("status") == "on_scene" and ref:
            arrived.setdefault(ref, ts)
    i_pct, i_decided = _within_target("I", incidents, arrived, now_ms)
    s_pct, s_decided = _within_target("S", incidents, arrived, now_ms)
    received = {ref: inc.received_ms for ref, inc in incidents.items()}
    to_dispatch = [(ts - received[ref]) / 1000 for ref, ts in dispatched.items() if ref in received]
    to_arrival = [(ts - dispatched[ref]) / 1000 for ref, ts in arrived.items() if ref in dispatched]
    return Kpis(
        calls_last_hour=calls,
        i_within_target_pct=i_pct,
        i_decided=i_decided,
        s_within_target_pct=s_pct,
        s_decided=s_decided,
        median_call_to_dispatch_s=_median(to_dispatch),
        median_dispatch_to_arrival_s=_median(to_arrival),
    )


def _within_target(
    grade: str, incidents: Mapping[str, IncidentTimes], arrived: Mapping[str, int], now_ms: int
) -> tuple[float | None, int]:
    # An incident is decided once a unit is on scene or its target has passed without one;
    # one still inside its target counts neither way yet.
    target = TARGET_MS[grade]
    met = decided = 0
    for ref, inc in incidents.items():
        if inc.grade != grade:
            continue
        arrival = arrived.get(ref)
        if arrival is not None:
            decided += 1
            met += arrival - inc.received_ms <= target
        elif now_ms - inc.received_ms > target:
            decided += 1
    return (round(100 * met / decided, 1) if decided else None), decided


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None
