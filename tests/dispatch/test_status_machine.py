"""The unit status state machine, case by case."""

from __future__ import annotations

import itertools

import pytest

from cad.events import UnitStatus as S
from dispatch.status import ALLOWED_FROM, INCIDENT_STATUS_AFTER, may_enter

LEGAL = {
    (S.ASSIGNED, S.EN_ROUTE),
    (S.ASSIGNED, S.ON_SCENE),
    (S.EN_ROUTE, S.ON_SCENE),
    (S.ON_SCENE, S.AVAILABLE),
    (S.ON_SCENE, S.BUSY),
    (S.BUSY, S.AVAILABLE),
    (S.AVAILABLE, S.BUSY),
    (S.AVAILABLE, S.OFF_DUTY),
    (S.BUSY, S.OFF_DUTY),
    (S.OFF_DUTY, S.AVAILABLE),
    # Issue 6: an unresponsive unit comes back by reporting; a lost link is regained by any report.
    (S.UNRESPONSIVE, S.AVAILABLE),
    (S.UNRESPONSIVE, S.OFF_DUTY),
    *((lost, S.LINK_LOST) for lost in (S.AVAILABLE, S.ASSIGNED, S.EN_ROUTE, S.ON_SCENE, S.BUSY)),
    (S.UNRESPONSIVE, S.LINK_LOST),
    *((S.LINK_LOST, back) for back in (S.AVAILABLE, S.EN_ROUTE, S.ON_SCENE, S.BUSY)),
}


@pytest.mark.parametrize(("current", "new"), list(itertools.product(S, S)))
def test_every_pair(current: S, new: S) -> None:
    assert may_enter(current, new) is ((current, new) in LEGAL)


def test_assigned_is_entered_only_by_a_claim() -> None:
    assert ALLOWED_FROM[S.ASSIGNED] == frozenset()


def test_only_work_states_touch_the_incident() -> None:
    assert set(INCIDENT_STATUS_AFTER) == {S.EN_ROUTE, S.ON_SCENE, S.AVAILABLE, S.BUSY}
