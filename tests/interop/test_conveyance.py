"""Conveyance to a partner and what comes back, against the real app, Redis, broker and a real
local HTTPS server (a test CA): a transfer sends the EIDO on MQTT and POSTs it; a partner that
is down is retried, then dead-lettered, nothing lost, and sent when it is back; a partner's
updates are applied once; a malformed or invalid EIDO is dead-lettered with the schema error's
path."""

from __future__ import annotations

import json
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from cad.keys import InteropKeys
from cad.settings import Settings
from cad.topics import Topics
from callhandling.incidents import find_incident
from callhandling.transfers import record_transfer
from interop.eido.example import example_eido
from interop.eido.validation import eido_errors
from service.servers import TlsFiles, free_port
from tests.helpers import asgi_client, auth_headers, eventually, mqtt_client, running_app
from tests.mdt.support import nothing_arrives, receive_json
from tests.security.certs import make_tls_files
from transport.deadletter import DEADLETTER_STREAM

KEYS = InteropKeys()
WATFORD = {"lon": -0.3963, "lat": 51.6565}


def partners_file(tmp_path: Path, endpoint: str, ca_file: Path) -> Path:
    path = tmp_path / "partners.yaml"
    path.write_text(
        "version: 1\npartners:\n"
        "  - {id: herts, name: Hertfordshire Constabulary, eido_agency: herts.police.uk,\n"
        f"     agency_type: police, endpoint: '{endpoint}', ca_file: '{ca_file}'}}\n"
        "  - {id: las, name: London Ambulance Service, eido_agency: londonambulance.nhs.uk,\n"
        "     agency_type: ems}\n"
    )
    return path


@pytest.fixture
def tls(tmp_path: Path) -> TlsFiles:
    """A test CA and the partner endpoint's certificate it signs."""
    return make_tls_files(tmp_path)


@pytest.fixture
def partner_settings(settings: Settings, tmp_path: Path, tls: TlsFiles) -> tuple[Settings, int]:
    port = free_port()
    return settings.model_copy(update={
        "partners_file": partners_file(tmp_path, f"https://127.0.0.1:{port}/eido", tls.ca),
        "interop_send_interval_s": 0.05, "interop_retry_first_s": 0.05,
        "interop_retry_max_s": 0.1, "interop_max_attempts": 3, "interop_parked_retry_s": 0.5,
    }), port  # fmt: skip


@contextmanager
def partner_endpoint(port: int, tls: TlsFiles) -> Iterator[list[dict[str, Any]]]:
    """A real HTTPS server on the port, keeping every JSON body POSTed to it."""
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(json.loads(body))
            self.send_response(202)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tls.cert, tls.key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield received
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


async def held_incident(client: httpx.AsyncClient, call_id: str) -> str:
    body = {
        "call_id": call_id, "received_at": datetime.now(UTC).isoformat(), "source": "999",
        "location": WATFORD, "incident_type": "violence", "grade": "S",
    }  # fmt: skip
    made = await client.post("/v1/calls", json=body)
    assert made.status_code == 201, made.text
    ref: str = made.json()["incident"]["incident"]["ref"]
    return ref


async def dead_letters(redis: Redis) -> list[dict[str, Any]]:
    return [json.loads(f["letter"]) for _, f in await redis.xrange(DEADLETTER_STREAM)]


