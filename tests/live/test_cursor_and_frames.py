"""The event-id cursor grammar and the SSE frame format. Pure."""

from __future__ import annotations

import json
import re

import pytest

from service.live import cursor, frames


@pytest.mark.parametrize(
    ("positions", "text"),
    [
        ({}, ""),
        ({"CW": "0-0"}, "CW=0-0"),
        ({"CW": "17323300-3", "CN": "17323301-0"}, "CN=17323301-0,CW=17323300-3"),
        ({"N-W_2": "5-5"}, "N-W_2=5-5"),
    ],
)
def test_a_cursor_round_trips(positions: dict[str, str], text: str) -> None:
    assert cursor.encode(positions) == text
    assert cursor.decode(text) == positions


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("CW", "is not AREA=MS-SEQ"),
        ("CW=", "is not AREA=MS-SEQ"),
        ("CW=12", "is not AREA=MS-SEQ"),
        ("CW=1-x", "is not AREA=MS-SEQ"),
        ("=1-0", "is not AREA=MS-SEQ"),
        ("C W=1-0", "is not AREA=MS-SEQ"),
        (" CW=1-0", "is not AREA=MS-SEQ"),
        ("CW=18446744073709551616-0", "is not AREA=MS-SEQ"),
        ("CW=١-0", "is not AREA=MS-SEQ"),
        (",".join(f"A{i}=1-0" for i in range(65)), "more than 64 areas"),
        ("CW=1-0\nevent: x", "is not AREA=MS-SEQ"),
    ],
)
def test_a_malformed_cursor_is_refused_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(cursor.CursorError, match=reason):
        cursor.decode(text)
    assert not re.fullmatch(cursor.PATTERN, text)  # and the OpenAPI document refuses it too


@pytest.mark.parametrize(
    "text",
    ["", "CW=0-0", "CN=17323301-0,CW=17323300-3", ",".join(f"A{i}=1-0" for i in range(64))],
)
def test_the_documented_pattern_admits_every_cursor_decode_takes(text: str) -> None:
    assert re.fullmatch(cursor.PATTERN, text)
    cursor.decode(text)


def test_an_area_named_twice_resumes_from_its_earlier_position() -> None:
    # Nothing is missed; the entries in between are sent again (the map applies them as new).
    assert cursor.decode("CW=9-1,CN=0-0,CW=10-0,CW=9-0") == {"CW": "9-0", "CN": "0-0"}


@pytest.mark.parametrize(
    ("known", "areas", "expected"),
    [
        ({}, {"CW"}, {"CW": "0-0"}),
        ({"CW": "9-1"}, {"CW", "CN"}, {"CW": "9-1", "CN": "0-0"}),
        ({"CW": "9-1"}, set(), {"CW": "9-1"}),
    ],
)
def test_an_area_new_to_the_client_is_read_from_its_start(
    known: dict[str, str], areas: set[str], expected: dict[str, str]
) -> None:
    assert cursor.start_positions(known, areas) == expected


def test_a_frame_is_one_data_line_whatever_the_payload() -> None:
    text = frames.frame("audit", [{"reason": "line one\nline two"}], event_id="CW=1-0")
    lines = text.split("\n")
    assert lines[:2] == ["id: CW=1-0", "event: audit"]
    assert json.loads(lines[2].removeprefix("data: ")) == [{"reason": "line one\nline two"}]
    assert text.endswith("\n\n")
    assert lines[3:] == ["", ""]


def test_comments_and_retry_are_wire_format() -> None:
    assert frames.comment("keepalive") == ": keepalive\n\n"
    assert frames.retry() == f"retry: {frames.RETRY_MS}\n\n"
    assert "id:" not in frames.frame("kpis", {"a": 1})
