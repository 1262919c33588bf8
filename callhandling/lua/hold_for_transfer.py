"""`hold_for_transfer.lua`: a new incident of another force's area into the transfer queue."""

from __future__ import annotations

from cad.keys import AreaKeys
from callhandling.lua import call_script
from transport.scripts import Batch, Queued

SCRIPT = call_script("hold_for_transfer")


def queue_hold_for_transfer(
    batch: Batch, *, area: str, ref: str, now_ms: int, actor: str
) -> Queued[bool]:
    """Hold incident `ref` for hand-over, on the batch that creates it (after the creation);
    True when held (the batch created it, in status `transfer`)."""
    keys = AreaKeys(area)
    return batch.script(
        SCRIPT, [keys.incident(ref), keys.transfer, keys.audit], [ref, now_ms, actor], bool
    )
