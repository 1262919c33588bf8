"""`amend_result.lua`: a closed incident's result amended within the amendment window."""

from __future__ import annotations

from typing import Literal, NamedTuple

from cad.keys import AreaKeys
from callhandling.lua import call_script
from callhandling.scripts import CallScripts

SCRIPT = call_script("amend_result")


class Amendment(NamedTuple):
    """`ok` with the previous result code; `rejected` with the reason; `missing` (no such
    incident): nothing changed."""

    outcome: Literal["ok", "rejected", "missing"]
    detail: str


async def amend_result(
    scripts: CallScripts,
    *,
    area: str,
    ref: str,
    code: str,
    category: str,
    reason: str,
    closed_since_ms: int,
    now_ms: int,
    actor: str,
) -> Amendment:
    """Set the result of closed incident `ref` to `code` (of `category`), if it closed at or
    after `closed_since_ms`; audited with the old code and the reason."""
    keys = AreaKeys(area)
    outcome, detail = await scripts.run(
        SCRIPT,
        [keys.incident(ref), keys.audit],
        [ref, code, category, reason, now_ms, actor, closed_since_ms],
    )
    return Amendment(outcome, str(detail))
