"""A refusal of one body field or query parameter that only the service can judge (against a
catalogue, a clock), answered as FastAPI answers its own validation: a 422 naming where the field
is and why."""

from __future__ import annotations

from typing import NoReturn

from fastapi.exceptions import RequestValidationError


def refuse_field(field: str, reason: str, given: object, *, where: str = "body") -> NoReturn:
    """Refuse field `field` of the body (or of `where`: "query") with `reason` (which names the
    field first)."""
    error = {"loc": (where, field), "msg": reason, "type": "value_error", "input": given}
    raise RequestValidationError([error])
