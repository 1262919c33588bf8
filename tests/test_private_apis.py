"""Our code uses only the public API of redis-py and hiredis: no private module or name of theirs,
no private attribute of their objects (the shared Redis connection once read redis-py's
connection's `_reader` and `_writer` and its private parser module)."""

from __future__ import annotations

import ast
from pathlib import Path

_REDIS_ROOT = Path(__file__).resolve().parent.parent
_REDIS_CHECKED_PACKAGES = (
    "cad", "transport", "dispatch", "callhandling", "service", "loadtests", "geo",
)  # fmt: skip
_REDIS_LIBRARIES = frozenset({"redis", "hiredis"})
# redis-py's private attributes on the objects it hands out (connections, pools, pipelines): a
# variable holding one is no longer known to come from redis, so these are refused by name in
# any module that imports redis or hiredis (on anything but `self`, which the class rule covers).
_REDIS_PRIVATE_ATTRIBUTES = frozenset(
    {
        "_writer", "_reader", "_parser", "_sock", "_buffer", "_command_packer", "_stream",
        "_execute_pipeline", "_execute_transaction", "_available_connections",
        "_in_use_connections", "_created_connections", "_connection",
    }
)  # fmt: skip
_REDIS_ATTRIBUTE_BY_NAME = frozenset({"getattr", "setattr", "hasattr", "delattr"})


def _redis_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _redis_root_name(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


class _RedisPrivateUses(ast.NodeVisitor):
    """Every use of something private to redis-py or hiredis in one module."""

    def __init__(self, tree: ast.Module) -> None:
        self.found: list[tuple[int, str]] = []
        self.bound: set[str] = set()  # names this module bound to redis's modules and objects
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    self._module(node, alias.name)
                    if alias.name.split(".")[0] in _REDIS_LIBRARIES:
                        self.bound.add(alias.asname or alias.name.split(".")[0])
            elif (
                isinstance(node, ast.ImportFrom)
                and node.module
                and not node.level
                and node.module.split(".")[0] in _REDIS_LIBRARIES
            ):
                self._module(node, node.module)
                for alias in node.names:
                    if _redis_private(alias.name):
                        self.found.append((node.lineno, f"imports {alias.name}"))
                    self.bound.add(alias.asname or alias.name)
        self.own_private: list[set[str]] = []  # per redis subclass being visited
        self.visit(tree)

    def _module(self, node: ast.stmt, module: str) -> None:
        parts = module.split(".")
        if parts[0] in _REDIS_LIBRARIES and any(_redis_private(part) for part in parts):
            self.found.append((node.lineno, f"imports the private module {module}"))

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        if not any(_redis_root_name(base) in self.bound for base in node.bases):
            self.generic_visit(node)
            return
        # A subclass of one of redis's classes: `self._x` must be its own `_x`, not redis's.
        own = {n.name for n in node.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
        for child in ast.walk(node):
            targets = (
                child.targets if isinstance(child, ast.Assign)
                else [child.target] if isinstance(child, ast.AnnAssign | ast.AugAssign)
                else []
            )  # fmt: skip
            for target in targets:
                if isinstance(target, ast.Attribute) and _redis_root_name(target) == "self":
                    own.add(target.attr)
                elif isinstance(target, ast.Name):
                    own.add(target.id)
        self.own_private.append(own)
        self.generic_visit(node)
        self.own_private.pop()

    def visit_Attribute(self, node: ast.Attribute) -> None:
        name = node.attr
        if _redis_private(name):
            value = node.value
            if _redis_root_name(node) in self.bound:
                self.found.append((node.lineno, f"uses {ast.unparse(node)}"))
            elif (
                self.bound
                and name in _REDIS_PRIVATE_ATTRIBUTES
                and _redis_root_name(value) != "self"
            ):
                self.found.append((node.lineno, f"uses redis-py's private {ast.unparse(node)}"))
            elif self.own_private and name not in self.own_private[-1]:
                inherited = isinstance(value, ast.Name) and value.id == "self"
                inherited |= isinstance(value, ast.Call) and ast.unparse(value.func) == "super"
                if inherited:
                    self.found.append((node.lineno, f"uses the inherited {ast.unparse(node)}"))
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        if (
            self.bound
            and isinstance(node.func, ast.Name)
            and node.func.id in _REDIS_ATTRIBUTE_BY_NAME
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
            and _redis_private(node.args[1].value)
            and _redis_root_name(node.args[0]) != "self"
        ):
            self.found.append((node.lineno, f"uses {ast.unparse(node)}"))
        self.generic_visit(node)


def _private_redis_uses(source: str) -> list[tuple[int, str]]:
    return _RedisPrivateUses(ast.parse(source)).found


def test_no_private_redis_api_is_used() -> None:
    found = [
        f"{path.relative_to(_REDIS_ROOT)}:{line}: {what}"
        for package in _REDIS_CHECKED_PACKAGES
        for path in sorted((_REDIS_ROOT / package).rglob("*.py"))
        for line, what in _private_redis_uses(path.read_text(encoding="utf-8"))
    ]
    assert found == []


# The shared connection as it was: a private module of redis-py, and its connection's streams.
_REDIS_OLD_SHARED_CONNECTION = """
import hiredis
from redis._parsers.base import BaseParser
from redis.asyncio.connection import ConnectionPool

class SharedConnection:
    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool

    async def execute(self, packed: bytes) -> None:
        conn = self._pool.make_connection()
        await conn.connect()
        conn._writer.write(packed)
        reply = BaseParser.parse_error(await conn._reader.read(1))
        conn._reader = conn._writer = None
"""

_REDIS_OTHER_PRIVATE_USES = """
import redis.asyncio as aioredis
from redis.asyncio.connection import Connection
from redis import _parsers
from redis.asyncio.client import _RedisT

class Packing(Connection):
    def __init__(self) -> None:
        self._mine = 1

    def pack_command(self, *args: object) -> object:
        self._mine += 1
        return self._command_packer.pack(*args), super()._connect(), self._mine

pool = aioredis.client._something
hidden = getattr(pool, "_available_connections")
"""


def test_the_redis_check_finds_what_the_old_shared_connection_used() -> None:
    assert _private_redis_uses(_REDIS_OLD_SHARED_CONNECTION) == [
        (3, "imports the private module redis._parsers.base"),
        (13, "uses redis-py's private conn._writer"),
        (14, "uses redis-py's private conn._reader"),
        (15, "uses redis-py's private conn._reader"),
        (15, "uses redis-py's private conn._writer"),
    ]
    assert _private_redis_uses(_REDIS_OTHER_PRIVATE_USES) == [
        (4, "imports _parsers"),
        (5, "imports _RedisT"),
        (13, "uses the inherited self._command_packer"),
        (13, "uses the inherited super()._connect"),
        (15, "uses aioredis.client._something"),
        (16, "uses getattr(pool, '_available_connections')"),
    ]
