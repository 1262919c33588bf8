"""Reading a call-event log for `cad replay`: which lines are events, which are refused and why,
and when each is due. Pure: no I/O beyond the lines it is given."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

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
    lines: Iterable[str], *, max_bytes: int, speed: float, restamp_from: datetime | None
) -> ReplayPlan:
    """Parse JSON lines of call events in order of `received_at`; with `speed` > 0, an event is
    due at its original distance from the first divided by `speed`, else at once. With
    `restamp_from`, the events keep their spacing but the first is received at that time."""
    parsed: list[CallEvent] = []
    refused: list[RefusedLine] = []
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        result = parse_payload(CallEvent, text.encode(), max_bytes=max_bytes)
        if isinstance(result, Rejection):
            refused.append(RefusedLine(number, result.reason))
        else:
            parsed.append(result)
    parsed.sort(key=lambda e: e.received_at)
    first = parsed[0].received_at if parsed else None
    events: list[tuple[float, CallEvent]] = []
    seen: set[str] = set()
    for event in parsed:
        assert first is not None
        since_first = (event.received_at - first).total_seconds()
        if restamp_from is not None:
            stamped = restamp_from + (event.received_at - first)
            event = event.model_copy(update={"received_at": stamped})
        events.append((since_first / speed if speed > 0 else 0.0, event))
        seen.add(event.call_id)
    return ReplayPlan(tuple(events), tuple(refused), len(parsed) - len(seen))
