"""Validating an EIDO against the project's mended copy of NENA's schema (schema/MENDS.md)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs
import yaml

from cad.errors import CadError

SCHEMA_FILE = Path(__file__).parent / "schema" / "eido-openapi.yaml"
ROOT_TYPE = "EmergencyIncidentDataObjectType"


class EidoInvalidError(CadError):
    """A document is not a valid EIDO; the message starts with the path of the first error."""


@dataclass(frozen=True)
class EidoError:
    """One way a document breaks the schema: where (a JSON path), and what."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def schema_document(text: str) -> dict[str, Any]:
    """The JSON Schema of one EIDO, built from the OpenAPI document's text: its root type, with
    the components its references (`#/components/schemas/...`) resolve in."""
    openapi = yaml.safe_load(text)
    return {"$ref": f"#/components/schemas/{ROOT_TYPE}", "components": openapi["components"]}


def validator_for(text: str) -> jsonschema_rs.Draft4Validator:
    """A validator of the OpenAPI document's EIDO; OpenAPI 3.0's schemas are JSON Schema draft
    4 (with its boolean exclusive bounds), and their formats (date-time, uri) are checked."""
    return jsonschema_rs.Draft4Validator(schema_document(text), validate_formats=True)


@cache
def _validator() -> jsonschema_rs.Draft4Validator:
    return validator_for(SCHEMA_FILE.read_text(encoding="utf-8"))


def eido_errors(document: object) -> list[EidoError]:
    """Every schema error of `document`, each with its path (`$.agentComponent[0].x`)."""
    return [
        EidoError(json_path(error.instance_path), error.message)
        for error in _validator().iter_errors(document)
    ]


def check_eido(document: object) -> None:
    """Raise EidoInvalidError naming the first error's path unless `document` is a valid EIDO."""
    errors = eido_errors(document)
    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise EidoInvalidError(f"eido: {errors[0]}{more}")


def json_path(parts: list[str | int]) -> str:
    """`$`, then `.name` for a property and `[i]` for an array index."""
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts)
