"""The error answers as the OpenAPI document shows them: each status described once, here, and
composed per route (`responses=documented(*AUTHENTICATED, 404, UNAVAILABLE)`)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class ErrorOut(BaseModel):
    """An error answer: `detail` says what was wrong."""

    detail: str


class UnavailableOut(ErrorOut):
    """A dependency cannot serve now: `dependency` names it (`redis`, `mqtt`,
    `identity_provider`); try again after `Retry-After` seconds."""

    dependency: str


class FieldErrorOut(BaseModel):
    """One refused field: where it is (`["body"]`, `["header", "Idempotency-Key"]`) and why."""

    loc: list[str | int]
    msg: str
    type: str


class FieldErrorsOut(BaseModel):
    """Refused fields, in the shape of a 422's."""

    detail: list[FieldErrorOut]


_RETRY_AFTER = {
    "Retry-After": {
        "description": "Whole seconds to wait before trying again.",
        "schema": {"type": "integer", "minimum": 1},
    }
}
_CHALLENGE = {
    "WWW-Authenticate": {
        "description": 'The scheme to use: `Bearer realm="cad", error="invalid_token"`.',
        "schema": {"type": "string"},
    }
}

ERROR_RESPONSES: dict[int, dict[str, Any]] = {
    400: {
        "model": ErrorOut,
        "description": (
            "The request could not be read: a body that is not UTF-8 text (JSON), or a header "
            "with control characters, which the HTTP server refuses before the API sees it "
            "(plain text)."
        ),
        "content": {"text/plain": {"schema": {"type": "string"}}},
    },
    401: {
        "model": ErrorOut,
        "description": "No valid bearer token: missing, expired, badly signed.",
        "headers": _CHALLENGE,
    },
    403: {"model": ErrorOut, "description": "The token holds none of the roles this route admits."},
    404: {"model": ErrorOut, "description": "No such incident or unit."},
    409: {
        "model": ErrorOut,
        "description": (
            "The request contradicts the current state: an illegal transition, units already "
            "committed, a stored record that does not parse (it must be repaired first), or a "
            "request with this Idempotency-Key still running."
        ),
    },
    413: {"model": FieldErrorsOut, "description": "The body is larger than CAD_MAX_BODY_BYTES."},
    429: {
        "model": ErrorOut,
        "description": "Over this client's request rate (CAD_RATE_LIMIT_PER_S).",
        "headers": _RETRY_AFTER,
    },
    503: {
        "model": UnavailableOut,
        "description": (
            "A dependency this route needs is unavailable: Redis (down, loading its data, a "
            "read-only replica, timing out), the MQTT broker (for a route that sends taskings) "
            "or the identity provider's keys."
        ),
        "headers": _RETRY_AFTER,
    },
}

# Any route behind a bearer token: refused without one, without the role, or over the rate.
AUTHENTICATED = (401, 403, 429)
# A route that takes a JSON body (and honours Idempotency-Key: 409 while the first is running).
POSTED = (400, 409, 413)
# A route with header parameters of its own: the HTTP server refuses a malformed header line.
HEADERS = (400,)
UNAVAILABLE = 503


def documented(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route that can answer these error statuses (422 FastAPI adds)."""
    return {code: ERROR_RESPONSES[code] for code in sorted(set(codes))}
