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


# Where each model keeps its numbers and its times: what lax pydantic would have coerced.
NUMBER_PATHS: dict[type[BaseModel], list[tuple[str, ...]]] = {
    CallEvent: [("location", "lon"), ("location", "lat"), ("location", "radius_m")],
    AvlFix: [("lon",), ("lat",), ("speed_mps",), ("heading",)],
    StatusReport: [],
}
TIME_PATHS: dict[type[BaseModel], list[tuple[str, ...]]] = {
    CallEvent: [("received_at",)],
    AvlFix: [("ts",)],
    StatusReport: [("ts",)],
}
GOOD: dict[type[BaseModel], dict[str, Any]] = {
    CallEvent: {"call_id": "c1", "received_at": "2026-11-22T10:00:00Z", "source": "999",
                "location": {"lon": -0.1281, "lat": 51.508, "radius_m": 30}},
    AvlFix: {"lon": -0.1, "lat": 51.5, "ts": "2026-11-22T10:00:00Z", "speed_mps": 4.0,
             "heading": 10},
    StatusReport: {"status": "available", "ts": "2026-11-22T10:00:00Z"},
}  # fmt: skip
numeric_text = st.from_regex(r"\A-?[0-9]{1,3}(\.[0-9]{1,4})?\Z")
not_numbers = st.booleans() | numeric_text | st.text(max_size=12)


def _at(document: Any, path: tuple[str, ...]) -> Any:
    for name in path:
        if not isinstance(document, dict) or name not in document:
            return None
        document = document[name]
    return document


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([CallEvent, AvlFix]), st.data())
def test_a_number_from_a_boolean_or_a_string_is_refused_naming_it(
    model: type[BaseModel], data: st.DataObject
) -> None:
    path = data.draw(st.sampled_from(NUMBER_PATHS[model]))
    document = json.loads(json.dumps(GOOD[model]))
    parent = _at(document, path[:-1]) if len(path) > 1 else document
    parent[path[-1]] = data.draw(not_numbers)
    result = parse_payload(model, json.dumps(document).encode(), max_bytes=LIMIT)
    assert isinstance(result, Rejection)
    assert result.reason.startswith(".".join(path) + ": ")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([CallEvent, AvlFix, StatusReport]), st.data())
def test_whatever_is_accepted_had_real_numbers_and_iso_times(
    model: type[BaseModel], data: st.DataObject
) -> None:
    # Start from a good payload and replace fields with anything JSON holds: whatever the
    # parser still accepts had a JSON number (not a boolean) for each number, text for each time.
    document = json.loads(json.dumps(GOOD[model]))
    for path in data.draw(st.lists(st.sampled_from(NUMBER_PATHS[model] + TIME_PATHS[model]))):
        parent = _at(document, path[:-1]) if len(path) > 1 else document
        if isinstance(parent, dict):
            parent[path[-1]] = data.draw(scalars)
    result = parse_payload(model, json.dumps(document, allow_nan=True).encode(), max_bytes=LIMIT)
    if isinstance(result, Rejection):
        return
    for path in NUMBER_PATHS[model]:
        value = _at(document, path)
        assert value is None or (isinstance(value, int | float) and not isinstance(value, bool))
    for path in TIME_PATHS[model]:
        assert isinstance(_at(document, path), str)
