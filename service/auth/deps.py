"""FastAPI dependencies for authentication, roles and rate limits: `require(Role.X, ...)`."""

from __future__ import annotations

import inspect
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

import jwt
from fastapi import Depends, Query, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from cad.errors import AuthenticationError
from cad.settings import Settings
from cad.tokens import Role
from service.api.rate_limit import RateLimiter
from service.auth.keys import KeySource, key_source
from service.auth.token_cache import VerifiedTokens
from service.auth.verify import (
    Principal,
    TokenPolicy,
    actor,
    authorize,
    bearer_token,
    verify_token,
)

# Only here so that OpenAPI shows the bearer scheme and, as its "scopes", the roles each route
# admits (OpenAPI 3.1: role names for a non-OAuth scheme); `bearer_token` parses the header.
_bearer_scheme = HTTPBearer(
    auto_error=False, description="A JWT from the force's identity provider (or `cad token`)."
)


@dataclass(frozen=True)
class Caller:
    """An authenticated person and the role this request is made in."""

    principal: Principal
    role: Role

    @property
    def actor(self) -> str:
        """The audit's name for them: `user:PC1234(dispatcher)`."""
        return actor(self.principal, self.role)


@dataclass
class AuthState:
    """The app's trusted keys, token policy and rate limiter (on `app.state.auth`)."""

    keys: KeySource
    policy: TokenPolicy
    limiter: RateLimiter
    verified: VerifiedTokens


def auth_state(settings: Settings) -> AuthState:
    """Everything the dependencies need, built once per app from the settings."""
    policy = TokenPolicy(
        issuer=settings.auth_issuer,
        audience=settings.auth_audience,
        roles_claim=settings.auth_roles_claim,
        leeway_s=settings.auth_leeway_s,
    )
    limiter = RateLimiter(rate_per_s=settings.rate_limit_per_s, burst=settings.rate_limit_burst)
    return AuthState(key_source(settings), policy, limiter, VerifiedTokens())


async def _authenticate(request: Request, query_token: str | None = None) -> Principal:
    state: AuthState = request.app.state.auth
    now_s = time.monotonic()
    try:
        token = bearer_token(request.headers.get("authorization")) or query_token
        if token is None:
            raise AuthenticationError("missing bearer token (Authorization: Bearer <token>)")
        principal = state.verified.get(token, time.time())
        if principal is None:
            if not state.keys.configured:
                raise AuthenticationError("no token verification key is configured on the server")
            principal = verify_token(token, await state.keys.ring(_kid(token)), state.policy)
            state.verified.put(token, principal, time.time())
    except AuthenticationError:
        # Refused requests are limited by address: guessing tokens must not be free.
        state.limiter.check(f"ip:{request.client.host if request.client else 'unknown'}", now_s)
        raise
    state.limiter.check(f"sub:{principal.subject}", now_s)
    return principal


def _kid(token: str) -> str | None:
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.DecodeError:
        return None
    return kid if isinstance(kid, str) else None


_ACCESS_TOKEN = Query(max_length=8192, description="the bearer token, for EventSource (no headers)")


def require(*roles: Role, query_token: bool = False) -> Callable[..., Awaitable[Caller]]:
    """A dependency admitting a valid token holding one of `roles`; `query_token` also takes
    `?access_token=` (only for the event stream: a browser's EventSource cannot set headers)."""

    # One dependency, not one for the token and one for the roles: FastAPI's solving of each
    # costs every request more than the token cache's lookup.
    async def dependency(
        request: Request, credentials: object, access_token: str | None = None
    ) -> Caller:
        principal = await _authenticate(request, access_token)
        return Caller(principal, authorize(principal, roles))

    # Built by hand: the annotations name this call's `roles`, which a postponed (string)
    # annotation could not reach.
    parameter = inspect.Parameter.POSITIONAL_OR_KEYWORD
    scheme = Security(_bearer_scheme, scopes=[r.value for r in roles])
    shown = Annotated[HTTPAuthorizationCredentials | None, scheme]
    parameters = [
        inspect.Parameter("request", parameter, annotation=Request),
        inspect.Parameter("credentials", parameter, annotation=shown),
    ]
    if query_token:
        token = Annotated[str | None, _ACCESS_TOKEN]
        parameters.append(
            inspect.Parameter("access_token", parameter, default=None, annotation=token)
        )
    signature = inspect.Signature(parameters, return_annotation=Caller)
    setattr(dependency, "__signature__", signature)  # noqa: B010  # mypy: no such attribute
    return dependency


def describe_roles(schema: dict[str, Any], open_paths: frozenset[str]) -> None:
    """Add who may call each operation to its description in an OpenAPI document."""
    for path, operations in schema.get("paths", {}).items():
        for operation in operations.values():
            roles = [r for req in operation.get("security", []) for r in req.get("HTTPBearer", [])]
            if roles:
                note = "Roles: " + ", ".join(dict.fromkeys(roles)) + "."
            elif path in open_paths:
                note = "No authentication."
            else:
                continue
            operation["description"] = f"{operation.get('description', '')}\n\n{note}".strip()


ANY_ROLE = tuple(Role)
CallHandling = Annotated[Caller, Depends(require(Role.CALL_HANDLER, Role.SUPERVISOR))]
Dispatching = Annotated[Caller, Depends(require(Role.DISPATCHER, Role.SUPERVISOR))]
UnitAdmin = Annotated[Caller, Depends(require(Role.ADMIN, Role.SUPERVISOR))]
Reading = Annotated[Caller, Depends(require(*ANY_ROLE))]
# Who works an incident: its log and its corrections.
Working = Annotated[Caller, Depends(require(Role.CALL_HANDLER, Role.DISPATCHER, Role.SUPERVISOR))]
Supervising = Annotated[Caller, Depends(require(Role.SUPERVISOR))]
StreamReading = Annotated[Caller, Depends(require(*ANY_ROLE, query_token=True))]
