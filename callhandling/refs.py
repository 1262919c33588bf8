"""Incident references in the Met's form, `CAD 1234/22NOV26`: a sequence per London day."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


def london_day(moment: datetime) -> date:
    """The calendar day in London at `moment` (the sequence restarts at London midnight)."""
    return moment.astimezone(LONDON).date()


def format_ref(sequence: int, day: date) -> str:
    """`CAD 0042/22NOV26` for the 42nd incident of 22 November 2026."""
    return f"CAD {sequence:04d}/{day.day:02d}{_MONTHS[day.month - 1]}{day.year % 100:02d}"
