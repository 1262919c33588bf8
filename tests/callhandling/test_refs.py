"""Incident references in the Met's form."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from callhandling.refs import format_ref, london_day


@pytest.mark.parametrize(
    ("sequence", "day", "ref"),
    [
        (1234, date(2026, 11, 22), "CAD 1234/22NOV26"),
        (1, date(2026, 1, 5), "CAD 0001/05JAN26"),
        (12345, date(2030, 12, 31), "CAD 12345/31DEC30"),
    ],
)
def test_format(sequence: int, day: date, ref: str) -> None:
    assert format_ref(sequence, day) == ref


@pytest.mark.parametrize(
    ("moment", "day"),
    [
        (datetime(2026, 11, 22, 23, 59, tzinfo=UTC), date(2026, 11, 22)),  # GMT: London = UTC
        (datetime(2026, 7, 1, 23, 30, tzinfo=UTC), date(2026, 7, 2)),  # BST: already tomorrow
        (datetime(2026, 7, 1, 22, 59, tzinfo=UTC), date(2026, 7, 1)),
    ],
)
def test_the_day_is_londons(moment: datetime, day: date) -> None:
    assert london_day(moment) == day
