"""Schemathesis hooks for tests/reliability/test_api_fuzz.py (loaded through SCHEMATHESIS_HOOKS).

A call's `received_at` must lie within the service's time bounds (CAD_CLOCK_SKEW_S ahead,
CAD_MAX_CALL_AGE_S behind: docs/reliability.md), which a JSON Schema cannot express. Generated
calls whose time is well formed get the time of now, so that "valid data is accepted" is judged
on everything else; out-of-bounds times are tested on their own (tests/cad/test_clock_bounds.py,
tests/callhandling/test_api_strict_input.py), and malformed ones still reach the service.

Likewise a report's window must run forwards and last at most 92 days: well-formed `from` and
`to` become a day's window from `from` (tests/history/test_reports.py tests the refusals).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
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


# The query parameters of a report's window.
WINDOW = ("from", "to")


@schemathesis.hook
def map_query(context: HookContext, query: Any) -> Any:
    """A report's well-formed `from` and `to` become a window of a day."""
    operation = context.operation
    route = ("GET", "/v1/reports/kpis")
    if operation is None or (operation.method.upper(), operation.path) != route:
        return query
    if not isinstance(query, dict) or not all(isinstance(query.get(k), str) for k in WINDOW):
        return query
    try:
        start = datetime.fromisoformat(query["from"])
        datetime.fromisoformat(query["to"])
        end = start + timedelta(days=1)
    except (ValueError, OverflowError):
        return query
    if start.tzinfo is None:
        return query
    return {**query, "to": end.isoformat()}
