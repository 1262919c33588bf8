"""Per-client request limits on the API: a token bucket per client, held in this process.

The bucket maths is a pure function; the limiter only keeps one small record per client. It is
used by the API's authentication dependency alone, so it never sits on the MQTT or dispatch path.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from cad.errors import RateLimitedError

# Past this many clients, those whose buckets have refilled are forgotten (they are full anyway).
_MAX_CLIENTS = 10_000
_EPSILON = 1e-9


@dataclass(frozen=True)
class Bucket:
    """Tokens left, and when they were counted (monotonic seconds)."""

    tokens: float
    at_s: float


def take(
    bucket: Bucket | None, *, now_s: float, rate_per_s: float, burst: int, cost: float = 1.0
) -> tuple[Bucket, float]:
    """Spend `cost` tokens from a bucket refilled at `rate_per_s` up to `burst`: the new bucket
    and 0.0 when allowed, or the unchanged bucket and the seconds to wait when not."""
    if bucket is None:
        tokens = float(burst)
    else:
        elapsed = max(0.0, now_s - bucket.at_s)
        tokens = min(float(burst), bucket.tokens + elapsed * rate_per_s)
    # A client exactly at the rate must not be refused for a rounding error in the refill.
    if tokens >= cost - _EPSILON:
        return Bucket(max(0.0, tokens - cost), now_s), 0.0
    return Bucket(tokens, now_s), (cost - tokens) / rate_per_s


def retry_after_header(wait_s: float) -> str:
    """Retry-After in whole seconds, never 0 (a client told 0 would retry at once)."""
    return str(max(1, math.ceil(wait_s)))


class RateLimiter:
    """One bucket per client key (`sub:PC1234`, `ip:10.0.0.7`)."""

    def __init__(self, *, rate_per_s: float, burst: int) -> None:
        self.rate_per_s = rate_per_s
        self.burst = burst
        self._buckets: dict[str, Bucket] = {}

    def check(self, client: str, now_s: float) -> None:
        """Spend one request of `client`'s allowance, or raise RateLimitedError."""
        bucket, wait_s = take(
            self._buckets.get(client), now_s=now_s, rate_per_s=self.rate_per_s, burst=self.burst
        )
        self._buckets[client] = bucket
        if len(self._buckets) > _MAX_CLIENTS:
            self._forget_full(now_s)
        if wait_s > 0:
            raise RateLimitedError(
                f"rate limit: {self.rate_per_s:g} requests/s (burst {self.burst}) for {client}",
                retry_after_s=wait_s,
            )

    def _forget_full(self, now_s: float) -> None:
        refill_s = self.burst / self.rate_per_s
        self._buckets = {k: b for k, b in self._buckets.items() if now_s - b.at_s < refill_s}