async def test_a_partner_down_is_retried_dead_lettered_and_sent_when_back(
    partner_settings: tuple[Settings, int], redis: Redis, tls: TlsFiles
) -> None:
    settings, port = partner_settings
    topics = Topics(settings.topic_root)
    async with (
        running_app(settings) as app,
        asgi_client(app, auth_headers(settings)) as client,
        mqtt_client(settings, "herts") as herts,
    ):
        await herts.subscribe(topics.interop_out("herts"), qos=1)
        ref = await held_incident(client, "cv-1")
        body = {"force": "Hertfordshire Constabulary", "reference": "HC-9", "note": "by phone"}
        assert (await client.post(f"/v1/incidents/{ref}/transfer", json=body)).status_code == 200
        # MQTT: at once.
        sent = await receive_json(herts)
        assert eido_errors(sent) == []
        assert sent["incidentComponent"]["internalIncidentId"] == ref  # type: ignore[index]

        # HTTPS: nobody listens; tried, then dead-lettered once, and kept.
        async def dead_lettered() -> bool:
            return any("not delivered after 3 attempts" in d["reason"]
                       for d in await dead_letters(redis))  # fmt: skip

        await eventually(dead_lettered, within_s=10)
        (pending,) = await redis.zrange(KEYS.outbox, 0, -1)
        assert pending.startswith("herts:https:")
        letter = next(d for d in await dead_letters(redis) if "attempts" in d["reason"])
        assert letter["topic"] == topics.interop_out("herts")
        # The partner comes back: the parked send goes, and the outbox is empty.
        with partner_endpoint(port, tls) as received:

            async def delivered() -> bool:
                return bool(received) and await redis.zcard(KEYS.outbox) == 0

            await eventually(delivered, within_s=10)
        (posted,) = received
        assert posted == sent
        assert not await redis.exists(KEYS.send(pending))
        assert len([d for d in await dead_letters(redis) if "attempts" in d["reason"]]) == 1


@pytest.mark.topologies("single", "cluster")
async def test_a_partner_s_updates_are_applied_once_and_bad_eidos_dead_lettered(
    partner_settings: tuple[Settings, int], redis: Redis, tls: TlsFiles
) -> None:
    settings, port = partner_settings
    topics = Topics(settings.topic_root)
    with partner_endpoint(port, tls):
        async with (
            running_app(settings) as app,
            asgi_client(app, auth_headers(settings)) as client,
            mqtt_client(settings, "herts") as herts,
        ):
            await herts.subscribe(topics.interop_out("herts"), qos=1)
            ref = await held_incident(client, "cv-2")
            body = {"force": "herts", "note": "by phone"}
            assert (
                await client.post(f"/v1/incidents/{ref}/transfer", json=body)
            ).status_code == 200
            ours = await receive_json(herts)
            # Herts answers on the same incident: on scene with two units, and a note.
            answer = json.loads(json.dumps(ours))
            answer |= {"updatedByAgencyReference": {"$ref": "herts.police.uk"},
                       "lastUpdateTimeStamp": datetime.now(UTC).isoformat()}  # fmt: skip
            answer["incidentComponent"]["incidentStatusInternalText"] = ["OnScene"]
            stamp = answer["lastUpdateTimeStamp"]
            answer["emergencyResourceComponent"] = [
                {"$id": f"{name}@herts.police.uk", "lastUpdateTimeStamp": stamp,
                 "updatedByAgencyReference": {"$ref": "herts.police.uk"},
                 "emergencyResourceTypeCommonRegistryText": "police",
                 "emergencyResourceName": name, "primaryUnitStatusRegistryText": "OnScene",
                 "secondaryUnitStatusRegistryText": [], "resourceAttributeRegistryText": [],
                 "agentReference": []}
                for name in ("HT21", "HT22")
            ]  # fmt: skip
            answer["notesComponent"] = [{
                "$id": "herts-note-1", "lastUpdateTimeStamp": answer["lastUpdateTimeStamp"],
                "updatedByAgencyReference": {"$ref": "herts.police.uk"},
                "notesActionComments": "<p>Suspect detained &amp; taken to Watford</p>",
            }]  # fmt: skip
            assert eido_errors(answer) == []
            for _ in range(2):  # a redelivery changes nothing
                await herts.publish(topics.interop_in("herts"), json.dumps(answer).encode(), qos=1)

            async def applied() -> bool:
                detail = (await client.get(f"/v1/incidents/{ref}")).json()
                return bool(detail["incident"]["partner_status"] == "OnScene")

            await eventually(applied)
            broken = dict(answer, eidoVersion="9")
            await herts.publish(topics.interop_in("herts"), b"{not json", qos=1)
            await herts.publish(topics.interop_in("herts"), json.dumps(broken).encode(), qos=1)

            async def both_dead() -> bool:
                reasons = [d["reason"] for d in await dead_letters(redis)]
                return any(r.startswith("payload: not valid JSON") for r in reasons) and any(
                    r.startswith("eido: $.eidoVersion: ") for r in reasons
                )

            await eventually(both_dead)
            detail = (await client.get(f"/v1/incidents/{ref}")).json()
    incident = detail["incident"]
    assert incident["partner_units"] == ["HT21", "HT22"]
    assert incident["partner_agency"] == "herts"
    assert incident["status"] == "transferred"
    remarks = [e["text"] for e in detail["chronology"] if e["type"] == "remark"]
    assert remarks == ["Hertfordshire Constabulary: Suspect detained & taken to Watford"]
    updates = [e for e in detail["chronology"] if e["type"] == "partner_update"]
    assert len(updates) == 1


