"""Per-client rate limits: the bucket maths as a pure function, then 429 from the API."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis

from cad.errors import RateLimitedError
from cad.settings import Settings
from cad.tokens import Role
from service.api.rate_limit import Bucket, RateLimiter, retry_after_header, take
from service.app import create_app
from tests.helpers import auth_headers


@pytest.mark.parametrize(
    ("bucket", "now_s", "rate", "burst", "left", "wait_s"),
    [
        (None, 0.0, 10.0, 5, 4.0, 0.0),  # a new client starts with a full burst
        (Bucket(0.0, 0.0), 0.0, 10.0, 5, 0.0, 0.1),  # empty: wait for one token
        (Bucket(0.0, 0.0), 0.05, 10.0, 5, 0.5, 0.05),  # half a token back: half the wait
        (Bucket(0.0, 0.0), 0.1, 10.0, 5, 0.0, 0.0),  # exactly one back: allowed
        (Bucket(0.0, 0.0), 100.0, 10.0, 5, 4.0, 0.0),  # refills only up to the burst
        (Bucket(2.5, 10.0), 10.0, 1.0, 3, 1.5, 0.0),
        (Bucket(0.2, 10.0), 10.0, 1.0, 3, 0.2, 0.8),
        (Bucket(0.0, 10.0), 9.0, 1.0, 3, 0.0, 1.0),  # a clock going back never adds tokens
        (Bucket(1.0, 0.0), 0.0, 0.5, 1, 0.0, 0.0),
        (Bucket(0.0, 0.0), 0.0, 0.5, 1, 0.0, 2.0),  # slow rates give long waits
        (Bucket(0.0, 0.0), 0.0, 1000.0, 2000, 0.0, 0.001),
    ],
)
def test_take_spends_a_token_or_says_how_long_to_wait(
    bucket: Bucket | None, now_s: float, rate: float, burst: int, left: float, wait_s: float
) -> None:
    after, wait = take(bucket, now_s=now_s, rate_per_s=rate, burst=burst)
    assert after.tokens == pytest.approx(left)
    assert after.at_s == now_s
    assert wait == pytest.approx(wait_s)


@pytest.mark.parametrize("cost", [1.0, 2.0, 5.0])
def test_a_request_costing_more_than_the_burst_never_passes(cost: float) -> None:
    _, wait = take(None, now_s=0.0, rate_per_s=1.0, burst=int(cost) - 1 or 0, cost=cost)
    assert wait > 0


@pytest.mark.parametrize(
    ("wait_s", "header"), [(0.001, "1"), (0.5, "1"), (1.0, "1"), (1.01, "2"), (59.2, "60")]
)
def test_retry_after_is_whole_seconds_rounded_up_never_zero(wait_s: float, header: str) -> None:
    assert retry_after_header(wait_s) == header


def test_the_limiter_keeps_clients_apart() -> None:
    limiter = RateLimiter(rate_per_s=1.0, burst=2)
    limiter.check("sub:a", 0.0)
    limiter.check("sub:a", 0.0)
    with pytest.raises(RateLimitedError) as refused:
        limiter.check("sub:a", 0.0)
    assert refused.value.retry_after_s == pytest.approx(1.0)
    limiter.check("sub:b", 0.0)  # another client is untouched
    limiter.check("sub:a", 1.0)  # and the first recovers at the set rate


def test_a_steady_client_at_the_rate_is_never_refused() -> None:
    limiter = RateLimiter(rate_per_s=50.0, burst=1)
    for n in range(1_000):
        limiter.check("sub:steady", n / 50.0)


@pytest.fixture
async def strict_app(settings: Settings, redis: Redis) -> AsyncIterator[FastAPI]:
    """The app allowing each client a burst of 3 then one request every 10 s."""
    strict = settings.model_copy(update={"rate_limit_per_s": 0.1, "rate_limit_burst": 3})
    application = create_app(strict)
    async with application.router.lifespan_context(application):
        yield application


async def test_a_client_over_its_limit_gets_429_with_retry_after_and_others_do_not(
    strict_app: FastAPI, settings: Settings
) -> None:
    transport = httpx.ASGITransport(app=strict_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://cad.test") as http:
        busy = auth_headers(settings, Role.DISPATCHER, subject="PC-busy")
        codes = [(await http.get("/v1/units", headers=busy)).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        refused = await http.get("/v1/units", headers=busy)
        assert refused.status_code == 429
        assert refused.headers["Retry-After"] == "10"
        assert "rate limit" in refused.json()["detail"]
        other = auth_headers(settings, Role.DISPATCHER, subject="PC-quiet")
        assert (await http.get("/v1/units", headers=other)).status_code == 200
        # Probes are never limited: an orchestrator must always see the process.
        assert all([(await http.get("/healthz")).status_code == 200 for _ in range(10)])


async def test_requests_without_a_valid_token_are_limited_by_address(
    strict_app: FastAPI, settings: Settings
) -> None:
    transport = httpx.ASGITransport(app=strict_app, client=("10.9.8.7", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://cad.test") as http:
        bad = {"Authorization": "Bearer not-a-token"}
        codes = [(await http.get("/v1/units", headers=bad)).status_code for _ in range(4)]
        assert codes == [401, 401, 401, 429]
        # A real token from the same address has its own allowance.
        good = auth_headers(settings, Role.DISPATCHER, subject="PC-same-desk")
        assert (await http.get("/v1/units", headers=good)).status_code == 200
