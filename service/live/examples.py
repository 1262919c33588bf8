"""OpenAPI examples of the live map's answers, which are plain dicts and an event stream: the
fight at Trafalgar Square (CAD 0042/04DEC26) with CW31 and CW32 sent to it."""

from __future__ import annotations

from typing import Any

from service.live import frames

_ROW: dict[str, Any] = {
    "ref": "CAD 0042/04DEC26", "area": "CW", "status": "dispatched", "grade": "I",
    "incident_type": "violence", "source": "999", "lon": -0.1281, "lat": 51.508,
    "radius_m": 35.0, "received_ms": 1796365440699, "created_ms": 1796365440724,
    "dispatched_ms": 1796365440724, "units": ["CW31", "CW32"], "call_count": 1,
    "queue_score": None,
}  # fmt: skip
_UNIT: dict[str, Any] = {
    "callsign": "CW31", "area": "CW", "unit_type": "irv", "status": "assigned",
    "lon": -0.129871, "lat": 51.509412, "fix_ms": 1796365470000, "ref": "CAD 0042/04DEC26",
}  # fmt: skip
_CREATED: dict[str, Any] = {
    "type": "incident_created", "ref": "CAD 0042/04DEC26", "call_id": "999-20261204-0042",
    "actor": "user:PC0001(call_handler)", "ts_ms": "1796365440724", "id": "1796365440726-0",
}  # fmt: skip
_ASSIGNED: dict[str, Any] = {
    "type": "unit_assigned", "ref": "CAD 0042/04DEC26", "callsign": "CW31",
    "tasking_id": "a478a636ab4befd8e9efeafa55ed1d1e", "distance_m": "258.2718",
    "actor": "user:PC0001(call_handler)", "ts_ms": "1796365440724", "id": "1796365440726-1",
}  # fmt: skip

SNAPSHOT: dict[str, Any] = {
    "now_ms": 1796365501322, "stale_fix_s": 90.0, "cursor": {"CW": "1796365441244-0"},
    "units": [
        _UNIT,
        {**_UNIT, "callsign": "CW32", "status": "available", "lon": -0.135, "lat": 51.5,
         "fix_ms": None, "ref": None},
    ],
    "incidents": [_ROW],
    "queue": [],
}  # fmt: skip

KPIS: dict[str, Any] = {
    "calls_last_hour": 14, "i_within_target_pct": 87.5, "i_decided": 8,
    "s_within_target_pct": 100.0, "s_decided": 3, "median_call_to_dispatch_s": 48.2,
    "median_dispatch_to_arrival_s": 412.0, "at_ms": 1796365501325,
}  # fmt: skip

CHRONOLOGY: dict[str, Any] = {
    "incident": _ROW,
    "entries": [_CREATED, _ASSIGNED],
    "calls": [{"call_id": "999-20261204-0042", "received_ms": 1796365440699}],
    "truncated": False,
}  # fmt: skip

# Westminster's outline, cut down to a few points (the real one has hundreds).
BOUNDARIES: dict[str, Any] = {
    "type": "FeatureCollection",
    "features": [{
        "type": "Feature",
        "properties": {"kind": "borough", "name": "Westminster", "bcu": "CW"},
        "geometry": {"type": "Polygon", "coordinates": [[
            [-0.15587, 51.48961], [-0.1116, 51.5101], [-0.1439, 51.5337], [-0.2113, 51.5287],
            [-0.15587, 51.48961],
        ]]},
    }],
}  # fmt: skip

STREETS: dict[str, Any] = {
    "type": "FeatureCollection",
    "features": [{
        "type": "Feature",
        "properties": {"class": "major"},
        "geometry": {"type": "MultiLineString", "coordinates": [
            [[-0.12805, 51.50736], [-0.12762, 51.50701]],
        ]},
    }],
}  # fmt: skip

# What a client reads first: the reconnection delay, the cursor, then one event of each kind.
EVENT_STREAM = "".join([
    frames.retry(),
    frames.comment("cursor CW=1796365440000-0"),
    frames.frame(
        "audit", [{**_ASSIGNED, "area": "CW", "incidents": [_ROW], "unit": _UNIT}],
        event_id="CW=1796365440726-1",
    ),
    frames.frame("positions", [["CW31", -0.129871, 51.509412, 1796365470000]]),
    frames.frame("kpis", KPIS),
])  # fmt: skip
