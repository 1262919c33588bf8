"""Reading a call-event log for `cad replay`: what is published, when, and what is refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from cad.clock_bounds import ClockBounds
from service.replay_file import ReplayPlan, plan_replay

T0 = datetime(2026, 11, 22, 21, 0, tzinfo=UTC)
# The log's calls were received from T0 on; it is replayed two hours later.
NOW = T0 + timedelta(hours=2)
BOUNDS = ClockBounds(skew_s=60.0, max_age_s=24 * 3600.0)


def plan(
    lines: list[str], *, speed: float = 0.0, restamp: bool = False, now: datetime = NOW
) -> ReplayPlan:
    return plan_replay(
        lines, max_bytes=16_384, speed=speed, now=now, restamp=restamp, clock_bounds=BOUNDS
    )


def _line(call_id: str, after_s: float, **extra: object) -> str:
    event = {
        "call_id": call_id, "received_at": (T0 + timedelta(seconds=after_s)).isoformat(),
        "source": "999", "location": {"lon": -0.1281, "lat": 51.508}, **extra,
    }  # fmt: skip
    return json.dumps(event)


def _at(call_id: str, received_at: str) -> str:
    return json.dumps({"call_id": call_id, "received_at": received_at, "source": "999",
                       "location": {"lon": -0.1281, "lat": 51.508}})  # fmt: skip


@pytest.mark.parametrize(
    ("speed", "offsets"),
    [(0.0, [0.0, 0.0, 0.0]), (1.0, [0.0, 10.0, 30.0]), (10.0, [0.0, 1.0, 3.0])],
    ids=["at-once", "own-pace", "ten-times"],
)
def test_events_are_due_in_order_at_their_spacing_over_the_speed(
    speed: float, offsets: list[float]
) -> None:
    lines = [_line("c", 30), _line("a", 0), _line("b", 10)]
    planned = plan(lines, speed=speed)
    assert [e.call_id for _, e in planned.events] == ["a", "b", "c"]
    assert [due for due, _ in planned.events] == offsets
    assert [e.received_at for _, e in planned.events] == [
        T0 + timedelta(seconds=s) for s in (0, 10, 30)
    ]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        (_line("x", 0, grade="Z"), "grade"),
        (json.dumps({"call_id": "y", "source": "999"}), "received_at"),
        (_line("z", 0, text="x" * 20_000), "exceeds the limit"),
    ],
    ids=["not-json", "not-object", "bad-grade", "missing-field", "too-large"],
)
def test_a_bad_line_is_refused_with_its_number_and_reason(line: str, reason: str) -> None:
    planned = plan([_line("ok", 0), "", "# a comment", line])
    assert [e.call_id for _, e in planned.events] == ["ok"]
    assert len(planned.refused) == 1
    assert planned.refused[0].line == 4
    assert reason in planned.refused[0].reason


@pytest.mark.parametrize(
    ("field", "value"),
    [("location.lat", True), ("location.lat", "51.5"), ("location.lon", None),
     ("received_at", 1_764_806_400), ("call_id", 7)],
)  # fmt: skip
def test_a_line_of_the_wrong_types_is_refused_naming_the_field(field: str, value: object) -> None:
    event = json.loads(_line("x", 0))
    *parent, leaf = field.split(".")
    (event[parent[0]] if parent else event)[leaf] = value
    planned = plan([_line("ok", 0), json.dumps(event)])
    assert [e.call_id for _, e in planned.events] == ["ok"]
    assert [r.line for r in planned.refused] == [2]
    assert planned.refused[0].reason.startswith(f"{field}: ")


def test_a_line_out_of_the_clock_bounds_is_refused_naming_it_and_does_not_pace_the_rest() -> None:
    lines = [
        _line("a", 0),
        _at("future", "9999-12-31T00:00:00Z"),
        _line("b", 30),
        _at("epoch", "1970-01-01T00:00:00Z"),
        _at("ahead", (NOW + timedelta(minutes=5)).isoformat()),
        _at("old", (NOW - timedelta(hours=25)).isoformat()),
    ]
    planned = plan(lines, speed=1.0)
    # Neither the year 9999 nor 1970 sets the pace: the good calls keep their 30 s apart.
    assert [(due, e.call_id) for due, e in planned.events] == [(0.0, "a"), (30.0, "b")]
    refused = {r.line: r.reason for r in planned.refused}
    assert sorted(refused) == [2, 4, 5, 6]
    assert all(reason.startswith("received_at: ") for reason in refused.values())
    assert "ahead of the service clock (allowed skew 60 s)" in refused[2]
    assert "behind the service clock (maximum age 86400 s)" in refused[4]
    assert "300 s ahead" in refused[5]
    assert "90000 s behind" in refused[6]


@pytest.mark.parametrize(
    ("speed", "offsets"), [(1.0, [0, 90]), (10.0, [0, 9]), (0.0, [0, 0])],
    ids=["own-pace", "ten-times", "at-once"],
)  # fmt: skip
def test_restamping_stamps_each_call_when_it_is_sent(speed: float, offsets: list[int]) -> None:
    # At their own pace the spacing is kept; faster, it shrinks with the pace; at once, none:
    # a call is never stamped ahead of when it goes, so none is ahead of the service's clock.
    start = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    planned = plan([_line("a", 0), _line("b", 90)], speed=speed, restamp=True, now=start)
    assert [e.received_at for _, e in planned.events] == [
        start + timedelta(seconds=s) for s in offsets
    ]
    assert [due for due, _ in planned.events] == [float(s) for s in offsets]


def test_with_restamping_no_line_is_out_of_bounds() -> None:
    planned = plan([_line("a", 0), _at("epoch", "9999-12-31T00:00:00Z")], restamp=True)
    assert planned.refused == ()
    assert [e.received_at for _, e in planned.events] == [NOW, NOW]


def test_repeated_call_ids_are_counted_and_kept() -> None:
    planned = plan([_line("a", 0), _line("a", 1), _line("b", 2)])
    assert len(planned.events) == 3
    assert planned.repeated_ids == 1
