"""What every service scenario shares: the servers, the running service, the fleet, the plan."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cad.tokens import Role, issue_dev_token, new_dev_secret
from loadtests.bench.capacity_search import Ladder
from loadtests.bench.fleet import FleetUnit
from loadtests.bench.redis_claims import ClaimLoad
from transport.mqtt_logins import GeneratorLogins
from transport.redis_types import AsyncRedis

# One development secret per bench process: the service it starts trusts it, and its HTTP
# generators sign with it.
BENCH_AUTH_SECRET = new_dev_secret()


# The service and scenario 5's framework floor trust the bench's tokens and never throttle them.
BENCH_AUTH_ENV = {
    "CAD_ENVIRONMENT": "development", "CAD_AUTH_DEV_SECRET": BENCH_AUTH_SECRET,
    "CAD_RATE_LIMIT_PER_S": "1000000", "CAD_RATE_LIMIT_BURST": "1000000",
}  # fmt: skip


def bench_token() -> str:
    """A call handler's token for the bench's service (an hour: longer than any bench run)."""
    return issue_dev_token(BENCH_AUTH_SECRET, subject="bench", roles=(Role.CALL_HANDLER,))


# Logins of the load generators' family the bench's broker knows (`cad-loadtest-N`).
GENERATORS = 64


def bench_root(name: str) -> str:
    """A topic root of the bench's own, `{name}/cad`: a broker ACL written for `+/cad` admits it."""
    return f"{name}/cad"


@dataclass(frozen=True)
class Growth:
    """Scenario 9's two states and its paced window of calls, measured `runs` times on each."""

    small_units: int
    large_units: int
    open_incidents: int
    rate: float
    seconds: float


@dataclass(frozen=True)
class Plan:
    """The size of every scenario: `quick` (under a minute) or the full run."""

    runs: int
    claims: ClaimLoad
    rtt_pings: int
    rtt_flood: int
    fleet: int
    # Scenario 4a: the offered rates its capacity search may step through, each step's window
    # (s), and how many searches each side makes (the capacity reported is their median).
    ladder: Ladder
    step_s: float
    capacity_searches: int
    burst_calls: int
    http_run_s: float
    http_concurrency: int
    avl_rounds: int
    # Scenario 8 (issue 5's recommendation) runs at a fixed 1,000/s for this long, over this
    # many units.
    recommend_s: float
    recommend_units: int
    # Scenario 9 (flat growth): the small and the grown service, and the calls measured on each.
    growth: Growth


QUICK = Plan(
    runs=3, claims=ClaimLoad(units=1000, claims=500, concurrency=16), rtt_pings=200,
    rtt_flood=3000, fleet=1000,
    ladder=Ladder(start=100.0, highest=3200.0, lowest=25.0, bisections=1), step_s=0.5,
    capacity_searches=1, burst_calls=100, http_run_s=0.4, http_concurrency=8, avl_rounds=2,
    # Smaller than the issue's 20,000 units and 5,000 open incidents: 20,000 units take about
    # 10 s to register on a loaded two-core machine, and the quick run is to stay short.
    recommend_s=0.2, recommend_units=5000,
    growth=Growth(small_units=1000, large_units=5000, open_incidents=1000, rate=50.0, seconds=2.0),
)  # fmt: skip
FULL = Plan(
    runs=3, claims=ClaimLoad(units=10000, claims=4000, concurrency=16), rtt_pings=1000,
    rtt_flood=20000, fleet=5000,
    ladder=Ladder(start=100.0, highest=3200.0, lowest=25.0, bisections=2), step_s=2.0,
    capacity_searches=3, burst_calls=1500, http_run_s=2.0, http_concurrency=8, avl_rounds=4,
    recommend_s=2.0, recommend_units=20000,
    growth=Growth(small_units=1000, large_units=20000, open_incidents=5000, rate=50.0, seconds=5.0),
)  # fmt: skip


@dataclass(frozen=True)
class Context:
    """The servers, the service's topic root and HTTP port, the fleet and the work dir."""

    redis: AsyncRedis
    redis_url: str
    # Each generator connection logs in as itself (the broker binds a client id to its login).
    generators: GeneratorLogins
    root: str
    http_port: int
    fleet: list[FleetUnit]
    workdir: Path
    plan: Plan
    seed: int = 999

    def fleet_rows(self) -> list[tuple[str, float, float]]:
        """The fleet as the AVL generator takes it."""
        return [(u.callsign, u.lon, u.lat) for u in self.fleet]
