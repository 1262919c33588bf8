"""Report periods, shifts and the Accept header, without servers: local days and shifts keep
their local meaning across the changes between GMT and BST."""

from __future__ import annotations

from datetime import UTC, date, datetime
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from cad.settings import get_settings
from cad.shifts import parse_shifts
from history.report_periods import periods
from service.api.report_csv import wants_csv

LONDON = ZoneInfo("Europe/London")
MET_SHIFTS = parse_shifts("night=23:00,early=07:00,late=15:00")


def _ms(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp() * 1000)


def _utc(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%MZ")


def test_shifts_are_ordered_by_start_and_refused_naming_the_entry() -> None:
    assert [s.name for s in MET_SHIFTS] == ["early", "late", "night"]
    with pytest.raises(ValueError, match="'early=7'"):
        parse_shifts("early=7,late=15:00")
    with pytest.raises(ValueError, match="share a name"):
        parse_shifts("early=07:00,early=15:00")
    with pytest.raises(ValueError, match="same time"):
        parse_shifts("early=07:00,late=07:00")
    with pytest.raises(ValueError, match="report_shifts"):
        get_settings(report_shifts="early=25:00")
    with pytest.raises(ValueError, match="report_timezone"):
        get_settings(report_timezone="Europe/Atlantis")


def test_the_night_shift_into_bst_lasts_seven_hours_and_out_of_it_nine() -> None:
    spring = periods(
        _ms("2026-03-28T20:00+00:00"), _ms("2026-03-29T08:00+00:00"),
        by="shift", zone=LONDON, shifts=MET_SHIFTS,
    )  # fmt: skip
    assert [(p.day, p.shift, _utc(p.start_ms), _utc(p.end_ms)) for p in spring] == [
        (date(2026, 3, 28), "late", "2026-03-28T20:00Z", "2026-03-28T23:00Z"),  # cut
        (date(2026, 3, 28), "night", "2026-03-28T23:00Z", "2026-03-29T06:00Z"),  # 7 hours
        (date(2026, 3, 29), "early", "2026-03-29T06:00Z", "2026-03-29T08:00Z"),  # cut
    ]
    autumn = periods(
        _ms("2026-10-24T21:00+00:00"), _ms("2026-10-25T08:00+00:00"),
        by="shift", zone=LONDON, shifts=MET_SHIFTS,
    )  # fmt: skip
    night = autumn[1]
    assert (night.shift, _utc(night.start_ms), _utc(night.end_ms)) == (
        "night", "2026-10-24T22:00Z", "2026-10-25T07:00Z",
    )  # fmt: skip


def test_local_days_are_23_and_25_hours_on_the_change_days() -> None:
    days = periods(
        _ms("2026-03-28T00:00+00:00"), _ms("2026-03-31T00:00+00:00"),
        by="day", zone=LONDON, shifts=MET_SHIFTS,
    )  # fmt: skip
    assert [(p.day.isoformat(), p.shift, (p.end_ms - p.start_ms) // 3_600_000) for p in days] == [
        ("2026-03-28", None, 24), ("2026-03-29", None, 23), ("2026-03-30", None, 24),
        ("2026-03-31", None, 1),  # 00:00 to 01:00 BST, cut at the window's end
    ]  # fmt: skip
    autumn = periods(
        _ms("2026-10-24T23:00+00:00"), _ms("2026-10-26T00:00+00:00"),
        by="day", zone=LONDON, shifts=MET_SHIFTS,
    )  # fmt: skip
    assert [(p.day.isoformat(), (p.end_ms - p.start_ms) // 3_600_000) for p in autumn] == [
        ("2026-10-25", 25)
    ]


def test_a_start_inside_the_spring_gap_leaves_no_empty_period() -> None:
    # 01:30 does not exist on 29 March: read as GMT it comes after 02:00 BST (01:00Z).
    shifts = parse_shifts("a=01:30,b=02:00,c=12:00")
    found = periods(
        _ms("2026-03-29T00:00+00:00"), _ms("2026-03-29T12:00+00:00"),
        by="shift", zone=LONDON, shifts=shifts,
    )  # fmt: skip
    assert all(p.end_ms > p.start_ms for p in found)
    assert all(a.end_ms == b.start_ms for a, b in pairwise(found))
    assert found[0].start_ms == _ms("2026-03-29T00:00+00:00")
    assert found[-1].end_ms == _ms("2026-03-29T12:00+00:00")


def test_a_window_that_is_not_one_is_refused() -> None:
    with pytest.raises(ValueError, match="before"):
        periods(5, 5, by="day", zone=LONDON, shifts=MET_SHIFTS)


@pytest.mark.parametrize(
    ("accept", "csv"),
    [
        (None, False),
        ("application/json", False),
        ("text/csv", True),
        ("text/csv;q=0.5, application/json", False),
        ("application/json;q=0.5, text/csv", True),
        ("text/csv, */*", True),
        ("*/*", False),
        ("text/csv;q=0", False),
        ("text/csv;q=x", False),
    ],
)
def test_the_accept_header_asks_for_csv_only_by_name(accept: str | None, csv: bool) -> None:
    assert wants_csv(accept) is csv
