"""Incident references in the Met's form."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from redis.asyncio import Redis

from cad.keys import GlobalKeys
from callhandling.incidents import next_ref
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


async def test_a_days_references_run_in_sequence_and_the_counter_expires_once(
    redis: Redis,
) -> None:
    moment = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
    key = GlobalKeys().ref_sequence("20261122")
    assert [await next_ref(redis, moment) for _ in range(3)] == [
        "CAD 0001/22NOV26", "CAD 0002/22NOV26", "CAD 0003/22NOV26",
    ]  # fmt: skip
    first_ttl = await redis.ttl(key)
    assert 3 * 24 * 3600 - 60 < first_ttl <= 3 * 24 * 3600
    await redis.expire(key, 100)  # later references leave the day's expiry alone
    await next_ref(redis, moment)
    assert await redis.ttl(key) <= 100
