"""Our code uses only the public API of the clients it leans on (redis-py, hiredis, paho-mqtt,
mqtt5, and aiomqtt should it come back): an AST walk over every module of ours flags imports of
their private modules or names, any single-underscore attribute reached on their modules,
classes or objects (or by name, through getattr), and any defined, assigned or read in a class of
ours that derives from one of theirs (overriding a private hook such as `_sock_recv` or
`_wait_for`, or reading private state such as `_in_packet` or a connection's `_reader`).

An object is theirs when it is bound to one of their names, built by a call of one, annotated
with one, or returned by a function of ours annotated to return one: a light inference that
follows what our code writes down; a value it cannot follow is still caught when it reaches one
of their known private attributes (`_KNOWN_PRIVATE`), and mypy --strict leaves few untyped.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

import pytest

_ROOT = Path(__file__).resolve().parent.parent
_PACKAGES = ("cad", "transport", "dispatch", "callhandling", "service", "loadtests", "geo")
_LIBRARIES = frozenset({"paho", "aiomqtt", "mqtt5", "redis", "hiredis"})
# redis-py's private attributes on the objects it hands out (connections, pools, pipelines): a
# value that came from a call the rule cannot follow is no longer known to be redis's, so these
# are refused by name on anything but `self` in any module that imports one of the libraries.
_KNOWN_PRIVATE = frozenset(
    {
        "_writer", "_reader", "_parser", "_sock", "_buffer", "_command_packer", "_stream",
        "_execute_pipeline", "_execute_transaction", "_available_connections",
        "_in_use_connections", "_created_connections", "_connection", "_client", "_in_packet",
        "_out_packet", "_sock_recv", "_handle_publish", "_wait_for",
    }
)  # fmt: skip
_BY_NAME = frozenset({"getattr", "setattr", "hasattr", "delattr"})


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _is_library_module(dotted: str) -> bool:
    return dotted.split(".")[0] in _LIBRARIES


@dataclass
class _Project:
    """What every module of ours says about the libraries' types, by simple name."""

    derived_classes: set[str] = field(default_factory=set)
    library_returns: set[str] = field(default_factory=set)
    # Our type aliases of theirs (transport/redis_types.py's `AsyncRedis`).
    library_aliases: set[str] = field(default_factory=set)


