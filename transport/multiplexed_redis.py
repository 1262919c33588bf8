"""redis-py's asyncio client whose non-transactional pipelines and script calls share one
connection (`transport/redis_link.py`).

The rest of the service keeps calling redis-py's public API (`pipeline(transaction=False)`,
`execute(raise_on_error=False)`, `register_script`, `evalsha`) and gets redis-py's answers and
exceptions: commands are queued by redis-py's own `Pipeline`, replies shaped by the client's
response callbacks, error replies turned into redis-py's classes (`run_batch`, which the call
path's batches take, answers the same without building the pipeline). Only the round trip is ours:
redis-py's own pipeline spent 2x to 3x the client CPU of this one on a round trip here (a pooled
connection, a retry wrapper, timeout scopes), which bounded the service's intake;
`docs/performance.md` ("The Redis transport") has the figures of the options measured.
Transactions (MULTI/EXEC, WATCH), pipelines that queued a `Script` object, replies wanted
undecoded, other single commands, pub/sub and blocking reads keep redis-py's pool.

What we lean on in redis-py (hence `redis<9` in pyproject.toml): `Pipeline`'s public attributes
`command_stack`, `watching`, `scripts`, `response_callbacks` and its `reset` and
`raise_first_error`; the option names `EMPTY_RESPONSE` and `NEVER_DECODE` of `redis.client`;
`AsyncScript`'s `registered_client`, `script` and `sha`.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.client import EMPTY_RESPONSE, NEVER_DECODE
from redis.commands.core import AsyncScript
from redis.exceptions import NoScriptError, RedisError, ResponseError

from transport.redis_link import SharedConnection
from transport.redis_packing import pack_command


class SharedPipeline(Pipeline):  # type: ignore[misc]
    """redis-py's non-transactional pipeline, executed on the client's shared connection."""

    def __init__(self, shared: SharedConnection, *args: Any) -> None:
        super().__init__(*args)
        # Not `_shared`: a subclass of theirs names nothing of its own privately
        # (tests/test_private_apis.py cannot tell ours from theirs).
        self.shared_connection = shared

    async def execute(self, raise_on_error: bool = True) -> list[Any]:
        """Run the queued commands in one round trip; as redis-py's `execute`."""
        stack = self.command_stack
        if self.watching or self.scripts or any(NEVER_DECODE in opts for _, opts in stack):
            return list(await super().execute(raise_on_error))
        if not stack:
            return []
        try:
            answers = await _round_trip(self.shared_connection, self.response_callbacks, stack)
        finally:
            await self.reset()
        if raise_on_error:
            self.raise_first_error(stack, answers)
        return answers


Commands = Sequence[tuple[tuple[Any, ...], Mapping[str, Any]]]


async def _round_trip(
    shared: SharedConnection, callbacks: dict[Any, Any], commands: Commands
) -> list[Any]:
    """Commands, each with redis-py's options for its reply, sent in one round trip; their
    answers as redis-py's pipeline gives them with `raise_on_error=False`."""
    packed = b"".join([pack_command(*args) for args, _ in commands])
    replies = await shared.execute(packed, len(commands))
    answers = [
        _answer(callbacks, args, options, reply)
        for (args, options), reply in zip(commands, replies, strict=True)
    ]
    return [await a if inspect.isawaitable(a) else a for a in answers]


def _answer(
    callbacks: dict[Any, Any], args: tuple[Any, ...], options: Mapping[str, Any], reply: Any
) -> Any:
    """A reply as redis-py's `parse_response` makes it: response callbacks, EMPTY_RESPONSE;
    an error reply that is not a ResponseError (LOADING is a ConnectionError) is raised."""
    if isinstance(reply, RedisError):
        if not isinstance(reply, ResponseError):
            raise reply
        return options.get(EMPTY_RESPONSE, reply)
    callback = callbacks.get(args[0])
    if callback is None:
        return reply
    if options:
        options = {k: v for k, v in options.items() if k not in (EMPTY_RESPONSE, "keys")}
    return callback(reply, **options)


