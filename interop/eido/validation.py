"""Validating an EIDO against the project's mended copy of NENA's schema (schema/MENDS.md)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs
import yaml

SCHEMA_FILE = Path(__file__).parent / "schema" / "eido-openapi.yaml"
ROOT_TYPE = "EmergencyIncidentDataObjectType"


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


def json_path(parts: list[str | int]) -> str:
    """`$`, then `.name` for a property and `[i]` for an array index."""
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts)
