"""Lua scripts: each read once from its package's `lua/` folder and run by its SHA, alone or
among other commands in one round trip.

Redis keeps a script by the SHA1 of its text until it restarts (or SCRIPT FLUSH). Alone, a
script runs by EVALSHA and, when Redis answers NOSCRIPT, is loaded and run again. In a batch
(one pipelined round trip) scripts go by SHA alone too: redis-py's own script-in-pipeline
support asks SCRIPT EXISTS first, a round trip of its own on every execute. When Redis had
forgotten some, those are loaded, and the batch is sent again only if nothing it guards happened.

A package's scripts share a prelude: Lua helpers written once in its `lua/prelude.lua`, and the
constants the scripts share with the Python code, generated from their one definition in Python
(`lua_constants`). The prelude goes in front of each script's own text when it is read, so each
`.lua` file keeps its KEYS/ARGV header on top. Why not Redis Functions (FUNCTION LOAD): a library
is one server-side object per name, so two versions of the service side by side in a rolling
deploy would keep replacing each other's, and on Redis Cluster it must be loaded on every node; a
script is named by the hash of its own text, and each version runs its own.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Generic, TypeVar

from redis.asyncio.cluster import RedisCluster
from redis.crc import key_slot
from redis.exceptions import NoScriptError

from cad.errors import CadError
from transport.multiplexed_redis import MultiplexedRedis, pooled_pipeline
from transport.redis_types import AsyncRedis

T = TypeVar("T")
Arg = str | int | float
# What a prelude's constant may be: a number, a name, a set of names or a table of numbers.
LuaConstant = int | str | AbstractSet[str] | Mapping[str, int]

# Lua 5.1 numbers are doubles: integers beyond 2^53 would not come out as written.
_LUA_EXACT = 2**53
# A name written into a script: nothing that could end the string or need an escape.
_PLAIN = re.compile(r"[A-Za-z0-9_ .:,-]*")


@dataclass(frozen=True)
class Script:
    """One Lua script as Redis runs it: its name, its whole text (prelude included), its SHA1."""

    name: str
    source: str
    sha: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        digest = hashlib.sha1(self.source.encode(), usedforsecurity=False).hexdigest()
        object.__setattr__(self, "sha", digest)


@cache
def lua_file(package: str, filename: str) -> str:
    """The text of `{package}/lua/{filename}`."""
    return (resources.files(package) / "lua" / filename).read_text(encoding="utf-8")


def read_script(package: str, name: str, *, prelude: str = "") -> Script:
    """`{package}/lua/{name}.lua` with `prelude` in front of its own text (after a `#!lua` line,
    which Redis reads only as the first)."""
    text = lua_file(package, f"{name}.lua")
    if prelude:
        first, _, rest = text.partition("\n")
        text = f"{first}\n{prelude}{rest}" if first.startswith("#!") else prelude + text
    return Script(name, text)


def lua_constants(constants: Mapping[str, LuaConstant]) -> str:
    """`local NAME = value` lines for a prelude, one a constant, in the order given; sets and
    tables sorted, so that every process writes the same text (so the same SHA)."""
    return "".join(f"local {name} = {_literal(value)}\n" for name, value in constants.items())


def _literal(value: LuaConstant) -> str:
    if isinstance(value, bool):
        raise TypeError("a Lua constant is a number, a name, a set or a table of numbers")
    if isinstance(value, int):
        if abs(value) > _LUA_EXACT:
            raise ValueError(f"{value} is beyond what a Lua number holds exactly")
        return str(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, Mapping):
        pairs = sorted((str(k), v) for k, v in value.items())
        return "{" + ", ".join(f"[{_string(k)}] = {_literal(v)}" for k, v in pairs) + "}"
    return "{" + ", ".join(f"[{_string(k)}] = true" for k in sorted(map(str, value))) + "}"


def _string(text: str) -> str:
    if not _PLAIN.fullmatch(text):
        raise ValueError(f"{text!r} is not a plain name to write into a script")
    return f"'{text}'"


def hash_reply(flat: Sequence[str]) -> dict[str, str]:
    """A hash as a script answers it (HGETALL inside Lua): name, value, name, value ..."""
    return dict(zip(flat[::2], flat[1::2], strict=True))


def _hash_tag(key: str) -> str:
    """What Redis Cluster hashes of a key: the text inside its first `{...}` when that is not
    empty, else the whole key (the rule redis-py's `key_slot` follows)."""
    start = key.find("{")
    if start >= 0:
        end = key.find("}", start + 1)
        if end > start + 1:
            return key[start + 1 : end]
    return key


class CrossSlotScriptError(CadError):
    """A script was asked to run on keys of several hash slots: Redis Cluster refuses it (one
    server would run it), so it is refused on every topology, before it is sent."""


def _one_slot(script: Script, keys: Sequence[str]) -> None:
    # Keys with one hash tag share its slot: a string compare a key, where a CRC16 of each key
    # (redis-py's, in Python) cost a call 20 to 40 µs; the slots are counted only otherwise.
    if len({_hash_tag(key) for key in keys}) <= 1:
        return
    slots = {key_slot(key.encode()) for key in keys}
    if len(slots) > 1:
        raise CrossSlotScriptError(
            f"script {script.name}: its KEYS {list(keys)} span {len(slots)} hash slots; a "
            "script's keys must share one hash tag (cad/keys.py)"
        )


class ScriptClient:
    """A package's scripts on one client: each runs alone by EVALSHA, and is loaded and run
    again when Redis has forgotten it (NOSCRIPT, after a restart)."""

    def __init__(self, redis: AsyncRedis) -> None:
        self.redis = redis

    async def run(self, script: Script, keys: Sequence[str], args: Sequence[Arg]) -> Any:
        """Run the script once, with these KEYS and ARGV; its reply as Redis gives it. It goes
        as a batch of one: the service's client sends batches on its one shared connection,
        where a lone EVALSHA would take a connection from redis-py's pool (about twice the
        client CPU a call: docs/performance.md)."""
        batch = Batch()
        ran = batch.script(script, keys, args, _as_given)
        return ran.answer(await batch.run(self.redis))


def _as_given(reply: Any) -> Any:
    return reply


@dataclass(frozen=True)
class Answers:
    """The replies of one batch, in the order it queued its commands (errors among them)."""

    replies: tuple[Any, ...]


class Queued(Generic[T]):
    """Where one command's reply will be among its batch's, and how it is read: whoever queued
    the command reads its answer, and nobody counts positions."""

    __slots__ = ("_at", "_read")

    def __init__(self, at: int, read: Callable[[Any], T]) -> None:
        self._at = at
        self._read = read

    def ran(self, answers: Answers) -> bool:
        """Whether Redis ran it (a script it had forgotten did not run)."""
        return not isinstance(answers.replies[self._at], NoScriptError)

    def answer(self, answers: Answers) -> T:
        """Its reply, read; an error reply is raised."""
        reply = answers.replies[self._at]
        if isinstance(reply, Exception):
            raise reply
        return self._read(reply)


@dataclass(frozen=True)
class _Command:
    args: tuple[Arg, ...]
    # redis-py's own options for reading the reply (`get` for SET ... GET); most have none.
    options: Mapping[str, Any]
    # The keys it touches: on a cluster, the nodes a WAIT must ask.
    keys: tuple[str, ...] = ()


class Batch:
    """Commands for one round trip, kept as they were queued so that the batch can be sent again
    as it was (so a batch's plain commands must bear being sent twice: after a Redis restart
    they are). Each queue call answers with the handle that reads that command's reply."""

    def __init__(self) -> None:
        self._commands: list[_Command] = []
        # Position, script, and whether what follows it depends on it having run.
        self._scripts: list[tuple[int, Script, bool]] = []
        self._wait_at: int | None = None

    def command(
        self, read: Callable[[Any], T], command: str, key: str, *args: Arg, **options: Any
    ) -> Queued[T]:
        """Queue one Redis command on one key, spelled as Redis does (`"HGET", key, field`)."""
        self._commands.append(_Command((command, key, *args), options, (key,)))
        return Queued(len(self._commands) - 1, read)

    def wait_for_replicas(self, replicas: int, timeout_ms: int) -> Queued[int]:
        """Queue WAIT last: its reply (how many replicas hold every write before it) comes once
        that many do or after the timeout, so a failover keeps what the batch wrote when the
        count is reached (docs/reliability.md, "Redis Sentinel"). Redis answers nothing else on
        the connection meanwhile, so the batch goes on a pooled connection, not the shared one:
        with no replica answering, every batch of the process queued behind each WAIT's timeout
        (seen under a storm: lease renewals timed out, the intake passed between replicas). On a
        cluster each primary the batch touched is asked, and the reply is the fewest any of them
        counted."""
        self._commands.append(_Command(("WAIT", replicas, timeout_ms), {}))
        self._wait_at = len(self._commands) - 1
        return Queued(self._wait_at, int)

    def script(
        self,
        script: Script,
        keys: Sequence[str],
        args: Sequence[Arg],
        read: Callable[[Any], T],
        *,
        guard: bool = False,
    ) -> Queued[T]:
        """Queue a script by its SHA. A `guard` decides what the rest of the batch means: when
        Redis had forgotten it, nothing the batch did counts and the batch is sent again. Its
        keys must share one hash slot (CrossSlotScriptError)."""
        _one_slot(script, keys)
        at = len(self._commands)
        command = ("EVALSHA", script.sha, len(keys), *keys, *args)
        self._commands.append(_Command(command, {}, tuple(keys)))
        self._scripts.append((at, script, guard))
        return Queued(at, read)

    async def run(self, redis: AsyncRedis) -> Answers:
        """Send the batch in one round trip and answer its replies; the first error that is not
        a forgotten script is raised. When Redis had forgotten scripts (NOSCRIPT, after a
        restart) they are loaded, and the batch is sent once more if a guard was among them or
        none of its scripts ran; a script that still did not run is for its handle to tell."""
        replies = await self._send(redis)
        forgotten = [(at, s, g) for at, s, g in self._scripts if _forgot(replies[at])]
        if forgotten:
            for script in {s.sha: s for _, s, _ in forgotten}.values():
                await redis.script_load(script.source)
            if any(g for _, _, g in forgotten) or len(forgotten) == len(self._scripts):
                replies = await self._send(redis)
        for reply in replies:
            if isinstance(reply, Exception) and not _forgot(reply):
                raise reply
        return Answers(tuple(replies))

    async def _send(self, redis: AsyncRedis) -> list[Any]:
        if self._wait_at is None:
            if isinstance(redis, MultiplexedRedis):
                return await redis.run_batch([(c.args, c.options) for c in self._commands])
            pipeline = redis.pipeline(transaction=False)
        elif isinstance(redis, RedisCluster):
            return await self._send_to_cluster(redis, self._wait_at)
        else:
            pipeline = pooled_pipeline(redis)
        async with pipeline as pipe:
            for command in self._commands:
                pipe.execute_command(*command.args, **command.options)
            replies: list[Any] = await pipe.execute(raise_on_error=False)
        return replies

    async def _send_to_cluster(self, redis: RedisCluster, wait_at: int) -> list[Any]:
        # WAIT counts the replicas holding the writes of the connection it comes on: redis-py
        # sends each node's share of a pipeline on one connection, so one WAIT goes to each node
        # the batch touched, after its commands (redis-py would send a keyless one anywhere).
        await redis.initialize()
        nodes = {
            node.name: node
            for command in self._commands
            for node in map(redis.get_node_from_key, command.keys)
        }
        wait = self._commands[wait_at]
        async with redis.pipeline(transaction=False) as pipe:
            for command in self._commands:
                if command is not wait:
                    pipe.execute_command(*command.args, **command.options)
            for node in nodes.values():
                pipe.execute_command(*wait.args, target_nodes=node)
            sent: list[Any] = await pipe.execute(raise_on_error=False)
        replies, counts = sent[: len(self._commands) - 1], sent[len(self._commands) - 1 :]
        errors = [count for count in counts if isinstance(count, Exception)]
        replies.insert(wait_at, errors[0] if errors else min(counts, default=0))
        return replies


def _forgot(reply: Any) -> bool:
    return isinstance(reply, NoScriptError)
