"""Reading a call-event log for `cad replay`: which lines are events, which are refused and why,
and when each is due. Pure: no I/O beyond the lines it is given."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from cad.clock_bounds import ClockBounds
from cad.events import CallEvent
from cad.payloads import Rejection, parse_payload


@dataclass(frozen=True)
class RefusedLine:
    """A line of the file that is not a call event, and why."""

    line: int
    reason: str


@dataclass(frozen=True)
class ReplayPlan:
    """The events to publish, each with its offset from the first (seconds), and what was not."""

    events: tuple[tuple[float, CallEvent], ...]
    refused: tuple[RefusedLine, ...]
    repeated_ids: int


def plan_replay(
    lines: Iterable[str],
    *,
    max_bytes: int,
    speed: float,
    now: datetime,
    restamp: bool,
    clock_bounds: ClockBounds,
) -> ReplayPlan:
    """Parse JSON lines of call events in order of `received_at`; with `speed` > 0, an event is
    due at its original distance from the first divided by `speed`, else at once. A line whose
    `received_at` is out of `clock_bounds` at `now` is refused, as the service would refuse it.
    With `restamp`, every event is received when it is due instead (from `now`), so none is out
    of bounds: the spacing kept at their own pace, shrunk `speed` times, or none at once."""
    parsed: list[CallEvent] = []
    refused: list[RefusedLine] = []
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        result = parse_payload(CallEvent, text.encode(), max_bytes=max_bytes)
        if isinstance(result, Rejection):
            refused.append(RefusedLine(number, result.reason))
            continue
        # A restamped call's own time only spaces it from the others: any will do.
        out_of_bounds = (
            None if restamp else clock_bounds.refusal("received_at", result.received_at, now=now)
        )
        if out_of_bounds is not None:
            refused.append(RefusedLine(number, out_of_bounds))
        else:
            parsed.append(result)
    parsed.sort(key=lambda e: e.received_at)
    first = parsed[0].received_at if parsed else None
    events: list[tuple[float, CallEvent]] = []
    seen: set[str] = set()
    for event in parsed:
        assert first is not None
        due_s = (event.received_at - first).total_seconds() / speed if speed > 0 else 0.0
        if restamp:
            # Stamped when it is sent, as a gateway would: never ahead of the service's clock.
            event = event.model_copy(update={"received_at": now + timedelta(seconds=due_s)})
        events.append((due_s, event))
        seen.add(event.call_id)
    return ReplayPlan(tuple(events), tuple(refused), len(parsed) - len(seen))
