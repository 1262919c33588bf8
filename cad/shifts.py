"""Shifts for reports: named local start times, each running until the next one starts (the
last until the first of the next day). Pure: no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time

_ENTRY = re.compile(r"^([a-z][a-z0-9_-]{0,31})=([01][0-9]|2[0-3]):([0-5][0-9])$")


@dataclass(frozen=True)
class Shift:
    """A shift's name and the local time it starts."""

    name: str
    start: time


def parse_shifts(text: str) -> tuple[Shift, ...]:
    """`early=07:00,late=15:00,night=23:00` as shifts in the order of their start times;
    ValueError naming the entry that is wrong."""
    shifts: list[Shift] = []
    for entry in (e.strip() for e in text.split(",")):
        match = _ENTRY.match(entry)
        if match is None:
            raise ValueError(f"shift {entry!r} is not name=HH:MM (a lower-case name, 24-hour time)")
        shifts.append(Shift(match.group(1), time(int(match.group(2)), int(match.group(3)))))
    if len({s.name for s in shifts}) != len(shifts):
        raise ValueError("two shifts share a name")
    if len({s.start for s in shifts}) != len(shifts):
        raise ValueError("two shifts start at the same time")
    return tuple(sorted(shifts, key=lambda s: s.start))
