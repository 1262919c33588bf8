"""What becomes of a call, from what it found: `decide`, case by case (pure, no servers)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cad.events import CallEvent, CallSource, Grade, Location
from callhandling.call_claims import CallClaim, claim_of
from callhandling.call_decision import Create, Decision, Link, Refuse, Relocate, Replay, decide
from callhandling.duplicates import Candidate
from callhandling.surroundings import Surroundings

SALT = "salt"
CALL = CallEvent(
    call_id="C-1", received_at=datetime(2026, 11, 22, 21, 0, tzinfo=UTC),
    source=CallSource.EMERGENCY_999, location=Location(lon=-0.1276, lat=51.5007),
)  # fmt: skip
CLAIM = claim_of(CALL, "CW", SALT)
ELSEWHERE = CallClaim("CN", CLAIM.fields)  # the same call, first located in another area
DIFFERENT = claim_of(CALL.model_copy(update={"grade": Grade.IMMEDIATE}), "CW", SALT)
CLOSE = Candidate("CAD 0001/22NOV26", 0.9, 20.0, ("near",))
WEAK = Candidate("CAD 0002/22NOV26", 0.5, 900.0, ("far",))


def around(first: CallClaim | None = None, known: str | None = None) -> Surroundings:
    return Surroundings(first, known, "7", ())


@pytest.mark.parametrize(
    ("found", "candidates", "auto_link", "last", "decision"),
    [
        (around(), [], True, False, Create("7")),
        (around(CLAIM), [], True, False, Create("7")),  # its own claim: a redelivery
        (around(), [CLOSE], True, False, Link(CLOSE)),
        (around(), [WEAK, CLOSE], True, False, Create("7")),  # only the best counts
        (around(), [CLOSE], False, False, Create("7")),  # the API links by hand
        (around(), [CLOSE], True, True, Create("")),  # the last attempt opens regardless
        (around(known="CAD 0009/22NOV26"), [CLOSE], True, False, Replay("CAD 0009/22NOV26")),
        (around(ELSEWHERE), [], True, False, Relocate(ELSEWHERE)),
    ],
)
def test_a_call_is_created_linked_replayed_or_moved(
    found: Surroundings,
    candidates: list[Candidate],
    auto_link: bool,
    last: bool,
    decision: Decision,
) -> None:
    assert (
        decide("C-1", CLAIM, found, candidates, auto_link=auto_link, link_score=0.8, last=last)
        == decision
    )


def test_a_different_call_under_a_used_id_is_refused_whatever_else_it_found() -> None:
    refused = decide(
        "C-1", CLAIM, around(DIFFERENT, known="CAD 0009/22NOV26"), [CLOSE], auto_link=True,
        link_score=0.8, last=True,
    )  # fmt: skip
    assert refused == Refuse("call_id: C-1 already recorded with a different grade", DIFFERENT)


def test_a_call_moved_once_stays_where_it_was_moved() -> None:
    """Its id claimed again elsewhere meanwhile (same content): it is recorded here."""
    assert decide(
        "C-1", CLAIM, around(ELSEWHERE), [], auto_link=True, link_score=0.8, last=False,
        may_relocate=False,
    ) == Create("7")  # fmt: skip
