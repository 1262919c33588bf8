"""`read_callers.lua`: the caller's number of each of an incident's calls, every read audited."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from cad.keys import AreaKeys
from callhandling.lua import call_script
from callhandling.scripts import CallScripts

SCRIPT = call_script("read_callers")


class CallerNumber(NamedTuple):
    """One call's caller number (None when the call gave none, or its record has expired)."""

    call_id: str
    cli: str | None
    kept: bool


async def read_callers(
    scripts: CallScripts,
    *,
    area: str,
    ref: str,
    call_ids: Sequence[str],
    now_ms: int,
    actor: str,
) -> list[CallerNumber]:
    """The caller numbers of `call_ids` (calls of incident `ref` in `area`); each read of a call
    still kept is audited as `caller_read` (who, when, which call) before it is answered."""
    keys = AreaKeys(area)
    reply = await scripts.run(
        SCRIPT,
        [keys.audit, *(keys.call(c) for c in call_ids)],
        [ref, now_ms, actor, *call_ids],
    )
    return _read(reply)


def _read(reply: Any) -> list[CallerNumber]:
    values = [str(v) for v in reply]
    return [
        CallerNumber(values[i], values[i + 1] or None, values[i + 2] == "1")
        for i in range(0, len(values), 3)
    ]
