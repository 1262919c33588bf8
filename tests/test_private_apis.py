"""Our code uses only the public API of its MQTT libraries (paho-mqtt, mqtt5, and aiomqtt should
it come back): an AST walk over every module of ours flags imports of their private modules or
names, and any single-underscore attribute reached on their modules, classes or objects, or
defined, assigned or read in a class of ours that derives from one of theirs (overriding a
private hook such as `_sock_recv` or `_wait_for`, or reading private state such as `_in_packet`).

An object is theirs when it is bound to one of their names, built by a call of one, annotated
with one, or returned by a function of ours annotated to return one: a light inference that
follows what our code writes down, so a private attribute reached through an untyped value can
slip past it, which mypy --strict makes rare.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

import pytest

_MQTT_ROOT = Path(__file__).resolve().parent.parent
_MQTT_PACKAGES = ("cad", "transport", "dispatch", "callhandling", "service", "loadtests", "geo")
_MQTT_LIBRARIES = frozenset({"paho", "aiomqtt", "mqtt5"})


def _mqtt_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _mqtt_is_library_module(dotted: str) -> bool:
    return dotted.split(".")[0] in _MQTT_LIBRARIES


@dataclass
class _MqttProject:
    """What every module of ours says about the libraries' types, by simple name."""

    derived_classes: set[str] = field(default_factory=set)
    library_returns: set[str] = field(default_factory=set)


class _MqttModuleCheck(ast.NodeVisitor):
    """The violations in one module."""

    def __init__(self, path: str, project: _MqttProject) -> None:
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
            if _mqtt_is_library_module(alias.name):
                if any(_mqtt_private(part) for part in alias.name.split(".")):
                    self._flag(node, f"imports the private module {alias.name}")
                self._library_names.add(alias.asname or alias.name.split(".")[0])

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if node.level or not _mqtt_is_library_module(module):
            return
        if any(_mqtt_private(part) for part in module.split(".")):
            self._flag(node, f"imports from the private module {module}")
        for alias in node.names:
            if _mqtt_private(alias.name):
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
                if isinstance(name, str) and _mqtt_private(name):
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
        if not _mqtt_private(node.attr):
            return
        owner = node.value
        if isinstance(owner, ast.Name) and owner.id in ("self", "cls"):
            if self._derived[-1]:
                self._flag(node, f"{owner.id}.{node.attr} in a class deriving from a library's")
            return
        if self.is_library(owner):
            self._flag(node, f"{ast.unparse(node)} reaches a private attribute of a library's")


def _mqtt_project(sources: dict[str, ast.Module]) -> _MqttProject:
    """Our classes deriving (at any depth) from theirs, and our functions returning theirs."""
    project = _MqttProject()
    for _ in range(5):  # a class may derive from one of ours that derives from theirs
        before = (len(project.derived_classes), len(project.library_returns))
        for path, tree in sources.items():
            check = _MqttModuleCheck(path, project)
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
        if (len(project.derived_classes), len(project.library_returns)) == before:
            break
    return project


def _mqtt_violations(sources: dict[str, str]) -> list[str]:
    """Every use of a private API of the MQTT libraries in `sources` (path: text)."""
    trees = {path: ast.parse(text, filename=path) for path, text in sources.items()}
    project = _mqtt_project(trees)
    found: list[str] = []
    for path, tree in trees.items():
        check = _MqttModuleCheck(path, project)
        check.visit(tree)
        found.extend(check.found)
    return found


def _mqtt_our_sources(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): path.read_text(encoding="utf-8")
        for package in _MQTT_PACKAGES
        for path in sorted((root / package).rglob("*.py"))
    }


def test_no_private_mqtt_api_is_used() -> None:
    sources = _mqtt_our_sources(_MQTT_ROOT)
    assert len(sources) > 100  # the walk found our code
    assert _mqtt_violations(sources) == []


# What the rule is for: each of these was in our code before it kept to public APIs.
_MQTT_BEFORE = {
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


@pytest.mark.parametrize("case", sorted(_MQTT_BEFORE))
def test_the_mqtt_rule_catches_what_our_code_did(case: str) -> None:
    assert _mqtt_violations({f"{case}.py": _MQTT_BEFORE[case]}) != []


def test_the_mqtt_rule_lets_our_own_private_attributes_be() -> None:
    source = (
        "import paho.mqtt.client as paho\n"
        "class Link:\n"
        "    def __init__(self) -> None:\n"
        "        self._paho = paho.Client()\n"
        "    def ack(self, mid: int) -> None:\n"
        "        self._paho.ack(mid, 1)\n"
    )
    assert _mqtt_violations({"ours.py": source}) == []