async def test_a_transfer_cut_short_before_its_sends_were_queued_is_sent_all_the_same(
    partner_settings: tuple[Settings, int], redis: Redis
) -> None:
    """The request noted its intent and recorded the hand-over, then died: the outbox finds
    the intent and sends; an intent whose hand-over was never made is dropped."""
    settings, _ = partner_settings
    topics = Topics(settings.topic_root)
    async with (
        running_app(settings) as app,
        asgi_client(app, auth_headers(settings)) as client,
        mqtt_client(settings, "herts") as herts,
    ):
        runtime = app.state.runtime
        await herts.subscribe(topics.interop_out("herts"), qos=1)
        ref = await held_incident(client, "cv-3")
        never = await held_incident(client, "cv-4")
        incident = await find_incident(redis, ref)
        assert incident is not None
        # Both intents as `Outbox.intend` notes them, a minute ago (older than any lease), by
        # requests that died since; only the first recorded its hand-over.
        a_minute_ago = int(time.time() * 1000) - 60_000
        await redis.hset(KEYS.intents, mapping=dict.fromkeys((ref, never), f"herts {a_minute_ago}"))
        await record_transfer(
            redis, runtime.call_scripts, incident, force="Hertfordshire Constabulary",
            reference="", note="by phone", actor="test",
        )  # fmt: skip
        sent = await receive_json(herts, within_s=10)
        assert sent["incidentComponent"]["internalIncidentId"] == ref  # type: ignore[index]

        async def settled() -> bool:
            return not await redis.hgetall(KEYS.intents)

        await eventually(settled)
        assert await nothing_arrives(herts, 0.5)


async def test_an_eido_on_a_partner_s_topic_must_be_its_own(
    partner_settings: tuple[Settings, int], redis: Redis
) -> None:
    """An EIDO on `in/herts` that another agency updated last, or on a topic of no partner,
    is dead-lettered: a partner speaks only for itself."""
    settings, _ = partner_settings
    topics = Topics(settings.topic_root)
    document = json.loads(
        (Path(__file__).parent / "data" / "nena_sample_call_transfer_eido.json").read_text()
    )
    async with running_app(settings), mqtt_client(settings, "herts") as herts:
        await herts.publish(topics.interop_in("herts"), json.dumps(document).encode(), qos=1)
        await herts.publish(topics.interop_in("nobody"), json.dumps(document).encode(), qos=1)

        async def both_dead() -> bool:
            reasons = [d["reason"] for d in await dead_letters(redis)]
            return (
                "eido: $.updatedByAgencyReference: not herts's agency id 'herts.police.uk'"
                in reasons
                and "topic: 'nobody' is not a configured partner" in reasons
            )

        await eventually(both_dead)


