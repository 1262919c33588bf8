"""THRIVE grading and the incident state machine, case by case."""

from __future__ import annotations

import itertools

import pytest
from pydantic import ValidationError

from cad.events import Grade
from cad.incident_record import FINAL, OPEN, IncidentStatus
from callhandling.grading import GradeDecision, Level, Thrive, suggest_grade
from callhandling.lifecycle import is_open, may_move

L = Level


@pytest.mark.parametrize(
    ("thrive", "grade", "why"),
    [
        (Thrive(threat=L.HIGH), Grade.IMMEDIATE, "high threat"),
        (Thrive(harm=L.HIGH, risk=L.HIGH), Grade.IMMEDIATE, "high harm, risk"),
        (
            Thrive(risk=L.MEDIUM, vulnerability=True),
            Grade.IMMEDIATE,
            "medium risk with a vulnerable",
        ),
        (Thrive(risk=L.MEDIUM), Grade.SIGNIFICANT, "medium risk"),
        (Thrive(vulnerability=True), Grade.SIGNIFICANT, "a vulnerable person"),
        (Thrive(threat=L.LOW, investigation=True), Grade.EXTENDED, "investigation"),
        (Thrive(engagement=True), Grade.EXTENDED, "engagement"),
        (Thrive(threat=L.LOW, harm=L.LOW), Grade.REFERRED, "nothing for police to attend"),
        (Thrive(), Grade.REFERRED, "no threat"),
    ],
)
def test_thrive_suggests_a_grade_with_a_reason(thrive: Thrive, grade: Grade, why: str) -> None:
    suggested, reason = suggest_grade(thrive)
    assert suggested is grade
    assert why in reason


def test_accepting_the_suggestion_needs_no_reason() -> None:
    decision = GradeDecision(thrive=Thrive(threat=L.HIGH))
    assert decision.final() == (Grade.IMMEDIATE, Grade.IMMEDIATE, "high threat")
    same = GradeDecision(thrive=Thrive(threat=L.HIGH), grade=Grade.IMMEDIATE)
    assert same.final()[0] is Grade.IMMEDIATE


def test_an_override_needs_a_reason_and_records_it() -> None:
    with pytest.raises(ValidationError, match="reason: required to grade S when THRIVE suggests I"):
        GradeDecision(thrive=Thrive(threat=L.HIGH), grade=Grade.SIGNIFICANT)
    with pytest.raises(ValidationError, match="reason: required"):
        GradeDecision(thrive=Thrive(), grade=Grade.IMMEDIATE, reason="   ")
    decision = GradeDecision(thrive=Thrive(), grade=Grade.IMMEDIATE, reason="caller screaming")
    assert decision.final() == (Grade.IMMEDIATE, Grade.REFERRED, "override: caller screaming")


S = IncidentStatus
LEGAL = {
    *((s, S.CLOSED) for s in (S.NEW, S.PENDING, S.DISPATCHED, S.EN_ROUTE, S.ON_SCENE)),
    (S.AWAITING_RESULT, S.CLOSED),
    (S.NEW, S.CANCELLED), (S.PENDING, S.CANCELLED), (S.NEW, S.REFERRED), (S.PENDING, S.REFERRED),
    (S.NEW, S.PENDING),
    # Another force's call: closed, cancelled or referred while held; handed over from any open
    # status or once its Met units have cleared (the script refuses while one is still committed).
    (S.TRANSFER, S.CLOSED), (S.TRANSFER, S.CANCELLED), (S.TRANSFER, S.REFERRED),
    *((s, S.TRANSFERRED) for s in (S.NEW, S.PENDING, S.DISPATCHED, S.EN_ROUTE, S.ON_SCENE,
                                   S.TRANSFER, S.AWAITING_RESULT)),
}  # fmt: skip


@pytest.mark.parametrize(("current", "target"), list(itertools.product(S, S)))
def test_every_api_transition(current: S, target: S) -> None:
    assert may_move(current, target) is ((current, target) in LEGAL)


def test_open_final_and_awaiting_result_partition_the_statuses() -> None:
    # Awaiting its result, an incident is neither open (nothing is sent to it, no new call
    # links to it) nor final (it is not over until a dispatcher closes it with a result).
    assert set(S) == OPEN | FINAL | {S.AWAITING_RESULT}
    assert not OPEN & FINAL
    assert not is_open(S.AWAITING_RESULT)
    assert all(is_open(s) for s in OPEN)
    assert not any(is_open(s) for s in FINAL)
