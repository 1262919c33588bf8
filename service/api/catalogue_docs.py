"""The catalogues in the OpenAPI document: the incident types and result codes a body may name
are data (CAD_INCIDENT_TYPES_FILE, CAD_RESULT_CODES_FILE), so the models say "a string" and the
document, built once per app from the catalogues it serves, lists them as the enum they are."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cad.incident_types import Catalogue
from cad.result_codes import ResultCatalogue

# (schema, property) of each body field checked against a catalogue.
_TYPE_FIELDS = (("CallIn", "incident_type"), ("TypeIn", "incident_type"))
_RESULT_FIELDS = (("CloseIn", "code"), ("ResultIn", "code"))
# (path, query parameter) of each query checked against the incident types.
_TYPE_QUERIES = (("/v1/calls/candidates", "incident_type"),)


def describe_catalogues(schema: dict[str, Any], types: Catalogue, results: ResultCatalogue) -> None:
    """Write the catalogues' codes into the document as each field's enum."""
    components = schema.get("components", {}).get("schemas", {})
    _enum(components, _TYPE_FIELDS, sorted(types.types))
    _enum(components, _RESULT_FIELDS, sorted(results.codes))
    for path, name in _TYPE_QUERIES:
        for operation in schema.get("paths", {}).get(path, {}).values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query" and parameter.get("name") == name:
                    _enum_strings(parameter.get("schema", {}), sorted(types.types))


def _enum(components: dict[str, Any], fields: Iterable[tuple[str, str]], codes: list[str]) -> None:
    for model, name in fields:
        field = components.get(model, {}).get("properties", {}).get(name)
        if field is not None:
            _enum_strings(field, codes)


def _enum_strings(field: dict[str, Any], codes: list[str]) -> None:
    # A field's string branch (beside null, when it is optional) takes only the codes.
    for branch in field.get("anyOf", [field]):
        if branch.get("type") == "string":
            branch["enum"] = codes
