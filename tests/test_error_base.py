"""One error base: every exception class the service defines derives from `cad.errors.CadError`,
so that a caller catches the service's own errors with one name and the API maps them in one
place. geo imports nothing of ours: its one error, a data file that does not load, is a
ValueError of its own, raised at start only."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest

from cad.errors import CadError

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("cad", "transport", "history", "callhandling", "dispatch", "service")


def _modules() -> list[str]:
    names: list[str] = []
    for package in PACKAGES:
        names.append(package)
        for info in pkgutil.walk_packages([str(ROOT / package)], prefix=f"{package}."):
            names.append(info.name)
    return names


@pytest.mark.parametrize("module_name", _modules())
def test_every_exception_class_derives_from_the_one_base(module_name: str) -> None:
    module = importlib.import_module(module_name)
    strays = [
        name
        for name, value in vars(module).items()
        if inspect.isclass(value)
        and issubclass(value, BaseException)
        and value.__module__ == module_name
        and not issubclass(value, CadError)
    ]
    assert strays == [], f"{module_name}: {strays} do not derive from CadError"
