"""Operations endpoints: liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel, ConfigDict
from redis.exceptions import RedisClusterException, RedisError

from service.api.deps import RuntimeDep
from service.api.error_docs import ERROR_RESPONSES
from service.api.example_docs import example_answer
from service.api.rate_limit import retry_after_header
from service.metrics import read_state

router = APIRouter(tags=["ops"])
# A few lines of the exposition (the real one has every metric and histogram bucket).
_METRICS = """\
# HELP cad_calls_total Calls taken in, by channel and what became of them
# TYPE cad_calls_total counter
cad_calls_total{channel="http",outcome="created"} 14.0
cad_calls_total{channel="mqtt",outcome="linked"} 3.0
# HELP cad_call_intake_seconds From a call reaching the service to its incident recorded and \
dispatched
# TYPE cad_call_intake_seconds histogram
cad_call_intake_seconds_bucket{channel="http",le="0.05"} 13.0
cad_call_intake_seconds_bucket{channel="http",le="+Inf"} 14.0
cad_call_intake_seconds_count{channel="http"} 14.0
cad_call_intake_seconds_sum{channel="http"} 0.412
# HELP cad_redis_up 1 if this scrape read the gauges from Redis, 0 if it could not
# TYPE cad_redis_up gauge
cad_redis_up 1.0
"""


@router.get("/healthz", responses=example_answer({"status": "ok"}))
async def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


class TaskOut(BaseModel):
    """One supervised task's health."""

    healthy: bool
    failures: int
    restarts: int


class ReadinessOut(BaseModel):
    """Ready or not, whether each dependency answered, and each supervised task's health."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "status": "ready", "checks": {"redis": True, "mqtt": True},
        "tasks": {
            "ack-watch": {"healthy": True, "failures": 0, "restarts": 0},
            "mqtt-link": {"healthy": True, "failures": 0, "restarts": 0},
            "queue-sweep": {"healthy": True, "failures": 1, "restarts": 1},
        },
        "unhealthy_tasks": [],
        "leading": {"intake": True, "ack-watch": True, "queue-sweep": False},
    }]})  # fmt: skip

    status: Literal["ready", "not_ready"]
    checks: dict[str, bool]
    tasks: dict[str, TaskOut]
    unhealthy_tasks: list[str]
    # Whether this replica holds the intake's session and leads each led job now; one that
    # leads nothing is as ready as one that leads everything (docs/reliability.md, "Replicas").
    leading: dict[str, bool]


@router.get(
    "/readyz",
    response_model=ReadinessOut,
    responses={
        503: {
            "model": ReadinessOut,
            "description": "Redis or the broker does not answer (`checks` says which), or a "
            "supervised task keeps failing (`unhealthy_tasks` names it).",
            "headers": ERROR_RESPONSES[503]["headers"],
        }
    },
)
async def readyz(runtime: RuntimeDep) -> JSONResponse:
    """Ready only when Redis and the broker both answer and no supervised task keeps failing
    (`unhealthy_tasks` names those that do; the errors themselves are in the logs)."""
    state = await runtime.readiness()
    body: dict[str, Any] = {
        "status": "ready" if state.ready else "not_ready",
        "checks": state.checks,
        "tasks": {
            t.name: {"healthy": t.healthy, "failures": t.failures, "restarts": t.restarts}
            for t in state.tasks
        },
        "unhealthy_tasks": state.unhealthy_tasks,
        "leading": state.leading,
    }
    if state.ready:
        return JSONResponse(body)
    wait = retry_after_header(runtime.settings.unavailable_retry_after_s)
    return JSONResponse(body, 503, headers={"Retry-After": wait})


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}, "example": _METRICS}}}
    },
)
async def metrics(runtime: RuntimeDep) -> Response:
    """Prometheus metrics: this process's call intake, and the shared state read from Redis.

    Without Redis it still answers 200: the process's own figures matter most in an outage.
    The gauges read from Redis are then left out and `cad_redis_up` is 0.
    """
    try:
        areas, dead_letters = await read_state(runtime.redis)
    except (RedisError, RedisClusterException, OSError):
        runtime.metrics.state_unavailable()
    else:
        runtime.metrics.set_state(areas, dead_letters)
    return Response(runtime.metrics.render(), media_type=CONTENT_TYPE_LATEST)
