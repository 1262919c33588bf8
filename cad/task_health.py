"""When a failed background task runs again, and when it counts as unhealthy. Pure, no I/O.

A task that fails is restarted after an exponential backoff, capped. A run that lasted
`healthy_after_s` (or, for a periodic task, a round that completed) proves the task works: its
failure streak and backoff start again from nothing. A task that failed
`unhealthy_after_failures` times in a row is unhealthy, and so turns readiness off, until it
proves itself again. The runner (cad/supervisor.py) and the AVL worker processes
(dispatch/avl_supervisor.py) both keep their tasks' states on one `TaskBoard`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from cad.settings import Settings


@dataclass(frozen=True)
class RestartPolicy:
    """How long to wait before running a failed task again, and when it counts as unhealthy."""

    first_backoff_s: float = 0.5
    max_backoff_s: float = 10.0
    healthy_after_s: float = 30.0
    unhealthy_after_failures: int = 3

    @classmethod
    def from_settings(cls, settings: Settings) -> RestartPolicy:
        """The policy the `CAD_TASK_*` settings describe."""
        return cls(
            first_backoff_s=settings.task_first_backoff_s,
            max_backoff_s=settings.task_max_backoff_s,
            healthy_after_s=settings.task_healthy_after_s,
            unhealthy_after_failures=settings.task_unhealthy_after_failures,
        )

    def backoff_s(self, failures: int) -> float:
        """The wait before the next run after the `failures`-th failure in a row (1-based)."""
        return min(self.first_backoff_s * 2.0 ** max(failures - 1, 0), self.max_backoff_s)


@dataclass(frozen=True)
class TaskState:
    """One task's record: its failures in a row, restarts in all, and the run going on now."""

    failures: int = 0
    restarts: int = 0
    last_error: str = ""
    # When the current run began (a monotonic clock); None while it waits out a backoff or after
    # it returned.
    running_since: float | None = None

    def started(self, now: float) -> TaskState:
        """A run began at `now`."""
        return replace(self, running_since=now)

    def failed(self, policy: RestartPolicy, now: float, error: str) -> tuple[TaskState, float]:
        """The run failed at `now`: the new state, and how long to wait before the next run. A
        run that had lasted `healthy_after_s` starts a new streak."""
        ran_s = 0.0 if self.running_since is None else now - self.running_since
        streak = 0 if ran_s >= policy.healthy_after_s else self.failures
        after = TaskState(
            failures=streak + 1, restarts=self.restarts + 1, last_error=error, running_since=None
        )
        return after, policy.backoff_s(after.failures)

    def succeeded(self) -> TaskState:
        """A round completed (a periodic task): the task works, whatever failed before."""
        return replace(self, failures=0)

    def stopped(self) -> TaskState:
        """The task returned: it is not running, and not failing either."""
        return replace(self, running_since=None)

    def healthy(self, policy: RestartPolicy, now: float) -> bool:
        """Fewer failures in a row than the policy allows, or a run since lasting long enough."""
        if self.failures < policy.unhealthy_after_failures:
            return True
        since = self.running_since
        return since is not None and now - since >= policy.healthy_after_s


@dataclass(frozen=True)
class TaskHealth:
    """What readiness and the metrics show of one task."""

    name: str
    healthy: bool
    failures: int
    restarts: int
    last_error: str


class TaskBoard:
    """The state of every supervised task of a process, by name."""

    def __init__(self, policy: RestartPolicy) -> None:
        self.policy = policy
        self._states: dict[str, TaskState] = {}

    def register(self, name: str) -> None:
        """Task `name` exists (it shows, healthy, before its first run)."""
        self._states.setdefault(name, TaskState())

    def started(self, name: str, now: float) -> None:
        """Task `name` began a run at `now`."""
        self._states[name] = self._states.get(name, TaskState()).started(now)

    def failed(self, name: str, now: float, error: str) -> float:
        """Task `name` failed at `now`; the backoff before its next run."""
        state, backoff = self._states.get(name, TaskState()).failed(self.policy, now, error)
        self._states[name] = state
        return backoff

    def succeeded(self, name: str) -> None:
        """Task `name` completed a round."""
        self._states[name] = self._states.get(name, TaskState()).succeeded()

    def stopped(self, name: str) -> None:
        """Task `name` returned."""
        self._states[name] = self._states.get(name, TaskState()).stopped()

    def health_of(self, name: str, now: float) -> TaskHealth:
        """Task `name`'s health at `now`."""
        s = self._states.get(name, TaskState())
        return TaskHealth(name, s.healthy(self.policy, now), s.failures, s.restarts, s.last_error)

    def health(self, now: float) -> list[TaskHealth]:
        """Every task's health at `now`, by name."""
        return [self.health_of(name, now) for name in sorted(self._states)]
