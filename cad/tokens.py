"""API roles, and development tokens signed with the HS256 development secret (`cad token`)."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable
from enum import StrEnum

import jwt

from cad.settings import Settings

DEV_ALGORITHM = "HS256"
DEV_ISSUER = "cad-dev"


class Role(StrEnum):
    """What a token's holder may do; each endpoint names the roles it allows."""

    CALL_HANDLER = "call_handler"
    DISPATCHER = "dispatcher"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


def new_dev_secret() -> str:
    """A random development secret, long enough for HS256."""
    return secrets.token_urlsafe(48)


def issue_dev_token(
    secret: str,
    *,
    subject: str,
    roles: Iterable[Role],
    ttl_s: int = 3600,
    issuer: str | None = None,
    audience: str | None = None,
    roles_claim: str = "roles",
    now: float | None = None,
) -> str:
    """A signed development token for `subject` with these roles, valid for `ttl_s` seconds."""
    issued = int(time.time() if now is None else now)
    claims: dict[str, object] = {
        "sub": subject,
        roles_claim: [r.value for r in roles],
        "iat": issued,
        "exp": issued + ttl_s,
        "iss": issuer or DEV_ISSUER,
    }
    if audience:
        claims["aud"] = audience
    return jwt.encode(claims, secret, algorithm=DEV_ALGORITHM)


def dev_token_for(settings: Settings, *, subject: str, roles: Iterable[Role], ttl_s: int) -> str:
    """A development token the service with these settings accepts (its secret, issuer,
    audience and roles claim); ValueError when the settings hold no development secret."""
    if not settings.auth_dev_secret:
        raise ValueError("no development secret (CAD_AUTH_DEV_SECRET) in these settings")
    return issue_dev_token(
        settings.auth_dev_secret, subject=subject, roles=roles, ttl_s=ttl_s,
        issuer=settings.auth_issuer, audience=settings.auth_audience,
        roles_claim=settings.auth_roles_claim,
    )  # fmt: skip
