"""An incident exported as EIDO by one service and imported by a second (its own Redis, started
here; its own topic root on the broker), as a partner's incident that needs police: the second
holds the same facts, keeps the first's reference, and queues it; sent again, nothing doubles."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from cad.settings import Settings
from cad.topics import Topics
from interop.eido.pidf import read_pidf_lo
from service.servers import EmbeddedServer, redis_server
from tests.helpers import asgi_client, auth_headers, eventually, mqtt_client, running_app


@pytest.fixture
def second_redis(tmp_path: Path) -> Iterator[EmbeddedServer]:
    (tmp_path / "second-redis").mkdir()
    server = redis_server(tmp_path / "second-redis")
    server.start()
    yield server
    server.stop()


def facts(document: dict[str, Any]) -> tuple[object, ...]:
    incident: dict[str, Any] = document["incidentComponent"]
    (location,) = document["locationComponent"]
    where = read_pidf_lo(location["locationByValue"])
    notes = sorted(n["notesActionComments"] for n in document.get("notesComponent", []))
    return (incident["incidentTypeInternalCode"], incident["incidentCommonPriorityNumber"],
            where.lon, where.lat, where.radius_m, notes)  # fmt: skip


async def test_an_incident_exported_and_imported_elsewhere_keeps_its_facts(
    client: httpx.AsyncClient, settings: Settings, second_redis: EmbeddedServer, tmp_path: Path
) -> None:
    body = {
        "call_id": "rt-1", "received_at": datetime.now(UTC).isoformat(), "source": "999",
        "location": {"lon": -0.1281, "lat": 51.508, "radius_m": 60.0},
        "incident_type": "violence", "grade": "I",
    }  # fmt: skip
    made = await client.post("/v1/calls", json=body)
    ref = made.json()["incident"]["incident"]["ref"]
    assert await client.post(f"/v1/incidents/{ref}/log", json={"text": "two men, one armed"})
    exported = (await client.get(f"/v1/incidents/{ref}/eido")).json()

    partners = tmp_path / "partners.yaml"
    partners.write_text(
        "version: 1\npartners:\n  - {id: met, name: Metropolitan Police Service,"
        " eido_agency: met.police.uk, agency_type: police}\n"
    )
    second = settings.model_copy(update={
        "redis_url": second_redis.url, "topic_root": f"test-{uuid.uuid4().hex[:10]}/cad",
        "agency_id": "second.example", "partners_file": partners,
    })  # fmt: skip
    topics = Topics(second.topic_root)
    async with (
        running_app(second) as app,
        asgi_client(app, auth_headers(second)) as other,
        mqtt_client(second, "met") as met,
    ):
        for _ in range(2):
            await met.publish(topics.interop_in("met"), json.dumps(exported).encode(), qos=1)

        async def imported() -> list[dict[str, object]]:
            listed = (await other.get("/v1/incidents", params={"status": "open"})).json()
            return [i["incident"] for i in listed["incidents"]]

        async def noted() -> bool:
            found = await imported()
            if not found:
                return False
            detail = (await other.get(f"/v1/incidents/{found[0]['ref']}")).json()
            return any(e["type"] == "remark" for e in detail["chronology"])

        await eventually(noted, within_s=10)
        (copy,) = await imported()
        again = (await other.get(f"/v1/incidents/{copy['ref']}/eido")).json()
    assert copy["source"] == "partner"
    assert copy["partner_agency"] == "met"
    assert copy["partner_reference"] == exported["$id"]
    assert copy["status"] in ("pending", "dispatched")
    assert copy["grade"] == "I"
    assert copy["incident_type"] == "violence"
    ours, theirs = facts(exported), facts(again)
    assert ours[:5] == theirs[:5]
    assert theirs[5] == ["Metropolitan Police Service: two men, one armed"]
    assert ours[5] == ["two men, one armed"]
    originating = {
        a["$id"]: a["agencyRoleDescriptionRegistryText"] for a in again["agencyComponent"]
    }
    assert originating["met.police.uk"] == ["Originating"]
    (link,) = again["linkComponent"]
    assert (link["incidentTrackingIdentifier"], link["transactionReasonText"]) == (
        exported["$id"], "imported",
    )  # fmt: skip
