"""A refusal of one body field that only the service can judge (against a catalogue, a clock),
answered as FastAPI answers its own validation: a 422 naming where the field is and why."""

from __future__ import annotations

from typing import NoReturn

from fastapi.exceptions import RequestValidationError


def refuse_field(field: str, reason: str, given: object) -> NoReturn:
    """Refuse body field `field` with `reason` (which names the field first)."""
    error = {"loc": ("body", field), "msg": reason, "type": "value_error", "input": given}
    raise RequestValidationError([error])
