"""Schemathesis hooks for tests/reliability/test_api_fuzz.py (loaded through SCHEMATHESIS_HOOKS).

A call's `received_at` must lie within the service's time bounds (CAD_CLOCK_SKEW_S ahead,
CAD_MAX_CALL_AGE_S behind: docs/reliability.md), which a JSON Schema cannot express. Generated
calls whose time is well formed get the time of now, so that "valid data is accepted" is judged
on everything else; out-of-bounds times are tested on their own (tests/cad/test_clock_bounds.py,
tests/callhandling/test_api_strict_input.py), and malformed ones still reach the service.

Likewise a report's window must run forwards, last at most 92 days and lie within the years
incident times can have: well-formed `from` and `to` become a day's window from `from` (or from
a fixed day, for a `from` out of bounds); tests/history/test_reports.py tests the refusals.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import schemathesis
from schemathesis import Case
from schemathesis.hooks import HookContext

from service.api.report_routes import EARLIEST, LATEST


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


# A case hook, not a query hook: the coverage phase applies only case hooks.
@schemathesis.hook
def map_case(context: HookContext, case: Case[Any]) -> Case[Any]:
    """A report's well-formed `from` and `to` become a window of a day."""
    query = case.query
    if (case.method.upper(), case.path) != ("GET", "/v1/reports/kpis") or not all(
        isinstance(query.get(k), str) for k in WINDOW
    ):
        return case
    try:
        start, end = (datetime.fromisoformat(query[k]) for k in WINDOW)
    except ValueError:
        return case
    if start.tzinfo is None or end.tzinfo is None:
        return case
    if not EARLIEST <= start <= LATEST - timedelta(days=1):
        start = datetime(2026, 3, 28, tzinfo=UTC)
    case.query = {**query, "from": start.isoformat(), "to": (start + timedelta(days=1)).isoformat()}
    return case
