"""The committed payload schemas are what the models say, and the models refuse what they should."""

from __future__ import annotations

import pytest

from cad.events import AvlFix, CallEvent, StatusReport
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