class _ModuleCheck(ast.NodeVisitor):
    """The violations in one module."""

    def __init__(self, path: str, project: _Project) -> None:
        self._path = path
        self._project = project
        self._library_names: set[str] = set()
        self._typed: list[set[str]] = [set()]  # names holding library objects, per scope
        self._derived: list[bool] = [False]  # whether the enclosing class derives from theirs
        self._self_typed: list[set[str]] = [set()]  # the enclosing class's `self.x` of theirs
        self.found: list[str] = []

    def _flag(self, node: ast.AST, what: str) -> None:
        self.found.append(f"{self._path}:{getattr(node, 'lineno', 0)}: {what}")

    # -- names --

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if _is_library_module(alias.name):
                if any(_private(part) for part in alias.name.split(".")):
                    self._flag(node, f"imports the private module {alias.name}")
                self._library_names.add(alias.asname or alias.name.split(".")[0])

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if node.level or not _is_library_module(module):
            return
        if any(_private(part) for part in module.split(".")):
            self._flag(node, f"imports from the private module {module}")
        for alias in node.names:
            if _private(alias.name):
                self._flag(node, f"imports the private name {module}.{alias.name}")
            self._library_names.add(alias.asname or alias.name)

    def is_library(self, node: ast.expr | None) -> bool:
        """Whether the expression is (or, as an annotation, names) one of their objects."""
        if node is None:
            return False
        if isinstance(node, ast.Name):
            return (
                node.id in self._library_names
                or node.id in self._project.derived_classes
                or node.id in self._project.library_aliases
                or any(node.id in scope for scope in self._typed)
            )
        if isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                return node.attr in self._self_typed[-1]
            return self.is_library(node.value)
        if isinstance(node, ast.Call):
            callee = node.func
            if isinstance(callee, ast.Name) and callee.id == "super":
                return self._derived[-1]
            called = callee.id if isinstance(callee, ast.Name) else getattr(callee, "attr", "")
            return called in self._project.library_returns or self.is_library(callee)
        if isinstance(node, ast.Subscript):
            return self.is_library(node.value) or self.is_library(node.slice)
        if isinstance(node, ast.BinOp):  # X | None
            return self.is_library(node.left) or self.is_library(node.right)
        if isinstance(node, ast.Tuple):
            return any(self.is_library(element) for element in node.elts)
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                return self.is_library(ast.parse(node.value, mode="eval").body)
            except SyntaxError:
                return False
        return False

    # -- scopes --

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        derived = any(self.is_library(base) for base in node.bases)
        self._derived.append(derived)
        self._typed.append(set())
        self._self_typed.append(set())
        if derived:
            for statement in node.body:
                name = getattr(statement, "name", None)
                if isinstance(name, str) and _private(name):
                    self._flag(statement, f"{node.name} derives from a library class and "
                                          f"defines {name}")  # fmt: skip
        self.generic_visit(node)
        self._self_typed.pop()
        self._typed.pop()
        self._derived.pop()

    def _visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        scope = set()
        arguments = node.args
        for argument in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]:
            if self.is_library(argument.annotation):
                scope.add(argument.arg)
        self._typed.append(scope)
        self.generic_visit(node)
        self._typed.pop()

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._visit_function(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._visit_function(node)

    def _bind(self, target: ast.expr) -> None:
        if isinstance(target, ast.Name):
            self._typed[-1].add(target.id)
        elif (
            isinstance(target, ast.Attribute)
            and isinstance(target.value, ast.Name)
            and target.value.id == "self"
        ):
            self._self_typed[-1].add(target.attr)

    def visit_Assign(self, node: ast.Assign) -> None:
        self.generic_visit(node)
        if self.is_library(node.value):
            for target in node.targets:
                self._bind(target)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self.generic_visit(node)
        if self.is_library(node.annotation) or self.is_library(node.value):
            self._bind(node.target)

    def visit_withitem(self, node: ast.withitem) -> None:
        self.generic_visit(node)
        if isinstance(node.optional_vars, ast.Name) and self.is_library(node.context_expr):
            self._typed[-1].add(node.optional_vars.id)

    # -- the attributes themselves --

    def visit_Attribute(self, node: ast.Attribute) -> None:
        self.generic_visit(node)
        if not _private(node.attr):
            return
        owner = node.value
        if isinstance(owner, ast.Name) and owner.id in ("self", "cls"):
            if self._derived[-1]:
                self._flag(node, f"{owner.id}.{node.attr} in a class deriving from a library's")
            return
        if self.is_library(owner):
            self._flag(node, f"{ast.unparse(node)} reaches a private attribute of a library's")
        elif self._library_names and node.attr in _KNOWN_PRIVATE:
            self._flag(node, f"{ast.unparse(node)} is a library's known private attribute")

    def visit_Call(self, node: ast.Call) -> None:
        self.generic_visit(node)
        callee, args = node.func, node.args
        if (
            self._library_names
            and isinstance(callee, ast.Name)
            and callee.id in _BY_NAME
            and len(args) >= 2
            and isinstance(args[1], ast.Constant)
            and isinstance(args[1].value, str)
            and _private(args[1].value)
            and not (isinstance(args[0], ast.Name) and args[0].id in ("self", "cls"))
        ):
            self._flag(node, f"{ast.unparse(node)} reaches a private attribute by name")


def _project(sources: dict[str, ast.Module]) -> _Project:
    """Our classes deriving (at any depth) from theirs, and our functions returning theirs."""
    project = _Project()
    for _ in range(5):  # a class may derive from one of ours that derives from theirs
        before = (
            len(project.derived_classes), len(project.library_returns),
            len(project.library_aliases),
        )  # fmt: skip
        for path, tree in sources.items():
            check = _ModuleCheck(path, project)
            check.visit(tree)  # binds the module's library names
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and any(
                    check.is_library(base) for base in node.bases
                ):
                    project.derived_classes.add(node.name)
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and check.is_library(
                    node.returns
                ):
                    project.library_returns.add(node.name)
            for node in tree.body:
                if (
                    isinstance(node, ast.AnnAssign)
                    and isinstance(node.target, ast.Name)
                    and check.is_library(node.value)
                ):
                    project.library_aliases.add(node.target.id)
        if (
            len(project.derived_classes), len(project.library_returns),
            len(project.library_aliases),
        ) == before:  # fmt: skip
            break
    return project


def _violations(sources: dict[str, str]) -> list[str]:
    """Every use of a private API of the libraries in `sources` (path: text)."""
    trees = {path: ast.parse(text, filename=path) for path, text in sources.items()}
    project = _project(trees)
    found: list[str] = []
    for path, tree in trees.items():
        check = _ModuleCheck(path, project)
        check.visit(tree)
        found.extend(check.found)
    return found


def _our_sources(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): path.read_text(encoding="utf-8")
        for package in _PACKAGES
        for path in sorted((root / package).rglob("*.py"))
    }


