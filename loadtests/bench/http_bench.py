"""Scenario 5: `POST /v1/calls` (call recorded, incident created) against the framework floor.

The same generator process posts the same kind of body to the service, to the route's framework
work alone (`framework_floor`: the baseline, so the ratio is what the intake's own work costs),
and to a trivial FastAPI endpoint under uvicorn with uvloop and httptools (reported beside it);
then an open loop at a fixed rate gives the service's p99. The calls are ungraded, so each
creates an incident that waits in the queue without taking a unit.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from loadtests.bench.calls import bench_calls
from loadtests.bench.context import BENCH_AUTH_ENV, Context, bench_token
from loadtests.bench.procs import Child, http_ready, run_child
from loadtests.bench.reconcile import reconcile
from loadtests.bench.results import Scenario, merge_reconciliations
from loadtests.bench.stats import Figures, figures, median_of
from service.servers import LOOPBACK, free_port

# The service's throughput over the framework floor's: the intake's own work costs no more
# than the framework's.
RATIO_TARGET = 0.5
# The performance issue asks for the p99 of POST /v1/calls at this offered rate, within this.
PACED_RATE_PER_S = 200.0
PACED_P99_MS = 20.0
# Enough connections that an open loop at that rate is never short of one on a healthy server.
_PACED_CONNECTIONS = 32
# Enough bodies that no run posts a call id twice; far more than any run reaches.
_MAX_REQUESTS = 50_000


async def _post(
    ctx: Context, port: int, *, rate_per_s: float = 0.0
) -> tuple[Figures, dict[str, Any]]:
    concurrency = _PACED_CONNECTIONS if rate_per_s else ctx.plan.http_concurrency
    config = {
        "host": LOOPBACK, "port": port, "path": "/v1/calls", "prefix": f"h{uuid.uuid4().hex[:8]}",
        "seed": ctx.seed, "max_requests": _MAX_REQUESTS,
        "concurrency": concurrency, "duration_s": ctx.plan.http_run_s,
        "token": bench_token(), "rate_per_s": rate_per_s,
    }  # fmt: skip
    timeout_s = 60 + ctx.plan.http_run_s
    result = await run_child("loadtests.bench.http_load", config, timeout_s=timeout_s)
    result["config"] = config
    figs = figures(result["latencies_ms"], result["elapsed_s"], cpu_pct=result["cpu_pct"])
    return figs, result


async def _reconcile(ctx: Context, result: dict[str, Any], since_ms: int) -> dict[str, Any]:
    cfg = result["config"]
    every = bench_calls(cfg["prefix"], result["sent"], cfg["seed"])
    accepted = [every[i] for i in result["ok_ids"]]
    return (await reconcile(ctx.redis, accepted, since_ms)).as_dict()


async def run_http(ctx: Context) -> Scenario:
    """Median of the runs for each endpoint, and the reconciliation of the service's calls."""
    port, floor_port = free_port(), free_port()
    trivial = await Child.start(
        "loadtests.bench.trivial_app", argv=(str(port),), log=ctx.workdir / "trivial.log"
    )
    floor = await Child.start(
        "loadtests.bench.framework_floor", argv=(str(floor_port),), env=BENCH_AUTH_ENV,
        log=ctx.workdir / "floor.log",
    )  # fmt: skip
    scenario = Scenario("5", "HTTP POST /v1/calls + incident vs the framework floor")
    checks, errors = [], 0
    try:
        await http_ready(LOOPBACK, port, "/docs", 30)
        await http_ready(LOOPBACK, floor_port, "/docs", 60)
        for warm_up in (port, floor_port, ctx.http_port):
            await _post(ctx, warm_up)
        svc: list[Figures] = []
        base: list[Figures] = []
        framework: list[Figures] = []
        paced: list[Figures] = []
        for _ in range(ctx.plan.runs):
            for rate, out in ((0.0, svc), (PACED_RATE_PER_S, paced)):
                since_ms = int(time.time() * 1000) - 1
                figs, result = await _post(ctx, ctx.http_port, rate_per_s=rate)
                out.append(figs)
                errors += sum(result["errors"].values())
                checks.append(await _reconcile(ctx, result, since_ms))
            base.append((await _post(ctx, port))[0])
            framework.append((await _post(ctx, floor_port))[0])
    finally:
        await floor.stop()
        await trivial.stop()
    at_rate = median_of(paced)
    scenario.extra[f"paced_{PACED_RATE_PER_S:.0f}_per_s"] = at_rate.as_dict()
    scenario.extra.setdefault("generator_cpu_pct", []).append(at_rate.generator_cpu_pct)
    paced_met = at_rate.p99_ms <= PACED_P99_MS
    scenario.notes.append(
        f"open loop at {PACED_RATE_PER_S:.0f}/s ({_PACED_CONNECTIONS} connections): "
        f"{at_rate.rate_per_s:.0f}/s served, p50 {at_rate.p50_ms:.1f} ms, "
        f"p99 {at_rate.p99_ms:.1f} ms; target p99 <= {PACED_P99_MS:.0f} ms "
        f"{'MET' if paced_met else 'NOT MET'}"
    )
    scenario.measured, scenario.baseline = median_of(svc), median_of(framework)
    _describe_trivial(scenario, scenario.measured, scenario.baseline, median_of(base))
    scenario.reconciliation = merge_reconciliations(checks)
    scenario.reconciliation["http_errors"] = errors
    scenario.target = (
        f"throughput >= {RATIO_TARGET}x the framework floor, and p99 <= {PACED_P99_MS:.0f} ms "
        f"at {PACED_RATE_PER_S:.0f}/s"
    )
    ratio = scenario.ratio
    scenario.met = ratio is not None and ratio >= RATIO_TARGET and paced_met and errors == 0
    return scenario


def _describe_trivial(
    scenario: Scenario, service: Figures, floor: Figures, trivial: Figures
) -> None:
    """The trivial endpoint beside the floor, as a rate and as ratios to either side."""
    scenario.extra["trivial_endpoint"] = trivial.as_dict()
    scenario.notes.append(
        f"baseline: the framework alone (token check, validation, answer; no geo or Redis), "
        f"{floor.rate_per_s / trivial.rate_per_s:.2f}x the trivial endpoint "
        f"({trivial.rate_per_s:.0f}/s, p99 {trivial.p99_ms:.1f} ms); the service is "
        f"{service.rate_per_s / trivial.rate_per_s:.2f}x the trivial endpoint"
    )
