"""Where errors get HTTP status codes: one table, applied by the app's exception handlers and by
the outermost middleware to what the other middlewares raise (the handlers never see that)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, Response
from redis.exceptions import RedisClusterException, RedisError
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from cad.errors import (
    AuthenticationError,
    CadError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    RateLimitedError,
)
from cad.logs import log
from cad.outages import outage_of
from service.api.rate_limit import retry_after_header
from service.api.response_start import TrackedSend

logger = logging.getLogger("cad.api")


@dataclass(frozen=True)
class ErrorAnswer:
    """The HTTP answer to an error: status, JSON body and headers."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)

    def response(self) -> JSONResponse:
        """As a JSONResponse."""
        return JSONResponse(self.body, status_code=self.status, headers=self.headers)


def answer_for(exc: BaseException, *, retry_after_s: int) -> ErrorAnswer | None:
    """The one table of statuses: the answer to an error, or None for an error that is a bug
    (left to become a 500)."""
    outage = outage_of(exc)
    if outage is not None:
        return ErrorAnswer(
            503,
            {"detail": f"{outage.dependency} unavailable: {outage.reason}",
             "dependency": outage.dependency},
            {"Retry-After": retry_after_header(retry_after_s)},
        )  # fmt: skip
    if isinstance(exc, AuthenticationError):
        # RFC 6750: a missing or bad token is answered with the scheme the client must use.
        challenge = 'Bearer realm="cad", error="invalid_token"'
        return ErrorAnswer(
            401, {"detail": f"unauthenticated: {exc}"}, {"WWW-Authenticate": challenge}
        )
    if isinstance(exc, ForbiddenError):
        return ErrorAnswer(403, {"detail": f"forbidden: {exc}"})
    if isinstance(exc, RateLimitedError):
        return ErrorAnswer(
            429, {"detail": str(exc)}, {"Retry-After": retry_after_header(exc.retry_after_s)}
        )
    if isinstance(exc, NotFoundError):
        return ErrorAnswer(404, {"detail": str(exc)})
    if isinstance(exc, ConflictError):
        return ErrorAnswer(409, {"detail": str(exc)})
    return None


def install_error_answers(app: FastAPI, *, retry_after_s: int) -> None:
    """Answer the service's errors and its dependencies' outages from the one table: in the
    app's exception handlers, and around everything (add it after every other middleware)."""

    async def handler(request: Request, exc: Exception) -> JSONResponse:
        answer = answer_for(exc, retry_after_s=retry_after_s)
        if answer is None:
            raise exc
        _log_outage(exc, request.scope)
        return answer.response()

    # Starlette finds a handler by the error's class hierarchy: these bases cover every class
    # the table answers (a cluster's "no node answers" is not a RedisError); what the table does
    # not answer is raised again, a 500.
    for error_type in (CadError, RedisError, RedisClusterException, OSError):
        app.add_exception_handler(error_type, handler)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_middleware(ErrorAnswerMiddleware, retry_after_s=retry_after_s)


async def _http_error(request: Request, exc: Exception) -> Response:
    """FastAPI's own answer to Starlette's HTTP errors, with a 405's `Allow` naming every method
    of the path: FastAPI makes a route of each method, and Starlette names the first one's only."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        allowed = _methods_of_path(request)
        if allowed:
            exc = HTTPException(405, exc.detail, headers={"Allow": ", ".join(allowed)})
    return await http_exception_handler(request, exc)


def _methods_of_path(request: Request) -> list[str]:
    route = request.scope.get("route")  # the one whose path matched and method did not
    path = getattr(route, "path_format", None)
    documented = request.app.openapi()["paths"].get(path, {}) if path else {}
    return sorted({m.upper() for m in documented} | set(getattr(route, "methods", None) or ()))


class ErrorAnswerMiddleware:
    """Answers, from the same table, an error raised in a middleware (the idempotency keys'
    Redis, say), which the app's exception handlers sit too deep to catch."""

    def __init__(self, app: ASGIApp, *, retry_after_s: int) -> None:
        self.app = app
        self.retry_after_s = retry_after_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        tracked = TrackedSend(send)
        try:
            await self.app(scope, receive, tracked)
        except Exception as exc:
            answer = answer_for(exc, retry_after_s=self.retry_after_s)
            if answer is None or tracked.started:
                raise
            _log_outage(exc, scope)
            await answer.response()(scope, receive, send)


def _log_outage(exc: Exception, scope: Scope) -> None:
    outage = outage_of(exc)
    if outage is not None:
        # redis-py's own message (with the address) is for the operators, here, not the client.
        log(logger, logging.WARNING, "dependency_unavailable", dependency=outage.dependency,
            path=scope.get("path"), error=str(exc))  # fmt: skip
