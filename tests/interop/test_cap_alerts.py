"""CAP 1.2 alerts through the real app against real Redis: every kind and area shape, and the
update and cancel that reference earlier messages, each valid against the OASIS schema."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from lxml import etree

from cad.settings import Settings
from cad.tokens import Role
from interop.cap.validation import cap_errors
from service.api.alert_routes import EXAMPLE_XML
from tests.helpers import asgi_client, auth_headers

NS = {"cap": "urn:oasis:names:tc:emergency:cap:1.2"}
CIRCLE = {"circle": {"lon": -0.1255, "lat": 51.5066, "radius_m": 250.0}}
POLYGON = {"polygon": [[-0.1277, 51.5069], [-0.1262, 51.5069], [-0.1262, 51.5045]]}


async def an_incident(client: httpx.AsyncClient) -> str:
    body = {
        "call_id": "cap-1", "received_at": datetime.now(UTC).isoformat(), "source": "999",
        "location": {"lon": -0.1255, "lat": 51.5066}, "incident_type": "violence", "grade": "S",
    }  # fmt: skip
    made = await client.post("/v1/calls", json=body)
    assert made.status_code == 201, made.text
    ref: str = made.json()["incident"]["incident"]["ref"]
    return ref


def content(kind: str, shape: dict[str, Any], headline: str = "Keep away") -> dict[str, Any]:
    return {
        "kind": kind, "headline": headline,
        "description": "Police & fire are dealing with an incident <near the square>.",
        "instruction": "Avoid the area.", "area": {"description": "Around the square", **shape},
    }  # fmt: skip


async def xml_of(client: httpx.AsyncClient, issued: dict[str, Any]) -> etree._Element:
    answer = await client.get(issued["xml"])
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/cap+xml"
    assert cap_errors(answer.content) == []
    return etree.fromstring(answer.content)


def text(root: etree._Element, path: str) -> str:
    found = root.findtext(path, namespaces=NS)
    assert found is not None, path
    return found


@pytest.mark.parametrize(
    ("kind", "shape", "category", "response"),
    [
        ("road_closure", POLYGON, "Transport", "Avoid"),
        ("road_closure", CIRCLE, "Transport", "Avoid"),
        ("evacuation", CIRCLE, "Safety", "Evacuate"),
        ("evacuation", POLYGON, "Safety", "Evacuate"),
    ],
)
async def test_each_kind_and_shape_is_valid_cap(
    client: httpx.AsyncClient, kind: str, shape: dict[str, Any], category: str, response: str
) -> None:
    ref = await an_incident(client)
    issued = await client.post("/v1/alerts", json={"incident_ref": ref, **content(kind, shape)})
    assert issued.status_code == 201, issued.text
    root = await xml_of(client, issued.json())
    assert text(root, "cap:msgType") == "Alert"
    assert text(root, "cap:info/cap:category") == category
    assert text(root, "cap:info/cap:responseType") == response
    description = "Police & fire are dealing with an incident <near the square>."
    assert text(root, "cap:info/cap:description") == description
    if "circle" in shape:
        assert text(root, "cap:info/cap:area/cap:circle") == "51.5066,-0.1255 0.25"
    else:
        ring = text(root, "cap:info/cap:area/cap:polygon").split()
        assert len(ring) == 4
        assert ring[0] == ring[-1] == "51.5069,-0.1277"


@pytest.mark.topologies("single", "cluster")
async def test_an_update_and_a_cancel_reference_the_earlier_messages(
    client: httpx.AsyncClient,
) -> None:
    ref = await an_incident(client)
    first = (await client.post(
        "/v1/alerts", json={"incident_ref": ref, **content("road_closure", POLYGON)}
    )).json()  # fmt: skip
    first_xml = await xml_of(client, first)
    first_ref = ",".join(text(first_xml, f"cap:{f}") for f in ("sender", "identifier", "sent"))
    update = await client.post(
        f"/v1/alerts/{first['id']}/update", json=content("road_closure", CIRCLE, "Now wider")
    )
    assert update.status_code == 201, update.text
    second = update.json()
    second_xml = await xml_of(client, second)
    assert text(second_xml, "cap:msgType") == "Update"
    assert text(second_xml, "cap:references") == first_ref
    assert text(second_xml, "cap:info/cap:headline") == "Now wider"
    # The chain goes on from its latest message only.
    forked = await client.post(f"/v1/alerts/{first['id']}/cancel", json={"note": "reopened"})
    assert forked.status_code == 409
    cancel = await client.post(f"/v1/alerts/{second['id']}/cancel", json={"note": "reopened"})
    assert cancel.status_code == 201, cancel.text
    cancel_xml = await xml_of(client, cancel.json())
    second_ref = ",".join(text(second_xml, f"cap:{f}") for f in ("sender", "identifier", "sent"))
    assert text(cancel_xml, "cap:msgType") == "Cancel"
    assert text(cancel_xml, "cap:references").split() == [first_ref, second_ref]
    assert text(cancel_xml, "cap:note") == "reopened"
    chronology = (await client.get(f"/v1/incidents/{ref}")).json()["chronology"]
    issued = [(e["msg_type"], e["alert_id"]) for e in chronology if e["type"] == "alert_issued"]
    assert issued == [("Alert", first["id"]), ("Update", second["id"]),
                      ("Cancel", cancel.json()["id"])]  # fmt: skip
    assert all(e["actor"].startswith("user:PC1234(") for e in chronology
               if e["type"] == "alert_issued")  # fmt: skip
    after = await client.post(f"/v1/alerts/{cancel.json()['id']}/update", json=content(
        "road_closure", CIRCLE))  # fmt: skip
    assert after.status_code == 409


async def test_refusals_name_the_field(client: httpx.AsyncClient) -> None:
    ref = await an_incident(client)
    both = content("evacuation", {**CIRCLE, **POLYGON})
    refused = await client.post("/v1/alerts", json={"incident_ref": ref, **both})
    assert refused.status_code == 422
    # Exactly one shape: a circle admits no polygon beside it, and a polygon no circle.
    assert [(e["loc"], e["msg"]) for e in refused.json()["detail"]] == [
        (["body", "area", "CircleArea", "polygon"], "Extra inputs are not permitted"),
        (["body", "area", "PolygonArea", "circle"], "Extra inputs are not permitted"),
    ]
    control = content("evacuation", CIRCLE, "bell\x07")
    bell = await client.post("/v1/alerts", json={"incident_ref": ref, **control})
    assert bell.status_code == 422
    assert bell.json()["detail"][0]["loc"] == ["body", "headline"]
    missing = await client.post(
        "/v1/alerts", json={"incident_ref": "CAD 9999/01JAN26", **content("evacuation", CIRCLE)}
    )
    assert missing.status_code == 404
    assert missing.json()["detail"].startswith("incident_ref:")
    assert (await client.get("/v1/alerts/nothing.xml")).status_code == 404


async def test_only_a_supervisor_issues_alerts(app: FastAPI, settings: Settings) -> None:
    headers = auth_headers(settings, Role.DISPATCHER)
    async with asgi_client(app, headers) as dispatcher:
        body = {"incident_ref": "CAD 0001/04DEC26", **content("evacuation", CIRCLE)}
        assert (await dispatcher.post("/v1/alerts", json=body)).status_code == 403


def test_the_openapi_example_is_valid_cap() -> None:
    assert cap_errors(EXAMPLE_XML.encode()) == []


async def test_two_updates_at_once_never_fork_the_chain(client: httpx.AsyncClient) -> None:
    ref = await an_incident(client)
    first = (await client.post(
        "/v1/alerts", json={"incident_ref": ref, **content("evacuation", CIRCLE)}
    )).json()  # fmt: skip
    answers = await asyncio.gather(*(
        client.post(f"/v1/alerts/{first['id']}/update", json=content("evacuation", CIRCLE, h))
        for h in ("One", "Two", "Three")
    ))  # fmt: skip
    assert sorted(a.status_code for a in answers) == [201, 409, 409]
    (won,) = [a.json() for a in answers if a.status_code == 201]
    lost = [a.json()["detail"] for a in answers if a.status_code == 409]
    assert all(d.startswith(f"id: alert {first['id']} was updated") for d in lost)
    assert (await client.get(won["xml"])).status_code == 200
