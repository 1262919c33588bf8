"""GET /v1/me: who the token names, its roles, and the operations those roles admit, so that a
client (the console) offers only what its user may do, from the same rules the routes apply."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict

from service.api.error_docs import AUTHENTICATED, documented
from service.auth.deps import Reading

router = APIRouter(prefix="/v1/me", tags=["auth"])


class MeOut(BaseModel):
    """The caller: subject, roles, and every operation (`METHOD /path`) they may call."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "subject": "PC1234", "roles": ["dispatcher"],
        "allowed": ["GET /v1/incidents", "POST /v1/incidents/{ref}/dispatch"],
    }]})  # fmt: skip

    subject: str
    roles: list[str]
    allowed: list[str]


def allowed_operations(schema: dict[str, Any], roles: frozenset[str]) -> list[str]:
    """The operations of an OpenAPI document whose bearer scopes (the roles each route admits,
    `service/auth/deps.py`) include one of `roles`, as `METHOD /path`."""
    allowed = []
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            admits = {r for req in operation.get("security", []) for r in req.get("HTTPBearer", [])}
            if admits & roles:
                allowed.append(f"{method.upper()} {path}")
    return sorted(allowed)


@router.get("", responses=documented(*AUTHENTICATED))
async def me(caller: Reading, request: Request) -> MeOut:
    """Who the token names, its roles, and every operation they admit (the console shows only
    those; any other is refused with 403 naming the roles it needs)."""
    roles = frozenset(r.value for r in caller.principal.roles)
    return MeOut(
        subject=caller.principal.subject,
        roles=sorted(roles),
        allowed=allowed_operations(request.app.openapi(), roles),
    )
