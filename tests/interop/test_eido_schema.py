"""The mended EIDO schema (interop/eido/schema/MENDS.md): NENA's own sample passes it, each
mend was needed, and a broken document fails naming where."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from cad.incident_record import EXAMPLE_INCIDENT, IncidentRecord, IncidentStatus
from interop.eido.example import MET, example_eido
from interop.eido.export import export_eido
from interop.eido.facts import Agency, IncidentFacts, UnitFact
from interop.eido.validation import (
    SCHEMA_FILE,
    eido_errors,
    validator_for,
)

SAMPLE = Path(__file__).parent / "data" / "nena_sample_call_transfer_eido.json"


def sample() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(SAMPLE.read_text(encoding="utf-8"))
    return document


def test_nena_s_own_sample_is_valid() -> None:
    assert eido_errors(sample()) == []


def test_our_example_is_valid() -> None:
    assert eido_errors(example_eido()) == []


@pytest.mark.parametrize(
    ("break_it", "path", "words"),
    [
        (lambda d: d.update(eidoVersion="2.0"), "$.eidoVersion", "is not one of"),
        (lambda d: d.pop("agencyComponent"), "$", "agencyComponent"),
        (lambda d: d["agentComponent"][0].update(agentRoleRegistryText=[]),
         "$.agentComponent[0].agentRoleRegistryText", "less than 1 item"),
        (lambda d: d["callComponent"][0].update(direction="sideways"),
         "$.callComponent[0].direction", "is not one of"),
        (lambda d: d["callComponent"][0].update(callStartTimestamp="yesterday"),
         "$.callComponent[0].callStartTimestamp", "date-time"),
        (lambda d: d["agencyComponent"][0].update(agencyType="psap"),
         "$.agencyComponent[0].agencyType", "not of type"),
    ],
)  # fmt: skip
def test_a_broken_document_fails_naming_the_path(break_it: Any, path: str, words: str) -> None:
    broken = sample()
    break_it(broken)
    errors = eido_errors(broken)
    assert errors, "the broken document passed"
    assert errors[0].path == path
    assert words in errors[0].message
    assert str(errors[0]) == f"{path}: {errors[0].message}"


def _unmended(old: str, new: str) -> str:
    text = SCHEMA_FILE.read_text(encoding="utf-8")
    assert text.count(new) == 1
    return text.replace(new, old)


def test_nena_s_min_items_typo_makes_the_schema_unusable() -> None:
    agent_role = (
        "                type: string\n              minItems: 1\n              description: Shall"
    )
    text = _unmended(agent_role.replace("1\n", "1,\n"), agent_role)
    with pytest.raises(jsonschema_rs.ValidationError, match="1,"):
        validator_for(text)


def test_nena_s_alternate_values_required_names_no_property() -> None:
    """As NENA wrote it, an alternate value written to its own properties is refused."""
    old = "              - Constituent\n              - TimeStamp\n              - Value\n"
    new = "              - Constituent\n              - Timestamp\n              - OtherValue\n"
    alternate = {
        "$id": "alt-1", "lastUpdateTimeStamp": "2021-04-30T14:40:00Z",
        "updatedByAgencyReference": {"$ref": "state.pa.us"},
        "DataComponentReference": {"$ref": "urn:emergency:uid:callid:a56e556d871:bcf.state.pa.us"},
        "Element": "queueIdentifier",
        "Alternate": [{"Constituent": "psap.example", "Timestamp": "2021-04-30T14:40:00Z",
                       "OtherValue": "other@state.pa.us"}],
    }  # fmt: skip
    schema = {"$ref": "#/components/schemas/AlternateValuesType"}
    for text, valid in ((_unmended(old, new), False), (SCHEMA_FILE.read_text(), True)):
        components = _components(text)
        checker = jsonschema_rs.Draft4Validator({**schema, "components": components})
        assert checker.is_valid(alternate) is valid


def test_a_niem_component_is_checked_to_be_an_object() -> None:
    document = sample()
    document["personComponent"][0]["ncPersonComponent"] = "Jane"
    assert [e.path for e in eido_errors(document)] == ["$.personComponent[0].ncPersonComponent"]
    document["personComponent"][0]["ncPersonComponent"] = {"PersonName": {}}
    assert eido_errors(document) == []


def _components(text: str) -> dict[str, Any]:
    import yaml

    components: dict[str, Any] = yaml.safe_load(text)["components"]
    return components


@pytest.mark.parametrize("status", list(IncidentStatus))
def test_every_status_exports_a_valid_eido(status: IncidentStatus) -> None:
    """The mapping alone, for every status (`new` lasts only until the dispatch that follows
    recording a call: tests/interop/test_eido_states.py sees the others through the app)."""
    base = example_eido()
    fields = dict(EXAMPLE_INCIDENT, status=status.value)
    if status in (IncidentStatus.TRANSFER, IncidentStatus.TRANSFERRED):
        fields |= {"transfer_force": "Kent Police", "transfer_reference": "KP-7"}
    if status == IncidentStatus.CLOSED:
        fields |= {"close_code": "arrest", "close_note": "one arrested", "closed_ms": 1796365500000}
    incident = IncidentRecord.model_validate(fields)
    facts = IncidentFacts(incident, (), (UnitFact("CW31", "cleared"),), (), incident.created_ms,
                          receiving=Agency("kent.police.uk", "Kent Police", "police")
                          if incident.transfer_force else None)  # fmt: skip
    document = export_eido(facts, agency=MET)
    assert eido_errors(document) == []
    assert document["incidentComponent"]["incidentStatusInternalText"] == [status.value]
    assert document["$id"] == base["$id"]
