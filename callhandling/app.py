"""The call handlers' HTTP API: the app factory, its lifespan, and where errors get codes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from cad.errors import ConflictError, NotFoundError, UnavailableError
from cad.settings import Settings, get_settings
from callhandling import (
    call_routes,
    dispatch_routes,
    incident_routes,
    ops_routes,
    unit_routes,
)
from callhandling.body_limit import BodyLimitMiddleware
from callhandling.geo_api import router as geo_router
from callhandling.idempotency import IdempotencyMiddleware
from callhandling.live.routes import router as live_router
from callhandling.runtime import Runtime


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; its lifespan owns the Redis and MQTT clients and the consumers."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = Runtime(settings)
        await runtime.start()
        app.state.runtime = runtime
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(
        title="CAD: police Command & Control",
        version="0.1.0",
        summary="999 calls to graded incidents to atomically dispatched units.",
        lifespan=lifespan,
    )
    # The incident sub-resources go first: `/v1/incidents/{ref:path}` would swallow them.
    app.include_router(dispatch_routes.router)
    app.include_router(incident_routes.router)
    app.include_router(call_routes.router)
    app.include_router(unit_routes.router)
    app.include_router(ops_routes.router)
    app.include_router(geo_router)
    app.include_router(live_router)
    app.add_middleware(IdempotencyMiddleware)
    # Added last, so it runs first: nothing reads a body before its size is known to be sane.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    _install_error_handlers(app)
    return app


def _install_error_handlers(app: FastAPI) -> None:
    codes: dict[type[Exception], int] = {
        NotFoundError: 404,
        ConflictError: 409,
        UnavailableError: 503,
    }
    for error_type, status_code in codes.items():

        async def handler(_: Request, exc: Exception, code: int = status_code) -> JSONResponse:
            return JSONResponse({"detail": str(exc)}, status_code=code)

        app.add_exception_handler(error_type, handler)
