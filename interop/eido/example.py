"""The EIDO of the OpenAPI page's example incident (a dispatched fight near Trafalgar Square,
two calls, two units, one remark): export.py's own output, which the tests validate."""

from __future__ import annotations

from typing import Any

from cad.incident_record import EXAMPLE_INCIDENT, IncidentRecord
from interop.eido.export import export_eido
from interop.eido.facts import Agency, CallFact, IncidentFacts, NoteFact, UnitFact

MET = Agency("met.police.uk", "Metropolitan Police Service", "police")


def example_eido() -> dict[str, Any]:
    """The example incident's EIDO, as the service would issue it."""
    incident = IncidentRecord.model_validate(EXAMPLE_INCIDENT)
    received = incident.received_ms
    facts = IncidentFacts(
        incident=incident,
        calls=(CallFact("999-20261204-0042", received, "999"),
               CallFact("999-20261204-0043", received + 41_000, "999")),
        units=(UnitFact("CW31", "en_route"), UnitFact("CW32", "assigned")),
        notes=(NoteFact("1796365470000-0", received + 30_000, "two males, one with a bottle"),),
        updated_ms=received + 41_000,
    )  # fmt: skip
    return export_eido(facts, agency=MET)
