"""Duplicate scoring: location overlap, time, type and caller number, with reasons."""

from __future__ import annotations

import pytest

from callhandling.duplicates import CallFacts, OpenIncident, rank_candidates, score_candidate

T0 = 1_700_000_000_000
MIN = 60_000


def call(
    east_m: float = 0,
    radius: float | None = None,
    minutes: float = 2,
    kind: str | None = "violence",
    cli: str | None = None,
) -> CallFacts:
    return CallFacts(-0.1281 + east_m / 69_000, 51.5080, radius, int(T0 + minutes * MIN), kind, cli)


INCIDENT = OpenIncident(
    "CAD 0001/22NOV26", -0.1281, 51.5080, 100.0, T0, "violence", frozenset({"h1"})
)


@pytest.mark.parametrize(
    ("facts", "low", "high"),
    [
        (call(), 0.99, 1.0),  # same place, same type, minutes later
        (call(east_m=120, radius=30), 0.99, 1.0),  # inside the circles
        (call(east_m=700), 0.6, 0.8),  # 550 m beyond the circles
        (call(east_m=3_000), 0.49, 0.51),  # far: time and type only
        (call(minutes=35), 0.85, 0.9),  # half an hour on
        (call(minutes=120), 0.74, 0.76),  # two hours on: time says nothing
        (call(kind=None), 0.87, 0.88),
        (call(kind="burglary_in_progress"), 0.74, 0.76),
        (call(east_m=3_000, kind="asb", cli="h1"), 0.9, 0.9),  # same caller lifts it
        (call(east_m=3_000, kind="asb", cli="h1", minutes=200), 0.0, 0.0),  # not hours later
    ],
)
def test_scores(facts: CallFacts, low: float, high: float) -> None:
    assert low <= score_candidate(facts, INCIDENT).score <= high


def test_reasons_say_why() -> None:
    result = score_candidate(call(east_m=69, kind=None, cli="h1"), INCIDENT)
    assert result.reasons == (
        "69 m apart, inside each other's uncertainty (150 m)",
        "2 min apart",
        "type not known for both",
        "same caller number",
    )


def test_ranking_is_best_first_then_nearest() -> None:
    near = OpenIncident("NEAR", -0.1281, 51.5080, None, T0, "violence", frozenset())
    same_score_far = OpenIncident(
        "FAR", -0.1281 + 60 / 69_000, 51.5080, 200, T0, "violence", frozenset()
    )
    other = OpenIncident("OTHER", -0.2, 51.5, None, T0, "asb", frozenset())
    ranked = rank_candidates(call(), [other, same_score_far, near])
    assert [c.ref for c in ranked] == ["NEAR", "FAR", "OTHER"]


def test_a_limited_ranking_is_the_head_of_the_whole_one_with_its_reasons() -> None:
    east = 15 / 69_000  # 15 m apart, each a minute later than the one before
    storm = [
        OpenIncident(f"R{i}", -0.1281 + i * east, 51.5080, 40.0, T0 + i * MIN, kind, frozenset())
        for i, kind in enumerate(["violence", "asb", None] * 20)
    ]
    whole = rank_candidates(call(cli="h9"), storm)
    head = rank_candidates(call(cli="h9"), storm, limit=5)
    assert head == whole[:5]
    by_ref = {i.ref: i for i in storm}
    assert head == [score_candidate(call(cli="h9"), by_ref[c.ref]) for c in head]