class SharedScript(AsyncScript):  # type: ignore[misc]
    """A registered Lua script whose calls are EVALSHA on the shared connection; when Redis had
    forgotten it (a restart, SCRIPT FLUSH) it is loaded and run again in one more round trip."""

    async def __call__(
        self,
        keys: Sequence[Any] | None = None,
        args: Iterable[Any] | None = None,
        client: Any = None,
    ) -> Any:
        """Run the script on `keys` and `args` and return its answer; as redis-py's."""
        if client is not None and client is not self.registered_client:
            return await super().__call__(keys, args, client)
        keys = list(keys or ())
        arguments = (self.sha, len(keys), *keys, *(args or ()))
        async with self.registered_client.pipeline(transaction=False) as pipe:
            pipe.evalsha(*arguments)
            [answer] = await pipe.execute(raise_on_error=False)
        if isinstance(answer, NoScriptError):
            async with self.registered_client.pipeline(transaction=False) as pipe:
                pipe.script_load(self.script)
                pipe.evalsha(*arguments)
                loaded, answer = await pipe.execute(raise_on_error=False)
            if isinstance(loaded, Exception):
                raise loaded
        if isinstance(answer, Exception):
            raise answer
        return answer


class MultiplexedRedis(Redis):  # type: ignore[misc]
    """redis-py's asyncio client whose non-transactional pipelines and script calls share one
    connection; without one (`shared` None: a client redis-py derived) it is redis-py's own."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.shared: SharedConnection | None = None
        self.also_close: tuple[Redis, ...] = ()

    @classmethod
    def over(
        cls, pool: Any, shared: SharedConnection, *, also_close: Sequence[Redis] = ()
    ) -> MultiplexedRedis:
        """A client owning `pool` (as redis-py's `from_pool`), pipelining on `shared`; closing
        it closes the clients `also_close` too (the sentinels' own, which nothing else closes)."""
        client: MultiplexedRedis = cls.from_pool(pool)
        client.shared = shared
        client.also_close = tuple(also_close)
        return client

    def pipeline(self, transaction: bool = True, shard_hint: str | None = None) -> Pipeline:
        """A pipeline as redis-py's, on the shared connection unless it is a transaction."""
        if transaction or self.shared is None:
            return super().pipeline(transaction, shard_hint)
        return SharedPipeline(
            self.shared, self.connection_pool, self.response_callbacks, transaction, shard_hint
        )

    async def run_batch(self, commands: Commands) -> list[Any]:
        """Commands in one round trip, answered as a non-transactional pipeline's
        `execute(raise_on_error=False)` answers them: on the shared connection without building
        redis-py's pipeline (its object, its context and its command stack a round trip), else
        through one."""
        if self.shared is None or any(NEVER_DECODE in options for _, options in commands):
            async with self.pipeline(transaction=False) as pipe:
                for args, options in commands:
                    pipe.execute_command(*args, **options)
                return list(await pipe.execute(raise_on_error=False))
        if not commands:
            return []
        return await _round_trip(self.shared, self.response_callbacks, commands)

    def register_script(self, script: str) -> AsyncScript:
        """A script object as redis-py's, whose calls go on the shared connection."""
        if self.shared is None:
            return super().register_script(script)
        return SharedScript(self, script)

    async def aclose(self, close_connection_pool: bool | None = None) -> None:
        """Close the shared connection, then the pool as redis-py does, then the clients it
        owns besides (an unclosed connection is a ResourceWarning when collected: seen in the
        Sentinel storm test, from the sentinels' connections)."""
        if self.shared is not None:
            await self.shared.aclose()
        await super().aclose(close_connection_pool)
        for other in self.also_close:
            await other.aclose()


def pooled_pipeline(redis: Redis) -> Pipeline:
    """A non-transactional pipeline on a connection of the client's pool, even where the client
    shares one connection: for a batch that holds its connection's replies back (WAIT), which on
    the shared connection would hold up every other batch of the process behind it."""
    if isinstance(redis, MultiplexedRedis):
        return Redis.pipeline(redis, transaction=False)
    return redis.pipeline(transaction=False)
