"""Property-based fuzzing of every MQTT payload parser: a model or a reason, never an exception."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from cad.events import AvlFix, CallEvent, StatusReport, Tasking
from cad.payloads import Rejection, parse_payload

PARSERS: list[type[BaseModel]] = [CallEvent, AvlFix, StatusReport, Tasking]
LIMIT = 16 * 1024

scalars = (
    st.none() | st.booleans() | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=40)
)  # fmt: skip
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5)
    ),
    max_leaves=30,
)
FIELDS = [
    "call_id",
    "received_at",
    "source",
    "location",
    "lon",
    "lat",
    "radius_m",
    "grade",
    "incident_type",
    "ts",
    "status",
    "tasking_id",
    "speed_mps",
    "heading",
    "cli",
    "text",
]
near_miss = st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=10)


def _check(model: type[BaseModel], payload: bytes) -> None:
    result = parse_payload(model, payload, max_bytes=LIMIT)
    if isinstance(result, Rejection):
        assert result.reason
        assert len(result.reason) < 20_000
    else:
        assert isinstance(result, model)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(PARSERS), st.binary(max_size=2_000))
def test_random_bytes(model: type[BaseModel], payload: bytes) -> None:
    _check(model, payload)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(PARSERS), near_miss | json_values)
def test_wrong_types_huge_numbers_unicode_and_nesting(model: type[BaseModel], doc: Any) -> None:
    _check(model, json.dumps(doc, allow_nan=True).encode())


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(PARSERS), st.integers(min_value=100, max_value=100_000))
def test_deep_nesting(model: type[BaseModel], depth: int) -> None:
    _check(model, b'{"location":' + b"[" * depth + b"]" * depth + b"}")
    _check(model, b"{" + b'"a":{' * depth + b"}" * depth + b"}")
