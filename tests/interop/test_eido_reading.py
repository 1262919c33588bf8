"""Reading a partner's EIDO (pure): which incident it is, its facts, and what it lacks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cad.events import Grade
from interop.eido.example import example_eido
from interop.eido.ids import incident_id
from interop.eido.pidf import LocationUnreadableError
from interop.eido.reading import EidoUnusableError, read_partner_eido

SAMPLE = Path(__file__).parent / "data" / "nena_sample_call_transfer_eido.json"


def sample() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(SAMPLE.read_text(encoding="utf-8"))
    return document


def test_our_own_eido_reads_back_as_ours_with_its_facts() -> None:
    facts = read_partner_eido(example_eido(), our_agency="met.police.uk")
    assert facts.ours == "CAD 0042/04DEC26"
    assert facts.incident_type == "violence"
    assert facts.grade is Grade.IMMEDIATE
    assert facts.status == "dispatched"
    assert facts.units == ("CW31", "CW32")
    assert [n.text for n in facts.notes] == ["two males, one with a bottle"]
    place = facts.place()
    assert (place.lon, place.lat, place.radius_m) == (-0.1281, 51.508, 35.0)


def test_another_agency_s_incident_linking_to_ours_is_about_ours() -> None:
    document = sample()
    assert read_partner_eido(document, our_agency="met.police.uk").ours is None
    document["linkComponent"] = [{
        "$id": "link-1", "lastUpdateTimeStamp": "2021-04-30T14:43:49Z",
        "updatedByAgencyReference": {"$ref": "state.pa.us"}, "linkDirectionCode": "RELATED",
        "incidentTrackingIdentifier": incident_id("CAD 0007/04DEC26", "met.police.uk"),
    }]  # fmt: skip
    assert read_partner_eido(document, our_agency="met.police.uk").ours == "CAD 0007/04DEC26"
    # Another force's id of the same form is not ours.
    assert read_partner_eido(document, our_agency="kent.police.uk").ours is None


def test_a_civic_address_alone_cannot_open_an_incident_but_can_update_one() -> None:
    facts = read_partner_eido(sample(), our_agency="met.police.uk")
    assert facts.started_ms == 1619808000000  # 14:40:00-04:00, the call's start
    with pytest.raises(LocationUnreadableError, match="no gml:pos"):
        facts.place()
    document = sample()
    del document["locationComponent"]
    with pytest.raises(EidoUnusableError, match="locationComponent"):
        read_partner_eido(document, our_agency="met.police.uk").place()
