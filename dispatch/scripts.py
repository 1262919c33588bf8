"""The dispatch Lua scripts: read once from their `.lua` files, registered once per client."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

from redis.asyncio import Redis
from redis.commands.core import AsyncScript


@cache
def script_source(name: str) -> str:
    """The text of `dispatch/lua/{name}.lua`."""
    return (resources.files("dispatch") / "lua" / f"{name}.lua").read_text(encoding="utf-8")


@dataclass(frozen=True)
class DispatchScripts:
    """Every atomic multi-key operation of the dispatch core, one script each."""

    create_incident: AsyncScript
    link_call: AsyncScript
    move_call: AsyncScript
    grade_incident: AsyncScript
    set_incident_status: AsyncScript
    claim_plan: AsyncScript
    claim_units: AsyncScript
    set_unit_status: AsyncScript
    register_unit: AsyncScript
    # Unacknowledged taskings (dispatch/acks.py).
    escalate_tasking: AsyncScript
    # Cross-BCU dispatch (dispatch/mutual_aid.py): a saga of one-slot steps.
    lend_units: AsyncScript
    attach_borrowed: AsyncScript
    return_lent: AsyncScript
    lent_unit_status: AsyncScript
    borrowed_unit_status: AsyncScript


def register_scripts(redis: Redis) -> DispatchScripts:
    """Register the scripts with a client (EVALSHA, falling back to EVAL after a Redis restart)."""
    return DispatchScripts(
        **{
            name: redis.register_script(script_source(name))
            for name in DispatchScripts.__annotations__
        }
    )
