"""Recommendation ranking and explanations: pure, many cases."""

from __future__ import annotations

import pytest

from cad.incident_types import Requirement
from dispatch.recommendation import Candidate, recommend

RESPONSE = Requirement(capabilities=("response",), count=1)
TWO_RESPONSE = Requirement(capabilities=("response",), count=2)
FIREARMS = Requirement(capabilities=("firearms",), count=1)
NOW = 1_000_000
STALE_BEFORE = NOW - 90_000


def unit(
    callsign: str,
    distance_m: float,
    status: str = "available",
    caps: tuple[str, ...] = ("response",),
    fix_ms: int | None = NOW - 5_000,
    ref: str | None = None,
) -> Candidate:
    return Candidate(callsign, distance_m, status, frozenset(caps), fix_ms, ref)


@pytest.mark.parametrize(
    ("plan", "candidates", "chosen", "complete"),
    [
        ((RESPONSE,), [unit("A", 900), unit("B", 300)], ["B"], True),
        ((TWO_RESPONSE,), [unit("A", 900), unit("B", 300), unit("C", 100)], ["C", "B"], True),
        ((TWO_RESPONSE,), [unit("A", 900)], ["A"], False),
        ((RESPONSE,), [], [], False),
        ((FIREARMS,), [unit("A", 100), unit("B", 200, caps=("firearms",))], ["B"], True),
        ((FIREARMS, RESPONSE), [unit("F", 50, caps=("response", "firearms")), unit("R", 60)],
         ["F", "R"], True),
        ((RESPONSE, FIREARMS), [unit("F", 50, caps=("response", "firearms")), unit("R", 60)],
         ["F"], False),
        ((RESPONSE,), [unit("A", 100, status="assigned"), unit("B", 500)], ["B"], True),
        ((RESPONSE,), [unit("A", 100, fix_ms=NOW - 200_000), unit("B", 500)], ["B"], True),
        ((RESPONSE,), [unit("A", 100, fix_ms=None)], ["A"], True),
        ((), [unit("A", 100)], [], True),
    ],
)  # fmt: skip
def test_chosen_units(
    plan: tuple[Requirement, ...], candidates: list[Candidate], chosen: list[str], complete: bool
) -> None:
    result = recommend(plan, candidates, stale_before_ms=STALE_BEFORE)
    assert [c.callsign for c in result.chosen] == chosen
    assert result.complete is complete


@pytest.mark.parametrize(
    ("candidate", "reason"),
    [
        (unit("X", 50, status="on_scene", ref="CAD 0001/22NOV26"),
         "not available: on_scene to CAD 0001/22NOV26"),
        (unit("X", 50, status="off_duty"), "not available: off_duty"),
        (unit("X", 50, fix_ms=STALE_BEFORE - 30_000),
         "stale: last AVL fix older than the limit by 30s"),
        (unit("X", 50, caps=("dog",)), "lacks capability: response"),
        (unit("X", 5_000), "further than the units chosen"),
    ],
)  # fmt: skip
def test_each_near_unit_not_chosen_says_why(candidate: Candidate, reason: str) -> None:
    result = recommend((RESPONSE,), [unit("CHOSEN", 100), candidate], stale_before_ms=STALE_BEFORE)
    assert [c.callsign for c in result.chosen] == ["CHOSEN"]
    assert [(p.callsign, p.reason) for p in result.passed] == [("X", reason)]


def test_choices_carry_eta_growing_with_distance_and_a_reason() -> None:
    result = recommend(
        (TWO_RESPONSE,), [unit("A", 400), unit("B", 4_000)], stale_before_ms=STALE_BEFORE
    )
    near, far = result.chosen
    assert 0 < near.eta_s < far.eta_s
    assert near.reason == "nearest available with response (1 of 2)"
    assert far.reason == "nearest available with response (2 of 2)"
