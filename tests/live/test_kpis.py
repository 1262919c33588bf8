"""The KPI panel's figures from audit entries. Pure."""

from __future__ import annotations

import pytest

from service.live.kpis import HOUR_MS, IncidentTimes, Kpis, compute_kpis

NOW = 10 * HOUR_MS
MIN = 60_000


def created(ref: str, at: int) -> dict[str, str]:
    return {"type": "incident_created", "ref": ref, "ts_ms": str(at)}


def assigned(ref: str, at: int) -> dict[str, str]:
    return {"type": "unit_assigned", "ref": ref, "callsign": "CW1", "ts_ms": str(at)}


def on_scene(ref: str, at: int) -> dict[str, str]:
    return {"type": "unit_status", "status": "on_scene", "ref": ref, "ts_ms": str(at)}


def test_nothing_happened() -> None:
    assert compute_kpis([], {}, now_ms=NOW) == Kpis(0, None, 0, None, 0, None, None)


def test_calls_count_created_and_linked_calls_of_the_last_hour_only() -> None:
    entries = [
        created("A", NOW - HOUR_MS - 1),
        created("B", NOW - HOUR_MS),
        {"type": "call_linked", "ref": "B", "ts_ms": str(NOW - 5)},
        {"type": "unit_registered", "callsign": "X", "ts_ms": str(NOW - 5)},
        {"type": "incident_created", "ref": "C", "ts_ms": "not a number"},
    ]
    assert compute_kpis(entries, {}, now_ms=NOW).calls_last_hour == 2


@pytest.mark.parametrize(
    ("arrival_after_min", "age_min", "pct", "decided"),
    [
        (14, 30, 100.0, 1),  # on scene inside the target
        (15, 30, 100.0, 1),  # exactly on the target counts as met
        (16, 30, 0.0, 1),  # late
        (None, 30, 0.0, 1),  # nobody there and the target has passed
        (None, 10, None, 0),  # nobody there yet, still inside the target: undecided
    ],
)
def test_immediate_attendance_within_15_minutes(
    arrival_after_min: int | None, age_min: int, pct: float | None, decided: int
) -> None:
    received = NOW - age_min * MIN
    entries = [created("I1", received), assigned("I1", received + MIN)]
    if arrival_after_min is not None:
        entries.append(on_scene("I1", received + arrival_after_min * MIN))
    kpis = compute_kpis(entries, {"I1": IncidentTimes("I", received)}, now_ms=NOW)
    assert (kpis.i_within_target_pct, kpis.i_decided) == (pct, decided)
    assert kpis.s_decided == 0


def test_significant_target_is_an_hour_and_shares_are_rounded() -> None:
    received = NOW - 59 * MIN
    incidents = {ref: IncidentTimes("S", received) for ref in ("S1", "S2", "S3")}
    entries = [
        *(created(ref, received) for ref in incidents),
        on_scene("S1", received + 50 * MIN),
        on_scene("S2", received + 58 * MIN),
        {"type": "unit_status", "status": "en_route", "ref": "S3", "ts_ms": str(NOW - 1)},
    ]
    kpis = compute_kpis(entries, incidents, now_ms=NOW)
    assert (kpis.s_within_target_pct, kpis.s_decided) == (100.0, 2)


@pytest.mark.parametrize(
    ("dispatch_after_s", "arrive_after_s", "c2d", "d2a"),
    [
        ([30], [300], 30.0, 270.0),
        ([30, 60, 90], [300, 600, 900], 60.0, 540.0),
        ([10, 20], [None, 50], 15.0, 30.0),
    ],
)
def test_median_intervals_from_the_first_assignment_and_first_arrival(
    dispatch_after_s: list[int], arrive_after_s: list[int | None], c2d: float, d2a: float
) -> None:
    received = NOW - 20 * MIN
    entries, incidents = [], {}
    for n, (d, a) in enumerate(zip(dispatch_after_s, arrive_after_s, strict=True)):
        ref = f"R{n}"
        incidents[ref] = IncidentTimes("E", received)
        entries += [created(ref, received), assigned(ref, received + d * 1000)]
        # A second unit later changes neither interval: the first one counts.
        entries.append(assigned(ref, received + d * 1000 + 5000))
        if a is not None:
            entries += [on_scene(ref, received + a * 1000), on_scene(ref, received + a * 2000)]
    kpis = compute_kpis(entries, incidents, now_ms=NOW)
    assert kpis.median_call_to_dispatch_s == c2d
    assert kpis.median_dispatch_to_arrival_s == d2a
    assert kpis.to_json()["calls_last_hour"] == len(dispatch_after_s)
