"""The direction of imports between our packages, read from the code itself (every import,
including those inside functions): each package may use only those below it.

    geo           imports nothing of ours
    cad           the kernel: nothing of ours
    transport     cad
    history       cad, transport (the history store in PostgreSQL: an adapter)
    dispatch      cad, transport, geo
    callhandling  cad, transport, geo, dispatch
    interop       cad, transport, geo, dispatch, callhandling (EIDO and CAP: other agencies)
    service       all of those (the composition)
    loadtests     anything (it drives the service from outside)

and nothing outside loadtests/ imports the bench, but for the one door: `cad bench` in the CLI.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
OURS = frozenset(
    {
        "cad",
        "transport",
        "dispatch",
        "callhandling",
        "interop",
        "service",
        "geo",
        "loadtests",
        "history",
    }
)
ALLOWED: dict[str, frozenset[str]] = {
    "geo": frozenset({"geo"}),
    "cad": frozenset({"cad"}),
    "transport": frozenset({"cad", "transport"}),
    "history": frozenset({"cad", "transport", "history"}),
    "dispatch": frozenset({"cad", "transport", "geo", "dispatch"}),
    "callhandling": frozenset({"cad", "transport", "geo", "dispatch", "callhandling"}),
    "interop": frozenset({"cad", "transport", "geo", "dispatch", "callhandling", "interop"}),
    "service": OURS - {"loadtests"},
    "loadtests": OURS,
}
# `cad bench` is a subcommand of the service's CLI: it hands over to the bench, lazily.
BENCH_DOOR = (Path("service/cli.py"), "loadtests.bench.command")


def imports_of(path: Path) -> Iterator[tuple[str, int]]:
    """Every absolute module a file imports, with the line."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, node.lineno


def _files(package: str) -> list[Path]:
    return sorted((REPO / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_a_package_imports_only_the_packages_below_it(package: str) -> None:
    wrong = [
        f"{path.relative_to(REPO)}:{line} imports {module}"
        for path in _files(package)
        for module, line in imports_of(path)
        if module.split(".")[0] in OURS
        and module.split(".")[0] not in ALLOWED[package]
        and (path.relative_to(REPO), module) != BENCH_DOOR
    ]
    assert wrong == [], "\n".join(wrong)


def test_nothing_outside_loadtests_imports_the_bench_but_the_cli_s_door() -> None:
    found = [
        (path.relative_to(REPO), module)
        for package in sorted(OURS - {"loadtests"})
        for path in _files(package)
        for module, _ in imports_of(path)
        if module == "loadtests.bench" or module.startswith("loadtests.bench.")
    ]
    assert found == [BENCH_DOOR]


def test_every_package_of_ours_is_ruled() -> None:
    packages = {p.parent.name for p in REPO.glob("*/__init__.py")}
    assert packages == set(ALLOWED)


def test_the_rules_would_catch_a_wrong_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f() -> None:\n    from callhandling.intake import CallIntake\n")
    assert list(imports_of(module)) == [("callhandling.intake", 2)]
