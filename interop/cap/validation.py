"""Validating CAP XML against the OASIS CAP 1.2 schema (CAP-v1.2.xsd, as published)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from lxml import etree

SCHEMA_FILE = Path(__file__).parent / "CAP-v1.2.xsd"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


@cache
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA_FILE), _PARSER))


def cap_errors(document: bytes) -> list[str]:
    """Every way `document` breaks the schema (`line N: message`), or a parse error."""
    try:
        root = etree.fromstring(document, _PARSER)
    except etree.XMLSyntaxError as exc:
        return [f"not XML: {exc}"]
    schema = _schema()
    if schema.validate(root):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]
