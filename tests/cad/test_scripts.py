"""Script loading (transport/scripts.py) against a real Redis: preludes and the constants written
from Python, EVALSHA with the NOSCRIPT reload alone and in batches, answers read by handles."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from redis.asyncio import Redis
from redis.exceptions import ResponseError

import callhandling.lua
import dispatch.lua
from cad.incident_record import FINAL, OPEN
from dispatch.claims import GRADE_RANK, RANK_WEIGHT, UNGRADED_RANK
from dispatch.lua import unit_candidates
from transport.scripts import (
    Batch,
    CrossSlotScriptError,
    Script,
    ScriptClient,
    lua_constants,
    read_script,
)

COUNT = Script("count", "redis.call('INCR', KEYS[1]) return redis.call('GET', KEYS[1])")
ECHO = Script("echo", "return ARGV[1]")


def test_constants_are_written_as_lua_in_a_stable_order() -> None:
    assert lua_constants(
        {"N": 4, "BIG": 10**13, "NAME": "on_scene", "SET": {"b", "a"}, "TABLE": {"S": 1, "I": 0}}
    ) == (
        "local N = 4\n"
        "local BIG = 10000000000000\n"
        "local NAME = 'on_scene'\n"
        "local SET = {['a'] = true, ['b'] = true}\n"
        "local TABLE = {['I'] = 0, ['S'] = 1}\n"
    )


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (True, TypeError),  # a bool is an int to Python, not a number to mean
        (2**53 + 1, ValueError),  # a Lua 5.1 number is a double
        ("it's", ValueError),  # would end the Lua string
        ({"a\\b"}, ValueError),
    ],
)
def test_a_constant_lua_could_not_hold_as_written_is_refused(value: object, error: type) -> None:
    with pytest.raises(error):
        lua_constants({"X": value})  # type: ignore[dict-item]


def test_the_prelude_goes_after_a_flags_line_and_before_the_header() -> None:
    text = unit_candidates.SCRIPT.source
    assert text.startswith("#!lua flags=no-writes\n" + dispatch.lua.PRELUDE)
    plain = read_script("dispatch", "claim_plan", prelude="-- prelude\n").source
    assert plain.startswith("-- prelude\n-- Claim the nearest suitable available units")


async def test_the_dispatch_prelude_holds_the_python_constants(redis: Redis) -> None:
    """What claim_units.lua ranks incidents by is what the Python code queues them by."""
    probe = dispatch.lua.PRELUDE + (
        "local open, final = {}, {}\n"
        "for s in pairs(OPEN) do open[#open + 1] = s end\n"
        "for s in pairs(FINAL) do final[#final + 1] = s end\n"
        "table.sort(open) table.sort(final)\n"
        "return {{RANK.I, RANK.S, RANK.E, RANK.R, UNGRADED_RANK, WEIGHT, rank(nil)},"
        " open, final}"
    )
    ranks, open_statuses, final_statuses = await redis.eval(probe, 0)
    assert ranks == [*GRADE_RANK.values(), UNGRADED_RANK, RANK_WEIGHT, UNGRADED_RANK]
    assert open_statuses == sorted(OPEN)
    assert final_statuses == sorted(FINAL)


async def test_the_callhandling_prelude_holds_the_open_statuses(redis: Redis) -> None:
    probe = callhandling.lua.PRELUDE + (
        "local open = {} for s in pairs(OPEN) do open[#open + 1] = s end table.sort(open)"
        " return open"
    )
    assert await redis.eval(probe, 0) == sorted(OPEN)


@pytest.mark.parametrize("package", ["dispatch", "callhandling"])
def test_shared_helpers_and_constants_are_written_once(package: str, repo_root: Path) -> None:
    """Each lives in its package's prelude (or in Python); no script defines its own."""
    shared = re.compile(
        r"local (function )?(without|rank|escalation_refused|make_unresponsive|record_call)\b"
        r"|local (RANK|WEIGHT|OPEN|FINAL|open)\s*="
    )
    scripts = sorted((repo_root / package / "lua").glob("*.lua"))
    assert len(scripts) > 5
    defined = {
        path.name: shared.findall(path.read_text(encoding="utf-8"))
        for path in scripts
        if path.name != "prelude.lua"
    }
    assert {name: found for name, found in defined.items() if found} == {}


