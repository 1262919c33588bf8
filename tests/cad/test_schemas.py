"""The committed payload schemas are what the models say, and the models refuse what they should."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from cad.events import (
    AvlFix,
    CallEvent,
    CallSource,
    Grade,
    StatusReport,
    UnitStatus,
    describe_validation_error,
)
from cad.payloads import Rejection, parse_payload
from cad.schema_export import PAYLOADS, render, schema_dir


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_committed_schema_is_current(name: str) -> None:
    committed = (schema_dir() / f"{name}.v1.json").read_text()
    assert committed == render(PAYLOADS[name]), "run: python -m cad.schema_export"


GOOD_CALL = (
    b'{"call_id":"c1","received_at":"2026-11-22T10:00:00Z","source":"999",'
    b'"location":{"lon":-0.1281,"lat":51.508},"incident_type":"violence","grade":"I"}'
)


def test_a_good_call_parses() -> None:
    parsed = parse_payload(CallEvent, GOOD_CALL, max_bytes=4096)
    assert isinstance(parsed, CallEvent)
    assert parsed.grade == "I"


@pytest.mark.parametrize(
    ("payload", "reason_part"),
    [
        (b"{not json", "payload: not valid JSON"),
        (b"[1, 2]", "payload: expected a JSON object, got list"),
        (b'"text"', "payload: expected a JSON object, got str"),
        (b"\xff\xfe", "payload: not valid JSON"),
        (GOOD_CALL.replace(b'"call_id":"c1",', b""), "call_id: Field required"),
        (GOOD_CALL.replace(b"51.508", b"91.5"), "location.lat: Input should be less than or equal"),
        (GOOD_CALL.replace(b"-0.1281", b"-181"), "location.lon: Input should be greater than"),
        (GOOD_CALL.replace(b"51.508", b"NaN"), "location.lat"),
        (GOOD_CALL.replace(b'"grade":"I"', b'"grade":"X"'), "grade: Input should be"),
        (GOOD_CALL.replace(b'"999"', b'"911"'), "source: Input should be"),
        (GOOD_CALL.replace(b"2026-11-22T10:00:00Z", b"2026-11-22T10:00:00"), "received_at"),
        (GOOD_CALL.replace(b'"c1"', b'"c 1"'), "call_id: String should match pattern"),
        (GOOD_CALL[:-1] + b',"schema_version":2}', "schema_version: Input should be 1"),
        (b"[" * 5000 + b"]" * 5000, "payload"),
    ],
)
def test_bad_calls_are_refused_naming_the_field(payload: bytes, reason_part: str) -> None:
    parsed = parse_payload(CallEvent, payload, max_bytes=1 << 20)
    assert isinstance(parsed, Rejection)
    assert reason_part in parsed.reason


def test_oversized_payload_is_refused_before_parsing() -> None:
    parsed = parse_payload(CallEvent, GOOD_CALL + b" " * 5000, max_bytes=4096)
    assert isinstance(parsed, Rejection)
    assert parsed.reason.startswith("payload: ")
    assert "exceeds the limit of 4096" in parsed.reason


@pytest.mark.parametrize(
    ("model", "payload"),
    [
        (AvlFix, b'{"lon":-0.1,"lat":51.5,"ts":"2026-11-22T10:00:00Z","heading":360}'),
        (AvlFix, b'{"lon":-0.1,"lat":51.5,"ts":"2026-11-22T10:00:00Z","speed_mps":-1}'),
        (StatusReport, b'{"status":"flying","ts":"2026-11-22T10:00:00Z"}'),
    ],
)
def test_bad_mdt_payloads_are_refused(model: type[AvlFix | StatusReport], payload: bytes) -> None:
    assert isinstance(parse_payload(model, payload, max_bytes=4096), Rejection)


GOOD_FIX = {"lon": -0.1, "lat": 51.5, "ts": "2026-11-22T10:00:00Z", "speed_mps": 3, "heading": 90}
GOOD_REPORT = {"status": "en_route", "ts": "2026-11-22T10:00:00Z", "tasking_id": "t1"}
GOOD_EVENT = json.loads(GOOD_CALL)


def _with(document: dict[str, Any], path: str, value: object) -> dict[str, Any]:
    """A deep copy of the document with the field at the dotted path set to `value`."""
    copied: dict[str, Any] = json.loads(json.dumps(document))
    *parents, leaf = path.split(".")
    target = copied
    for name in parents:
        target = target[name]
    target[leaf] = value
    return copied


# (model, good document, field): every number a client sends, and every string, and every time.
NUMBERS = [
    (CallEvent, GOOD_EVENT, "location.lon"),
    (CallEvent, GOOD_EVENT, "location.lat"),
    (CallEvent, {**GOOD_EVENT, "location": {"lon": -0.1, "lat": 51.5, "radius_m": 35}},
     "location.radius_m"),
    (AvlFix, GOOD_FIX, "lon"),
    (AvlFix, GOOD_FIX, "lat"),
    (AvlFix, GOOD_FIX, "speed_mps"),
    (AvlFix, GOOD_FIX, "heading"),
]  # fmt: skip
WRONG_NUMBERS = [True, False, "51.5", "1", "true", "nan", "inf", [], {}]
TIMES = [(CallEvent, GOOD_EVENT, "received_at"), (AvlFix, GOOD_FIX, "ts"),
         (StatusReport, GOOD_REPORT, "ts")]  # fmt: skip
WRONG_TIMES = [1_764_000_000, 1.7e9, "1764000000", True, 0, "10:00:00Z", "yesterday"]
STRINGS = [(CallEvent, GOOD_EVENT, f) for f in ("call_id", "incident_type", "source", "grade")] + [
    (StatusReport, GOOD_REPORT, f) for f in ("status", "tasking_id")
]
WRONG_STRINGS = [123, 999, 1.5, True]


def _refusal(model: type[BaseModel], document: dict[str, Any]) -> str:
    """The reason both ways in: the MQTT parser (JSON) and a parsed HTTP body (Python objects)."""
    parsed = parse_payload(model, json.dumps(document).encode(), max_bytes=4096)
    assert isinstance(parsed, Rejection), f"accepted: {document}"
    with pytest.raises(ValidationError) as http:
        model.model_validate(document)
    assert describe_validation_error(http.value) == parsed.reason
    return parsed.reason


@pytest.mark.parametrize(("model", "good", "field"), NUMBERS)
@pytest.mark.parametrize("value", WRONG_NUMBERS, ids=repr)
def test_a_boolean_or_a_string_is_never_a_number(
    model: type[BaseModel], good: dict[str, Any], field: str, value: object
) -> None:
    assert _refusal(model, _with(good, field, value)).startswith(f"{field}: ")


@pytest.mark.parametrize(("model", "good", "field"), NUMBERS)
@pytest.mark.parametrize("value", [0, 1, 2.5], ids=repr)
def test_an_integer_is_a_number(
    model: type[BaseModel], good: dict[str, Any], field: str, value: float
) -> None:
    document = _with(good, field, value)
    assert isinstance(parse_payload(model, json.dumps(document).encode(), max_bytes=4096), model)
    assert isinstance(model.model_validate(document), model)


@pytest.mark.parametrize(("model", "good", "field"), TIMES)
@pytest.mark.parametrize("value", WRONG_TIMES, ids=repr)
def test_a_time_is_iso_8601_text_never_a_number(
    model: type[BaseModel], good: dict[str, Any], field: str, value: object
) -> None:
    assert _refusal(model, _with(good, field, value)).startswith(f"{field}: ")


@pytest.mark.parametrize(("model", "good", "field"), STRINGS)
@pytest.mark.parametrize("value", WRONG_STRINGS, ids=repr)
def test_a_number_is_never_a_string(
    model: type[BaseModel], good: dict[str, Any], field: str, value: object
) -> None:
    assert _refusal(model, _with(good, field, value)).startswith(f"{field}: ")


@pytest.mark.parametrize(
    ("model", "good", "field"),
    [(CallEvent, GOOD_EVENT, f) for f in ("call_id", "received_at", "source", "location",
                                          "location.lon", "location.lat")]
    + [(AvlFix, GOOD_FIX, f) for f in ("lon", "lat", "ts")]
    + [(StatusReport, GOOD_REPORT, f) for f in ("status", "ts")],
)  # fmt: skip
def test_null_where_a_value_is_required_is_refused(
    model: type[BaseModel], good: dict[str, Any], field: str
) -> None:
    assert _refusal(model, _with(good, field, None)).startswith(f"{field}: ")


@pytest.mark.parametrize("value", [True, 1.0, "1"], ids=repr)
def test_the_schema_version_is_the_integer_one(value: object) -> None:
    assert _refusal(CallEvent, {**GOOD_EVENT, "schema_version": value}).startswith(
        "schema_version: "
    )


@pytest.mark.parametrize(
    "received_at",
    ["2026-11-22T10:00:00Z", "2026-11-22T10:00:00+01:00", "2026-11-22T10:00:00.123456+00:00",
     "2026-11-22 10:00:00Z"],
)  # fmt: skip
def test_iso_text_and_enum_strings_are_still_taken_both_ways_in(received_at: str) -> None:
    # FastAPI validates a parsed body in Python mode, where a strict datetime or enum would
    # refuse any string: the fields that must take strings stay lax.
    document = {**GOOD_EVENT, "received_at": received_at}
    from_http = CallEvent.model_validate(document)
    from_mqtt = parse_payload(CallEvent, json.dumps(document).encode(), max_bytes=4096)
    assert from_mqtt == from_http
    assert from_http.grade is Grade.IMMEDIATE
    assert from_http.source is CallSource.EMERGENCY_999
    assert StatusReport.model_validate(GOOD_REPORT).status is UnitStatus.EN_ROUTE
