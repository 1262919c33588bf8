"""The dispatch Lua scripts: read once from their `.lua` files, registered once per client."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from functools import cache
from importlib import resources
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.commands.core import AsyncScript
from redis.exceptions import NoScriptError


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
    # Re-packs an area's geo sets (dispatch/geo_sets.py).
    compact_geo: AsyncScript
    # Read only: a recommendation's candidates in one round trip (dispatch/candidates.py).
    unit_candidates: AsyncScript
    # The open incidents near a new call, as duplicate scoring needs them (callhandling).
    open_incident_facts: AsyncScript
    # Unacknowledged taskings (dispatch/acks.py); a lent unit's is a saga: the unit side in its
    # own area, then the incident side in the borrowing area.
    escalate_tasking: AsyncScript
    escalate_unit: AsyncScript
    drop_borrowed_unit: AsyncScript
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


async def run_pipeline(
    redis: Redis,
    scripts: DispatchScripts,
    queue: Callable[[Pipeline], None],
    *,
    retry_if_unknown: int,
) -> list[Any]:
    """Execute the commands `queue` puts on a pipeline in one round trip and return the answers,
    errors among them (the caller looks). When Redis had forgotten scripts (NOSCRIPT, after a
    restart), every script is loaded again; when the one at `retry_if_unknown` was among them,
    it had no effect, so the whole pipeline runs once more."""
    for attempt in range(2):
        async with redis.pipeline(transaction=False) as pipe:
            queue(pipe)
            answers: list[Any] = await pipe.execute(raise_on_error=False)
        if not any(isinstance(a, NoScriptError) for a in answers):
            break
        for script in {getattr(scripts, f.name).script for f in fields(scripts)}:
            await redis.script_load(script)
        if attempt or not isinstance(answers[retry_if_unknown], NoScriptError):
            break
    return answers


def raise_errors(answers: Sequence[Any]) -> None:
    """Raise the first error among a pipeline's answers."""
    for answer in answers:
        if isinstance(answer, Exception):
            raise answer


def hash_answer(flat: Sequence[str]) -> dict[str, str]:
    """A hash as a script answers it (HGETALL inside Lua): name, value, name, value ..."""
    return dict(zip(flat[::2], flat[1::2], strict=True))


def queue_script(
    pipe: Pipeline, script: AsyncScript, *, keys: Sequence[str], args: Sequence[str | int | float]
) -> None:
    """Queue a script by its SHA alone: redis-py's own script-in-pipeline support asks Redis
    SCRIPT EXISTS first, a round trip of its own on every execute."""
    pipe.evalsha(script.sha, len(keys), *keys, *args)
