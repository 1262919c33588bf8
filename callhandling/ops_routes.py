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


@router.get("/readyz", responses={503: {"description": "Redis or the broker does not answer"}})
async def readyz(runtime: RuntimeDep) -> JSONResponse:
    """Ready only when Redis and the broker both answer."""
    checks = await runtime.readiness()
    ready = all(checks.values())
    body: dict[str, Any] = {"status": "ready" if ready else "not_ready", "checks": checks}
    return JSONResponse(body, status_code=200 if ready else 503)


@router.get("/metrics", response_class=Response)
async def metrics(runtime: RuntimeDep) -> Response:
    """Prometheus metrics: this process's call intake, and the shared state read from Redis."""
    # Without Redis the process's own figures still matter most: serve those, not a 5xx.
    with contextlib.suppress(RedisError, OSError):
        areas, dead_letters = await read_state(runtime.redis)
        runtime.metrics.set_state(areas, dead_letters)
    return Response(runtime.metrics.render(), media_type=CONTENT_TYPE_LATEST)