async def test_a_restart_resumes_the_pending_sends(
    partner_settings: tuple[Settings, int], redis: Redis, tls: TlsFiles
) -> None:
    """The sends live in Redis, not in the process: one queued by a service that stops is
    delivered by the next."""
    settings, port = partner_settings
    async with (
        running_app(settings) as app,
        asgi_client(app, auth_headers(settings)) as client,
    ):
        ref = await held_incident(client, "cv-5")
        body = {"force": "Hertfordshire Constabulary", "note": "by phone"}
        assert (await client.post(f"/v1/incidents/{ref}/transfer", json=body)).status_code == 200

        async def tried() -> bool:
            # The MQTT send has gone; the HTTPS one has been tried, and waits.
            sends = await redis.zrange(KEYS.outbox, 0, -1)
            if len(sends) != 1:
                return False
            return int(await redis.hget(KEYS.send(sends[0]), "attempts") or 0) >= 1

        await eventually(tried)
    (pending,) = await redis.zrange(KEYS.outbox, 0, -1)
    assert pending.startswith("herts:https:")
    with partner_endpoint(port, tls) as received:
        async with running_app(settings):

            async def delivered() -> bool:
                return bool(received) and await redis.zcard(KEYS.outbox) == 0

            await eventually(delivered, within_s=10)
    (posted,) = received
    assert posted["incidentComponent"]["internalIncidentId"] == ref
    assert not await redis.exists(KEYS.send(pending))


@pytest.mark.topologies("single", "cluster")
async def test_an_ambulance_incident_that_needs_police_lands_in_the_queue(
    partner_settings: tuple[Settings, int], redis: Redis
) -> None:
    """LAS sends its own incident: opened here keeping LAS's reference, ungraded (an
    ambulance's priority is no police grade) and so queued for a call handler; sent again,
    nothing doubles."""
    settings, _ = partner_settings
    topics = Topics(settings.topic_root)
    theirs = json.loads(json.dumps(example_eido()))
    stamp = datetime.now(UTC).isoformat()
    theirs |= {
        "$id": "urn:emergency:uid:incidentid:LAS-5521:londonambulance.nhs.uk",
        "lastUpdateTimeStamp": stamp,
        "updatedByAgencyReference": {"$ref": "londonambulance.nhs.uk"},
    }  # fmt: skip
    theirs["incidentComponent"] |= {
        "incidentTypeInternalCode": "cardiac_arrest", "incidentPriorityInternalText": "C1",
        "incidentCommonPriorityNumber": 1, "internalIncidentId": "LAS-5521",
    }  # fmt: skip
    for call in theirs["callComponent"]:
        call["callStartTimestamp"] = stamp
    for component in theirs["notesComponent"]:
        component["notesActionComments"] = "Crew assaulted on arrival, police needed"
    assert eido_errors(theirs) == []
    async with (
        running_app(settings) as app,
        asgi_client(app, auth_headers(settings)) as client,
        mqtt_client(settings, "las") as las,
    ):
        for _ in range(2):
            await las.publish(topics.interop_in("las"), json.dumps(theirs).encode(), qos=1)

        async def queued() -> list[dict[str, Any]]:
            listed = (await client.get("/v1/incidents", params={"status": "pending"})).json()
            return [i["incident"] for i in listed["incidents"]]

        async def remarked() -> bool:
            found = await queued()
            if not found:
                return False
            detail = (await client.get(f"/v1/incidents/{found[0]['ref']}")).json()
            return any(e["type"] == "remark" for e in detail["chronology"])

        await eventually(remarked, within_s=10)
        (incident,) = await queued()
        detail = (await client.get(f"/v1/incidents/{incident['ref']}")).json()
    assert (incident["source"], incident["grade"], incident["incident_type"]) == (
        "partner", None, None,
    )  # fmt: skip
    assert (incident["partner_agency"], incident["partner_reference"]) == ("las", theirs["$id"])
    assert (incident["lon"], incident["lat"]) == (-0.1281, 51.508)
    remarks = [e["text"] for e in detail["chronology"] if e["type"] == "remark"]
    assert remarks == ["London Ambulance Service: Crew assaulted on arrival, police needed"]
    assert [c["call_id"] for c in detail["calls"]] == [incident["call_id"]]
