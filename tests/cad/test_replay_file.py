"""Reading a call-event log for `cad replay`: what is published, when, and what is refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from cad.replay_file import plan_replay

T0 = datetime(2026, 11, 22, 21, 0, tzinfo=UTC)


def _line(call_id: str, after_s: float, **extra: object) -> str:
    event = {
        "call_id": call_id, "received_at": (T0 + timedelta(seconds=after_s)).isoformat(),
        "source": "999", "location": {"lon": -0.1281, "lat": 51.508}, **extra,
    }  # fmt: skip
    return json.dumps(event)


@pytest.mark.parametrize(
    ("speed", "offsets"),
    [(0.0, [0.0, 0.0, 0.0]), (1.0, [0.0, 10.0, 30.0]), (10.0, [0.0, 1.0, 3.0])],
    ids=["at-once", "own-pace", "ten-times"],
)
def test_events_are_due_in_order_at_their_spacing_over_the_speed(
    speed: float, offsets: list[float]
) -> None:
    lines = [_line("c", 30), _line("a", 0), _line("b", 10)]
    plan = plan_replay(lines, max_bytes=16_384, speed=speed, restamp_from=None)
    assert [e.call_id for _, e in plan.events] == ["a", "b", "c"]
    assert [due for due, _ in plan.events] == offsets
    assert [e.received_at for _, e in plan.events] == [
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
    plan = plan_replay([_line("ok", 0), "", "# a comment", line], max_bytes=16_384, speed=0.0,
                       restamp_from=None)  # fmt: skip
    assert [e.call_id for _, e in plan.events] == ["ok"]
    assert len(plan.refused) == 1
    assert plan.refused[0].line == 4
    assert reason in plan.refused[0].reason


def test_restamping_keeps_the_spacing_from_the_new_start() -> None:
    start = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    plan = plan_replay([_line("a", 0), _line("b", 90)], max_bytes=16_384, speed=1.0,
                       restamp_from=start)  # fmt: skip
    assert [e.received_at for _, e in plan.events] == [start, start + timedelta(seconds=90)]
    assert [due for due, _ in plan.events] == [0.0, 90.0]


def test_repeated_call_ids_are_counted_and_kept() -> None:
    plan = plan_replay([_line("a", 0), _line("a", 1), _line("b", 2)], max_bytes=16_384,
                       speed=0.0, restamp_from=None)  # fmt: skip
    assert len(plan.events) == 3
    assert plan.repeated_ids == 1