def test_no_private_api_of_our_clients_is_used() -> None:
    sources = _our_sources(_ROOT)
    assert len(sources) > 100  # the walk found our code
    assert _violations(sources) == []


# What the rule is for: each of these was in our code before it kept to public APIs.
_BEFORE = {
    "the shared Redis connection reading redis-py's connection streams": (
        "import hiredis\n"
        "from redis.asyncio.connection import ConnectionPool\n"
        "class SharedConnection:\n"
        "    def __init__(self, pool: ConnectionPool) -> None:\n"
        "        self.pool = pool\n"
        "    async def execute(self, packed: bytes) -> None:\n"
        "        conn = self.pool.make_connection()\n"
        "        conn._writer.write(packed)\n"
        "        await conn._reader.read(1)\n"
    ),
    "redis-py's private parser module": "from redis._parsers.base import BaseParser\n",
    "a redis-py private name": "from redis.asyncio.client import _RedisT\n",
    "a redis-py connection's private packer, inherited": (
        "from redis.asyncio.connection import Connection\n"
        "class Packing(Connection):\n"
        "    def pack_command(self, *args: object) -> object:\n"
        "        return self._command_packer.pack(*args)\n"
    ),
    "a private attribute by name": (
        "import redis.asyncio as aioredis\n"
        "def peek(pool: object) -> object:\n"
        "    return getattr(pool, '_available_connections')\n"
    ),
    "overriding aiomqtt's wait": (
        "import aiomqtt\n"
        "class Client(aiomqtt.Client):\n"
        "    async def _wait_for(self, fut, timeout):\n"
        "        return await fut\n"
    ),
    "manual ack through aiomqtt's paho": (
        "import aiomqtt\n"
        "def _ack(client: aiomqtt.Client, message: aiomqtt.Message) -> None:\n"
        "    client._client.ack(message.mid, message.qos)\n"
    ),
    "manual ack set on a client of a subclass": (
        "import aiomqtt\n"
        "class Client(aiomqtt.Client):\n"
        "    pass\n"
        "def new_client() -> Client:\n"
        "    client = Client('h', 1883)\n"
        "    client._client.manual_ack_set(True)\n"
        "    return client\n"
    ),
    "paho's socket read and PUBLISH handling overridden": (
        "import paho.mqtt.client as paho\n"
        "class SingleLoopClient(paho.Client):\n"
        "    def _sock_recv(self, bufsize: int) -> bytes:\n"
        "        return super()._sock_recv(65536)\n"
        "    def _handle_publish(self):\n"
        "        command = self._in_packet['command']\n"
        "        return super()._handle_publish()\n"
    ),
    "a client built by a function of ours, then reached into": (
        "import paho.mqtt.client as paho\n"
        "def connect() -> paho.Client:\n"
        "    return paho.Client()\n"
        "def use() -> None:\n"
        "    connect()._out_packet.clear()\n"
    ),
    "a library object kept by one of ours, then reached into": (
        "import paho.mqtt.client as paho\n"
        "class Link:\n"
        "    def __init__(self) -> None:\n"
        "        self._paho = paho.Client()\n"
        "    def read(self) -> bytes:\n"
        "        return self._paho._sock_recv(65536)\n"
    ),
    "a private module": "from paho.mqtt import _something\n",
    "a private name": "from paho.mqtt.client import _socketpair_compat\n",
}


@pytest.mark.parametrize("case", sorted(_BEFORE))
def test_the_rule_catches_what_our_code_did(case: str) -> None:
    assert _violations({f"{case}.py": _BEFORE[case]}) != []


def test_the_rule_follows_our_alias_of_their_type_into_another_module() -> None:
    sources = {
        "aliases.py": (
            "from typing import TypeAlias\n"
            "import redis.asyncio\n"
            "AsyncRedis: TypeAlias = redis.asyncio.Redis\n"
        ),
        "user.py": (
            "from aliases import AsyncRedis\n"
            "def peek(client: AsyncRedis) -> object:\n"
            "    return client._lock\n"
        ),
    }
    assert _violations(sources) != []


def test_the_rule_lets_our_own_private_attributes_be() -> None:
    source = (
        "import paho.mqtt.client as paho\n"
        "class Link:\n"
        "    def __init__(self) -> None:\n"
        "        self._paho = paho.Client()\n"
        "    def ack(self, mid: int) -> None:\n"
        "        self._paho.ack(mid, 1)\n"
    )
    assert _violations({"ours.py": source}) == []