async def test_a_script_alone_is_loaded_again_after_redis_forgets_it(redis: Redis) -> None:
    client = ScriptClient(redis)
    assert await client.run(COUNT, ["n"], []) == "1"
    await redis.script_flush()
    assert await client.run(COUNT, ["n"], []) == "2"


async def test_each_handle_reads_its_own_answer_among_the_batch(redis: Redis) -> None:
    await redis.script_load(ECHO.source)  # else the batch is sent twice (below)
    batch = Batch()
    first = batch.command(int, "INCRBY", "a", 5)
    echo = batch.script(ECHO, [], ["hello"], str.upper)
    second = batch.command(lambda v: v, "GET", "a")
    answers = await batch.run(redis)
    assert (first.answer(answers), echo.answer(answers), second.answer(answers)) == (
        5, "HELLO", "5",
    )  # fmt: skip


async def test_a_batch_whose_guard_redis_forgot_is_sent_again(redis: Redis) -> None:
    await redis.script_flush()
    batch = Batch()
    sent = batch.command(int, "INCR", "sent")
    guard = batch.script(COUNT, ["guarded"], [], int, guard=True)
    answers = await batch.run(redis)
    # The guard ran once, on the second send; the plain command before it ran on both.
    assert (sent.answer(answers), guard.answer(answers)) == (2, 1)
    assert await redis.get("guarded") == "1"


async def test_a_forgotten_script_that_guards_nothing_is_left_to_its_handle(
    redis: Redis,
) -> None:
    await redis.script_flush()
    await redis.script_load(COUNT.source)
    batch = Batch()
    guard = batch.script(COUNT, ["guarded"], [], int, guard=True)
    echo = batch.script(ECHO, [], ["late"], str)
    answers = await batch.run(redis)
    assert guard.answer(answers) == 1
    assert not echo.ran(answers)
    assert await redis.script_exists(ECHO.sha) == [True]  # loaded for the next time
    assert await redis.get("guarded") == "1"


async def test_a_batch_of_scripts_all_forgotten_is_sent_again(redis: Redis) -> None:
    await redis.script_flush()
    batch = Batch()
    echo = batch.script(ECHO, [], ["again"], str)
    assert echo.answer(await batch.run(redis)) == "again"


async def test_an_error_in_a_batch_is_raised(redis: Redis) -> None:
    await redis.set("text", "not a hash")
    batch = Batch()
    batch.command(int, "HSET", "text", "f", "v")
    with pytest.raises(ResponseError, match="WRONGTYPE"):
        await batch.run(redis)


def test_a_scripts_keys_are_one_slot_as_redis_cluster_counts_them() -> None:
    """Keys are judged by their hash tags first and by their slots when the tags differ: what
    Redis Cluster would accept is accepted, what it would refuse is refused."""
    count = Script("count", "return 1")
    batch = Batch()
    batch.script(count, ["cad:{CW}:a", "cad:{CW}:b:{NE}"], [], int)  # the first tag counts
    batch.script(count, ["CW", "cad:{CW}:a"], [], int)  # no tag: the whole key is hashed
    batch.script(count, ["{}a", "{}a"], [], int)  # an empty tag is no tag
    batch.script(count, ["{a}1", "{a}2", "a"], [], int)
    # Different tags, one slot: their CRC16s agree (as redis-py's key_slot counts them).
    batch.script(count, ["{ahy}:a", "{iaa}:b"], [], int)
    for keys in (["cad:{CW}:a", "cad:{NE}:a"], ["{}a", "{}b"], ["a", "b"]):
        with pytest.raises(CrossSlotScriptError):
            batch.script(count, keys, [], int)
