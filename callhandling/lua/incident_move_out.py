"""`incident_move_out.lua`: step 1 of moving an incident to another dispatch area, what it is
in the area it leaves (callhandling/incident_move.py)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Literal, NamedTuple

from cad.keys import AreaKeys
from callhandling.lua import call_script
from callhandling.scripts import CallScripts

SCRIPT = call_script("incident_move_out")


class MovedCall(NamedTuple):
    """One of the incident's calls: its id, its place among the calls, its record and how long
    the record has left (ms; negative: none)."""

    call_id: str
    score: str
    fields: dict[str, str]
    pttl_ms: int


class Snapshot(NamedTuple):
    """The incident as its area holds it: its fields, its calls, its place in the queue and in
    the result queue ('' for none), and its units still committed to it there."""

    incident: dict[str, str]
    calls: list[MovedCall]
    pending: str
    awaiting: str
    committed: list[str]


class MoveOut(NamedTuple):
    """`ok` with the fingerprint and the snapshot; `rejected` with the reason; `retry` (its
    calls changed meanwhile); `missing`."""

    outcome: Literal["ok", "rejected", "retry", "missing"]
    fingerprint: str
    snapshot: Snapshot | None
    reason: str


async def incident_move_out(
    scripts: CallScripts, *, area: str, ref: str, call_ids: Sequence[str]
) -> MoveOut:
    """What incident `ref` is in `area`, given its calls `call_ids` as read; nothing changes."""
    keys = AreaKeys(area)
    outcome, first, second = await scripts.run(
        SCRIPT,
        [
            keys.incident(ref), keys.incident_calls(ref), keys.unit_incident, keys.pending,
            keys.awaiting_result, *(keys.call(c) for c in call_ids),
        ],
        [ref, *call_ids],
    )  # fmt: skip
    if outcome != "ok":
        return MoveOut(outcome, "", None, str(second))
    return MoveOut("ok", str(first), _snapshot(json.loads(second)), "")


def _snapshot(decoded: dict[str, Any]) -> Snapshot:
    # Lua's JSON encoder writes an empty list as an empty object.
    calls = [
        MovedCall(str(c["id"]), str(c["score"]), dict(c["fields"] or {}), int(c["pttl_ms"]))
        for c in decoded["calls"] or []
    ]
    return Snapshot(
        dict(decoded["incident"]), calls, str(decoded["pending"]), str(decoded["awaiting"]),
        [str(c) for c in decoded["committed"] or []],
    )  # fmt: skip
