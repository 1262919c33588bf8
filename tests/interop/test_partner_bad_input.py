"""Hostile EIDOs on a partner's topic over real MQTT: each ends as a dead letter naming why,
none is applied, nothing of the machine leaks (an XML external entity is never resolved), and
the consumer goes on to apply the good one after them."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from cad.settings import Settings
from cad.topics import Topics
from interop.eido.example import example_eido
from tests.helpers import asgi_client, auth_headers, eventually, mqtt_client, running_app
from transport.deadletter import DEADLETTER_STREAM

XXE = (
    '<?xml version="1.0"?><!DOCTYPE p [<!ENTITY secret SYSTEM "file:///proc/sys/kernel/hostname">]>'
    '<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:gml="http://www.opengis.net/gml">'
    "<gml:Point><gml:pos>&secret;</gml:pos></gml:Point></presence>"
)


def las_eido(n: int, **location: str) -> dict[str, Any]:
    """A London Ambulance Service incident of its own (valid unless told)."""
    document: dict[str, Any] = json.loads(json.dumps(example_eido()))
    document |= {
        "$id": f"urn:emergency:uid:incidentid:LAS-{n}:londonambulance.nhs.uk",
        "updatedByAgencyReference": {"$ref": "londonambulance.nhs.uk"},
    }  # fmt: skip
    document.pop("notesComponent")
    document["incidentComponent"].pop("notesReference")
    if location:
        document["locationComponent"][0] |= location
    return document


def hostile() -> list[tuple[bytes, str]]:
    """Each bad payload and the start of the reason it must be dead-lettered with."""
    good = json.dumps(las_eido(1)).encode()
    return [
        (b"\xff\xfe\x00garbage", "payload: not valid JSON"),
        (good[:100], "payload: not valid JSON"),
        (b"[" * 50_000 + b"]" * 50_000, "payload: 100000 bytes exceeds"),
        (b"[" * 3_000 + b"]" * 3_000, "payload: not valid JSON"),
        (json.dumps([las_eido(2)]).encode(), "eido: $: "),
        (json.dumps(las_eido(3) | {"eidoVersion": 1.0}).encode(), "eido: $.eidoVersion: "),
        (json.dumps(las_eido(4) | {"callComponent": [{}]}).encode(), "eido: $.callComponent[0]: "),
        (json.dumps(las_eido(5, locationByValue=XXE)).encode(), "locationByValue: no gml:pos"),
        (json.dumps(las_eido(6, locationByValue="<not xml")).encode(), "locationByValue: not XML"),
    ]  # fmt: skip


async def test_hostile_eidos_are_dead_lettered_and_the_consumer_lives(
    settings: Settings, redis: Redis, tmp_path: Path
) -> None:
    partners = tmp_path / "partners.yaml"
    partners.write_text(
        "version: 1\npartners:\n  - {id: las, name: London Ambulance Service,"
        " eido_agency: londonambulance.nhs.uk, agency_type: ems}\n"
    )
    settings = settings.model_copy(
        update={"partners_file": partners, "interop_max_eido_bytes": 64 * 1024}
    )
    topics = Topics(settings.topic_root)
    bad = hostile()
    async with (
        running_app(settings) as app,
        asgi_client(app, auth_headers(settings)) as client,
        mqtt_client(settings, "las") as las,
    ):
        for payload, _ in bad:
            await las.publish(topics.interop_in("las"), payload, qos=1)
        await las.publish(topics.interop_in("las"), json.dumps(las_eido(99)).encode(), qos=1)

        async def all_settled() -> bool:
            letters = await redis.xlen(DEADLETTER_STREAM)
            listed = (await client.get("/v1/incidents", params={"status": "open"})).json()
            return letters >= len(bad) and len(listed["incidents"]) == 1

        await eventually(all_settled, within_s=20)
        listed = (await client.get("/v1/incidents", params={"status": "open"})).json()
    reasons = [json.loads(f["letter"])["reason"] for _, f in await redis.xrange(DEADLETTER_STREAM)]
    assert len(reasons) == len(bad)
    # Handled concurrently: the letters come in any order, one for each bad payload.
    unmatched = list(reasons)
    for _, expected in bad:
        found = next((r for r in unmatched if expected in r), None)
        assert found is not None, (expected, unmatched)
        unmatched.remove(found)
    # The entity named this machine's name: no letter holds it (the entity was never read).
    assert all(socket.gethostname() not in r for r in reasons)
    (only,) = [i["incident"] for i in listed["incidents"]]
    assert only["partner_reference"] == "urn:emergency:uid:incidentid:LAS-99:londonambulance.nhs.uk"
