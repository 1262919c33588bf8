"""Scenario 5: `POST /v1/calls` (call recorded, incident created) against a trivial endpoint.

The same generator process posts the same kind of body to the service and to a trivial FastAPI
endpoint under uvicorn with uvloop and httptools; the calls are ungraded, so each creates an
incident that waits in the queue without taking a unit.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from cad.bench.calls import bench_calls
from cad.bench.context import Context
from cad.bench.procs import Child, http_ready, run_child
from cad.bench.reconcile import reconcile
from cad.bench.results import Scenario, merge_reconciliations
from cad.bench.stats import Figures, figures, median_of
from cad.servers import LOOPBACK, free_port

RATIO_TARGET = 0.5
# Enough bodies that no run posts a call id twice; far more than any run reaches.
_MAX_REQUESTS = 50_000


async def _post(ctx: Context, port: int) -> tuple[Figures, dict[str, Any]]:
    config = {
        "host": LOOPBACK, "port": port, "path": "/v1/calls", "prefix": f"h{uuid.uuid4().hex[:8]}",
        "seed": ctx.seed, "max_requests": _MAX_REQUESTS,
        "concurrency": ctx.plan.http_concurrency, "duration_s": ctx.plan.http_run_s,
    }  # fmt: skip
    result = await run_child("cad.bench.http_load", config, timeout_s=60 + ctx.plan.http_run_s)
    result["config"] = config
    figs = figures(result["latencies_ms"], result["elapsed_s"], cpu_pct=result["cpu_pct"])
    return figs, result


async def run_http(ctx: Context) -> Scenario:
    """Median of the runs for each endpoint, and the reconciliation of the service's calls."""
    port = free_port()
    trivial = await Child.start(
        "cad.bench.trivial_app", argv=(str(port),), log=ctx.workdir / "trivial.log"
    )
    scenario = Scenario("5", "HTTP POST /v1/calls + incident vs trivial endpoint")
    checks, errors = [], 0
    try:
        await http_ready(LOOPBACK, port, "/docs", 30)
        await _post(ctx, port)  # warm-up, both sides
        await _post(ctx, ctx.http_port)
        svc, base = [], []
        for _ in range(ctx.plan.runs):
            since_ms = int(time.time() * 1000) - 1
            figs, result = await _post(ctx, ctx.http_port)
            svc.append(figs)
            errors += sum(result["errors"].values())
            cfg = result["config"]
            every = bench_calls(cfg["prefix"], result["sent"], cfg["seed"])
            accepted = [every[i] for i in result["ok_ids"]]
            checks.append((await reconcile(ctx.redis, accepted, since_ms)).as_dict())
            base.append((await _post(ctx, port))[0])
    finally:
        await trivial.stop()
    scenario.measured, scenario.baseline = median_of(svc), median_of(base)
    scenario.reconciliation = merge_reconciliations(checks)
    scenario.reconciliation["http_errors"] = errors
    scenario.target = f"throughput >= {RATIO_TARGET}x the trivial endpoint"
    ratio = scenario.ratio
    scenario.met = ratio is not None and ratio >= RATIO_TARGET and errors == 0
    return scenario
