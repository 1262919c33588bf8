"""Schemathesis hooks for tests/reliability/test_api_fuzz.py (loaded through SCHEMATHESIS_HOOKS).

A call's `received_at` must lie within the service's time bounds (CAD_CLOCK_SKEW_S ahead,
CAD_MAX_CALL_AGE_S behind: docs/reliability.md), which a JSON Schema cannot express. Generated
calls whose time is well formed get the time of now, so that "valid data is accepted" is judged
on everything else; out-of-bounds times are tested on their own (tests/cad/test_clock_bounds.py,
tests/callhandling/test_api_strict_input.py), and malformed ones still reach the service.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import schemathesis
from schemathesis.hooks import HookContext


@schemathesis.hook
def map_body(context: HookContext, body: Any) -> Any:
    """A well-formed `received_at` of a call becomes now."""
    operation = context.operation
    if operation is None or (operation.method.upper(), operation.path) != ("POST", "/v1/calls"):
        return body
    if isinstance(body, dict) and isinstance(body.get("received_at"), str):
        try:
            datetime.fromisoformat(body["received_at"])
        except ValueError:
            return body
        return {**body, "received_at": datetime.now(UTC).isoformat()}
    return body
