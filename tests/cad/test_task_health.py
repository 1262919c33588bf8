"""Supervised tasks' restart policy, pure: the backoff, its reset, when a task is unhealthy."""

from __future__ import annotations

import pytest

from cad.task_health import RestartPolicy, TaskBoard, TaskState

POLICY = RestartPolicy(
    first_backoff_s=0.5, max_backoff_s=10.0, healthy_after_s=30.0, unhealthy_after_failures=3
)


@pytest.mark.parametrize(
    ("failures", "backoff_s"),
    [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 8.0), (6, 10.0), (50, 10.0)],
)
def test_the_backoff_doubles_up_to_its_cap(failures: int, backoff_s: float) -> None:
    assert POLICY.backoff_s(failures) == backoff_s


def _fail_quickly(state: TaskState, times: int, at: float = 100.0) -> tuple[TaskState, float]:
    """`times` runs that each fail a second after they began."""
    backoff = 0.0
    for i in range(times):
        state, backoff = state.started(at + 2 * i).failed(POLICY, at + 2 * i + 1, "boom")
    return state, backoff


@pytest.mark.parametrize(
    ("failures", "healthy", "backoff_s"),
    [(1, True, 0.5), (2, True, 1.0), (3, False, 2.0), (7, False, 10.0)],
)
def test_failures_in_a_row_make_a_task_unhealthy(
    failures: int, healthy: bool, backoff_s: float
) -> None:
    state, backoff = _fail_quickly(TaskState(), failures)
    assert (state.failures, state.restarts, backoff) == (failures, failures, backoff_s)
    assert state.healthy(POLICY, now=1_000.0) is healthy
    assert state.last_error == "boom"


@pytest.mark.parametrize(
    ("ran_s", "failures_after", "backoff_s"),
    [(1.0, 4, 4.0), (29.9, 4, 4.0), (30.0, 1, 0.5), (3_600.0, 1, 0.5)],
    ids=["quick", "just-short", "long-enough", "an-hour"],
)
def test_a_run_that_lasted_resets_the_streak(
    ran_s: float, failures_after: int, backoff_s: float
) -> None:
    state, _ = _fail_quickly(TaskState(), 3)
    state, backoff = state.started(500.0).failed(POLICY, 500.0 + ran_s, "again")
    assert (state.failures, backoff) == (failures_after, backoff_s)
    assert state.restarts == 4


@pytest.mark.parametrize(
    ("running_for_s", "healthy"), [(None, False), (0.0, False), (29.0, False), (30.0, True)]
)
def test_an_unhealthy_task_is_healthy_again_once_a_run_has_lasted(
    running_for_s: float | None, healthy: bool
) -> None:
    state, _ = _fail_quickly(TaskState(), 3)
    if running_for_s is not None:
        state = state.started(1_000.0)
    assert state.healthy(POLICY, now=1_000.0 + (running_for_s or 0.0)) is healthy


def test_a_completed_round_makes_a_periodic_task_healthy_at_once() -> None:
    state, _ = _fail_quickly(TaskState(), 5)
    state = state.started(2_000.0).succeeded()
    assert state.healthy(POLICY, now=2_000.0)
    assert (state.failures, state.restarts) == (0, 5)
    # The next failure starts a new streak: the shortest backoff again.
    _, backoff = state.failed(POLICY, 2_001.0, "once")
    assert backoff == 0.5


def test_the_board_names_each_task_and_keeps_them_apart() -> None:
    board = TaskBoard(POLICY)
    board.register("quiet")
    for i in range(3):
        board.started("broken", float(i))
        assert board.failed("broken", i + 0.5, "ValueError: no") == POLICY.backoff_s(i + 1)
    board.started("fine", 0.0)
    board.succeeded("fine")
    health = {h.name: h for h in board.health(now=10.0)}
    assert list(health) == ["broken", "fine", "quiet"]
    assert (health["broken"].healthy, health["broken"].restarts) == (False, 3)
    assert health["broken"].last_error == "ValueError: no"
    assert health["fine"].healthy
    assert health["quiet"].healthy
    board.stopped("broken")
    assert not board.health_of("broken", now=100.0).healthy  # returning proves nothing
