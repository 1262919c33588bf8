"""Operations endpoints: liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import contextlib
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from redis.exceptions import RedisError

from cad.metrics import read_state
from callhandling.deps import RuntimeDep

router = APIRouter(tags=["ops"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    responses={503: {"description": "Redis or the broker is down, or a task keeps failing"}},
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
    }
    return JSONResponse(body, status_code=200 if state.ready else 503)


@router.get("/metrics", response_class=Response)
async def metrics(runtime: RuntimeDep) -> Response:
    """Prometheus metrics: this process's call intake, and the shared state read from Redis."""
    # Without Redis the process's own figures still matter most: serve those, not a 5xx.
    with contextlib.suppress(RedisError, OSError):
        areas, dead_letters = await read_state(runtime.redis)
        runtime.metrics.set_state(areas, dead_letters)
    return Response(runtime.metrics.render(), media_type=CONTENT_TYPE_LATEST)
