"""Choosing units to borrow from other areas: pure, case by case."""

from __future__ import annotations

import pytest

from cad.incident_types import Requirement
from dispatch.lenders import Loan, by_area, choose_loans
from dispatch.recommendation import Candidate

RESPONSE = Requirement(capabilities=("response",), count=1)
ARMED_2 = Requirement(capabilities=("firearms",), count=2)


def _at(
    area: str,
    callsign: str,
    distance_m: float,
    *caps: str,
    status: str = "available",
    fix_ms: int | None = None,
) -> tuple[str, Candidate]:
    return area, Candidate(callsign, distance_m, status, frozenset(caps or ("response",)), fix_ms)


@pytest.mark.parametrize(
    ("plan", "candidates", "expected"),
    [
        # The nearest unit wins, whatever its area.
        ((RESPONSE,), [_at("CN", "N1", 900), _at("CS", "S1", 400)], [("S1", "CS")]),
        # A plan spread over two areas, in plan order.
        (
            (ARMED_2, RESPONSE),
            [_at("CS", "S1", 300), _at("CN", "A1", 800, "firearms"),
             _at("SO", "A2", 5_000, "firearms")],
            [("A1", "CN"), ("A2", "SO"), ("S1", "CS")],
        ),
        # A busy or stale unit is passed over for a farther one.
        (
            (RESPONSE,),
            [_at("CS", "S1", 100, status="assigned"), _at("CS", "S2", 200, fix_ms=5),
             _at("CN", "N1", 3_000)],
            [("N1", "CN")],
        ),
        # Not the whole plan: nothing is borrowed.
        ((ARMED_2,), [_at("CN", "A1", 800, "firearms")], None),
        # An empty plan borrows nothing.
        ((), [_at("CS", "S1", 100)], None),
        ((RESPONSE,), [], None),
    ],
)  # fmt: skip
def test_choose_loans(
    plan: tuple[Requirement, ...],
    candidates: list[tuple[str, Candidate]],
    expected: list[tuple[str, str]] | None,
) -> None:
    loans = choose_loans(plan, candidates, stale_before_ms=1_000)
    assert (None if loans is None else [(x.callsign, x.area) for x in loans]) == expected


def test_loans_are_grouped_by_area_nearest_area_first() -> None:
    loans = (Loan("A", "SO", 900.0), Loan("B", "CS", 200.0), Loan("C", "SO", 100.0))
    groups = by_area(loans)
    assert list(groups) == ["SO", "CS"]
    assert [x.callsign for x in groups["SO"]] == ["C", "A"]
