"""Pure rules of acknowledgement: what is overdue, which requirement a unit filled, stray acks."""

from __future__ import annotations

import pytest

from cad.events import UnitStatus as S
from cad.incident_types import Requirement
from dispatch.acks import overdue, requirement_of
from dispatch.status import tasking_refusal


@pytest.mark.parametrize(
    ("statuses", "since", "cutoff", "expected"),
    [
        ({"A": "assigned"}, {"A": 100}, 100, ["A"]),
        ({"A": "assigned"}, {"A": 101}, 100, []),
        ({"A": "en_route"}, {"A": 1}, 100, []),
        ({"A": "unresponsive"}, {"A": 1}, 100, []),
        ({"A": "assigned", "B": "assigned"}, {"A": 50, "B": 10}, 100, ["B", "A"]),
        ({"A": "assigned", "B": "assigned"}, {"A": 10, "B": 10}, 100, ["A", "B"]),
        ({"A": "assigned"}, {}, 100, ["A"]),  # no start time: overdue rather than forgotten
        ({}, {}, 100, []),
    ],
)
def test_overdue(
    statuses: dict[str, str], since: dict[str, int], cutoff: int, expected: list[str]
) -> None:
    assert overdue(statuses, since, cutoff) == expected


PLAN = (
    Requirement(capabilities=("firearms",), count=2),
    Requirement(capabilities=("dog",), count=1),
)


@pytest.mark.parametrize(("position", "expected"), [(1, 0), (2, 0), (3, 1), (4, None), (0, None)])
def test_requirement_of_a_position(position: int, expected: int | None) -> None:
    assert requirement_of(PLAN, position) == expected


@pytest.mark.parametrize(
    ("status", "reported", "current", "refused"),
    [
        (S.EN_ROUTE, "t1", "t1", False),
        (S.EN_ROUTE, None, "t1", False),  # a crew's button press names no tasking
        (S.EN_ROUTE, "t0", "t1", True),  # a late ack of a tasking since replaced
        (S.ON_SCENE, "t0", "t1", True),
        (S.EN_ROUTE, "t1", None, True),  # the unit holds no tasking at all (escalated)
        (S.ON_SCENE, None, None, True),  # on scene at nothing: a unit with no job
        (S.AVAILABLE, "t0", "t1", False),  # clearing is never blocked by a stale id
        (S.BUSY, "t0", None, False),
        (S.LINK_LOST, None, "t1", False),
    ],
)
def test_tasking_refusal(
    status: S, reported: str | None, current: str | None, refused: bool
) -> None:
    reason = tasking_refusal(status, reported, current)
    assert bool(reason) is refused
    if current is None and refused:
        assert reason == f"status: {status.value} with no tasking to work"
    elif refused:
        assert reason == f"tasking_id: {reported} is not the unit's current tasking"
