"""Reading a catalogue kept in data (the incident types, the result codes): YAML validated by
its model, shipped in `cad/data/` unless a force names its own file."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from cad.errors import CadError
from cad.events import describe_validation_error

M = TypeVar("M", bound=BaseModel)


class CatalogueError(CadError, ValueError):
    """A catalogue file is not valid; the message names the file, the entry and the field."""


def parse_catalogue_text(model: type[M], text: str, *, source: str) -> M:
    """Validate catalogue YAML text as `model`."""
    try:
        return model.model_validate(yaml.safe_load(text))
    except yaml.YAMLError as exc:
        raise CatalogueError(f"{source}: not valid YAML ({exc})") from exc
    except ValidationError as exc:
        raise CatalogueError(f"{source}: {describe_validation_error(exc)}") from exc


def read_catalogue(model: type[M], path: Path | None, *, shipped: str) -> M:
    """The catalogue from `path`, or the one shipped as `cad/data/{shipped}`."""
    if path is not None:
        return parse_catalogue_text(model, path.read_text(encoding="utf-8"), source=str(path))
    text = (resources.files("cad") / "data" / shipped).read_text(encoding="utf-8")
    return parse_catalogue_text(model, text, source=shipped)
