"""Bounds on client timestamps: how far ahead of the service's clock, and how old, and what the
refusal says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from cad.clock_bounds import ClockBounds, call_clock, clock_refusal, fix_clock, status_clock
from cad.settings import get_settings

NOW = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
CALLS = ClockBounds(skew_s=60.0, max_age_s=24 * 3600.0)


@pytest.mark.parametrize(
    "stamp",
    [
        NOW,
        NOW + timedelta(seconds=60),  # the allowed skew itself
        NOW + timedelta(seconds=59.999),
        NOW - timedelta(hours=24),  # the maximum age itself
        NOW - timedelta(hours=23, minutes=59),
        NOW - timedelta(milliseconds=1),
        # The same instant written in another timezone is the same instant.
        datetime(2026, 12, 4, 11, 0, 30, tzinfo=timezone(timedelta(hours=1))),
    ],
)
def test_a_stamp_within_the_bounds_is_taken(stamp: datetime) -> None:
    assert clock_refusal("received_at", stamp, now=NOW, skew_s=60.0, max_age_s=86_400.0) is None


@pytest.mark.parametrize(
    ("stamp", "reason"),
    [
        (
            datetime(9999, 12, 31, tzinfo=UTC),
            "received_at: 9999-12-31T00:00:00+00:00 is 2.5e+11 s ahead of the service clock "
            "(allowed skew 60 s)",
        ),
        (
            NOW + timedelta(seconds=60.5),
            "received_at: 2026-12-04T10:01:00.500000+00:00 is 60 s ahead of the service clock "
            "(allowed skew 60 s)",
        ),
        (
            NOW + timedelta(hours=2),
            "received_at: 2026-12-04T12:00:00+00:00 is 7200 s ahead of the service clock "
            "(allowed skew 60 s)",
        ),
        (
            NOW - timedelta(hours=24, seconds=1),
            "received_at: 2026-12-03T09:59:59+00:00 is 86401 s behind the service clock "
            "(maximum age 86400 s)",
        ),
        (
            datetime(1970, 1, 1, tzinfo=UTC),
            "received_at: 1970-01-01T00:00:00+00:00 is 1.8e+09 s behind the service clock "
            "(maximum age 86400 s)",
        ),
        (
            datetime(1, 1, 1, tzinfo=UTC),
            "received_at: 0001-01-01T00:00:00+00:00 is 6.4e+10 s behind the service clock "
            "(maximum age 86400 s)",
        ),
    ],
    ids=["year-9999", "just-past-the-skew", "two-hours-ahead", "just-too-old", "1970", "year-1"],
)
def test_a_stamp_out_of_bounds_is_refused_naming_the_field_and_the_bound(
    stamp: datetime, reason: str
) -> None:
    assert CALLS.refusal("received_at", stamp, now=NOW) == reason


@pytest.mark.parametrize("ago", [timedelta(days=2), timedelta(days=3650)])
def test_without_a_maximum_age_any_age_is_taken_but_not_a_lead(ago: timedelta) -> None:
    any_age = ClockBounds(skew_s=60.0, max_age_s=None)
    assert any_age.refusal("ts", NOW - ago, now=NOW) is None
    refused = any_age.refusal("ts", NOW + timedelta(minutes=5), now=NOW)
    assert refused is not None
    assert refused.startswith("ts: ")


@pytest.mark.parametrize(
    ("skew_s", "ahead_s", "taken"),
    [(0.0, 0.0, True), (0.0, 0.001, False), (5.0, 5.0, True), (5.0, 6.0, False)],
)
def test_the_skew_is_what_the_settings_say(skew_s: float, ahead_s: float, taken: bool) -> None:
    stamp = NOW + timedelta(seconds=ahead_s)
    refused = clock_refusal("ts", stamp, now=NOW, skew_s=skew_s, max_age_s=None)
    assert (refused is None) is taken


def test_each_kind_takes_its_own_age_and_the_shared_skew() -> None:
    settings = get_settings(
        clock_skew_s=5.0, max_call_age_s=7.0, max_fix_age_s=11.0, max_status_age_s=13.0
    )
    assert call_clock(settings) == ClockBounds(5.0, 7.0)
    assert fix_clock(settings) == ClockBounds(5.0, 11.0)
    assert status_clock(settings) == ClockBounds(5.0, 13.0)


def test_the_defaults_are_a_minute_a_day_five_minutes_and_an_hour() -> None:
    settings = get_settings()
    assert call_clock(settings) == ClockBounds(60.0, 86_400.0)
    assert fix_clock(settings).max_age_s == 300.0
    assert status_clock(settings).max_age_s == 3_600.0
