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
    """Every way `document` breaks the schema (one line each, with its line number), or why it
    is not XML."""
    try:
        root = etree.fromstring(document, _PARSER)
    except etree.XMLSyntaxError as exc:
        return [f"not XML: {exc}"]
    try:
        _schema().assertValid(root)
    except etree.DocumentInvalid as exc:
        # One line per error, as lxml words them (`<string>:LINE:COL:ERROR:...: message`).
        return [line for line in str(exc.error_log).splitlines() if line] or [str(exc)]
    return []
