"""Topic names under a configurable root."""

from __future__ import annotations

import pytest

from cad.topics import Topics


def test_names() -> None:
    t = Topics("cad")
    assert t.calls_in == "cad/calls/in"
    assert t.tasking("CW01") == "cad/units/CW01/tasking"
    assert t.status("CW01") == "cad/units/CW01/status"
    assert t.avl("CW01") == "cad/units/CW01/avl"
    assert t.deadletter == "cad/deadletter"
    assert t.incident("CAD 0001/22NOV26") == "cad/incidents/CAD_0001-22NOV26"


@pytest.mark.parametrize(
    ("root", "topic", "callsign"),
    [
        ("cad", "cad/units/CW01/avl", "CW01"),
        ("t/cad", "t/cad/units/CW01/status", "CW01"),
        ("cad", "cad/units//avl", None),
        ("cad", "other/units/CW01/avl", None),
        ("cad", "cad/calls/in", None),
        ("cad", "cad/units/CW01/avl/extra", None),
    ],
)
def test_callsign_of(root: str, topic: str, callsign: str | None) -> None:
    assert Topics(root).callsign_of(topic) == callsign
