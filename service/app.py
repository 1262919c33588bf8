"""The call handlers' HTTP API: the app factory, its lifespan, and where errors get codes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI

from cad.events import utcnow
from cad.incident_types import load_catalogue
from cad.result_codes import load_result_catalogue
from cad.settings import Settings, get_settings
from service.api import (
    alarm_routes,
    alert_routes,
    call_routes,
    dispatch_routes,
    history_routes,
    incident_log_routes,
    incident_routes,
    interop_routes,
    me_routes,
    ops_routes,
    place_routes,
    report_routes,
    transfer_routes,
    unit_control_routes,
    unit_routes,
)
from service.api.body_limit import BodyLimitMiddleware
from service.api.catalogue_docs import describe_catalogues
from service.api.error_answers import install_error_answers
from service.api.error_docs import AUTHENTICATED, documented
from service.api.example_nulls import restore_example_nulls
from service.api.geo_api import router as geo_router
from service.api.idempotency import IdempotencyMiddleware
from service.auth.deps import ANY_ROLE, auth_state, describe_roles, require
from service.console.routes import router as console_router
from service.live.routes import router as live_router
from service.runtime import Runtime

# The only routes anyone may call without a token: probes, and the map page (not its data).
OPEN_PATHS = frozenset({"/healthz", "/readyz", "/metrics", "/"})


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
            await app.state.auth.keys.aclose()

    app = FastAPI(
        title="CAD: police Command & Control",
        version="0.1.0",
        summary="999 calls to graded incidents to atomically dispatched units.",
        lifespan=lifespan,
    )
    # Routes are matched in order: the busiest first. The incident sub-resources go before
    # the incidents: `/v1/incidents/{ref:path}` would swallow them.
    app.include_router(call_routes.router)
    app.include_router(dispatch_routes.router)
    app.include_router(transfer_routes.router)
    app.include_router(incident_log_routes.router)
    app.include_router(interop_routes.router)
    app.include_router(incident_routes.router)
    # Before the units': `/v1/units/{callsign}/history` is its own route.
    app.include_router(history_routes.router)
    app.include_router(unit_routes.router)
    app.include_router(unit_control_routes.router)
    app.include_router(ops_routes.router)
    app.include_router(place_routes.router)
    app.include_router(alarm_routes.router)
    app.include_router(alert_routes.router)
    app.include_router(report_routes.router)
    app.include_router(me_routes.router)
    # The geo router stays free of the API's auth (geo imports nothing of ours): guarded here.
    app.include_router(
        geo_router, dependencies=[Depends(require(*ANY_ROLE))], responses=documented(*AUTHENTICATED)
    )
    app.include_router(live_router)
    app.include_router(console_router)
    app.state.auth = auth_state(settings)
    _keep_example_nulls(app)
    _describe_roles(app)
    _describe_catalogues(app, settings)
    app.add_middleware(IdempotencyMiddleware)
    # Outside the idempotency keys: nothing reads a body before its size is known to be sane.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    # Its middleware goes around all of them: what they raise is answered from the same table.
    install_error_answers(app, retry_after_s=settings.unavailable_retry_after_s)
    return app


def _keep_example_nulls(app: FastAPI) -> None:
    """Put the nulls FastAPI drops back into the examples (once, when built; before the call
    example's time is set by `_describe_roles`)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        built = app.openapi_schema is not None
        schema = build()
        if not built:
            restore_example_nulls(schema)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _describe_catalogues(app: FastAPI, settings: Settings) -> None:
    """List the incident types and result codes in the OpenAPI document (once, when built)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        built = app.openapi_schema is not None
        schema = build()
        if not built:
            describe_catalogues(
                schema, load_catalogue(settings.incident_types_file),
                load_result_catalogue(settings.result_codes_file),
            )  # fmt: skip
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _describe_roles(app: FastAPI) -> None:
    """Append who may call each route to its OpenAPI description (once, when first built), and
    keep the example call's time current."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            describe_roles(build(), OPEN_PATHS)
        assert app.openapi_schema is not None
        # A call is refused once older than CAD_MAX_CALL_AGE_S: the documented example is a
        # call received now, so that it stays one the service accepts.
        for example in app.openapi_schema["components"]["schemas"]["CallIn"]["examples"]:
            example["received_at"] = utcnow().isoformat(timespec="seconds")
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
