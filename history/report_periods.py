"""The periods a report groups by: local calendar days or shifts in a time zone, as instants.
Pure: no I/O.

A period's bounds are local wall-clock times turned into instants with zoneinfo, so a day or a
shift keeps its local meaning across BST and GMT: the night shift of the last Saturday of March
(23:00 GMT to 07:00 BST) lasts 7 hours, that of the last Saturday of October 9. The first and
last periods are cut to the report's window; the database only compares integers with them
(`width_bucket`), so it needs no time zone of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Literal
from zoneinfo import ZoneInfo

from cad.shifts import Shift

By = Literal["day", "shift"]


@dataclass(frozen=True)
class Period:
    """One group's time: the local day (a shift's: the day it starts), the shift (None when by
    day), and its instants in epoch milliseconds, `start_ms` included, `end_ms` not."""

    day: date
    shift: str | None
    start_ms: int
    end_ms: int


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _starts(
    first: date, last: date, by: By, zone: ZoneInfo, shifts: tuple[Shift, ...]
) -> list[tuple[date, str | None, int]]:
    """Every period's local day, shift and first instant, days `first` to `last`, in local
    order."""
    found: list[tuple[date, str | None, int]] = []
    day = first
    while day <= last:
        if by == "day":
            found.append((day, None, _ms(datetime.combine(day, datetime.min.time(), zone))))
        else:
            # A start inside a spring-forward gap (none of the default shifts) is read with the
            # offset before the change: fold=0, zoneinfo's default.
            found += [(day, s.name, _ms(datetime.combine(day, s.start, zone))) for s in shifts]
        day += timedelta(days=1)
    return found


def periods(
    from_ms: int, to_ms: int, *, by: By, zone: ZoneInfo, shifts: tuple[Shift, ...]
) -> list[Period]:
    """The consecutive periods that cover `[from_ms, to_ms)`, oldest first, the first and last
    cut to it. `shifts` in the order of their start times (cad/shifts.py)."""
    if from_ms >= to_ms:
        raise ValueError("from must be before to")
    # A night shift that covers `from` started the local day before it.
    first = datetime.fromtimestamp(from_ms / 1000, UTC).astimezone(zone).date() - timedelta(days=1)
    last = datetime.fromtimestamp(to_ms / 1000, UTC).astimezone(zone).date() + timedelta(days=1)
    starts = _starts(first, last, by, zone, shifts)
    kept: list[tuple[date, str | None, int]] = []
    for start in starts:
        # A local start that a clock change makes no later than the one before it (only a
        # configured start within an hour of a change can) would be an empty period: skipped.
        if not kept or start[2] > kept[-1][2]:
            kept.append(start)
    found = []
    for (day, shift, start_ms), (_, _, end_ms) in pairwise(kept):
        if end_ms > from_ms and start_ms < to_ms:
            found.append(Period(day, shift, max(start_ms, from_ms), min(end_ms, to_ms)))
    return found
