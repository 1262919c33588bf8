"""Every operation's OpenAPI document shows an example of its JSON request body and of each
content type of its success answer; every example fits its schema, every model's example
validates against its own model, and the request examples are accepted by the real app."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import jsonschema_rs
import pytest
from fastapi import FastAPI

from cad.settings import Settings
from service.api.example_nulls import model_examples, our_models
from service.app import create_app
from service.live.examples import EVENT_STREAM
from tests.helpers import asgi_client, auth_headers

_SECRET = "openapi-examples-test-only-secret-of-at-least-32-characters"
DOC: dict[str, Any] = create_app(
    Settings(environment="development", auth_dev_secret=_SECRET)
).openapi()
COMPONENTS: dict[str, Any] = DOC["components"]["schemas"]
SUCCESS = ("200", "201", "202")
Operation = tuple[str, str, dict[str, Any]]


def _operations() -> Iterator[Operation]:
    for path, methods in DOC["paths"].items():
        for method, operation in methods.items():
            yield method.upper(), path, operation


OPERATIONS = list(_operations())
WITH_BODY = [o for o in OPERATIONS if "application/json" in o[2].get("requestBody", {}).get(
    "content", {}
)]  # fmt: skip


def _resolved(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = COMPONENTS[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def examples_of(media: dict[str, Any]) -> list[Any]:
    """The examples a media type shows: its own, else its (referenced) schema's."""
    if "example" in media:
        return [media["example"]]
    if "examples" in media:
        return [e["value"] for e in media["examples"].values()]
    return list(_resolved(media.get("schema", {})).get("examples", []))


def _success_media() -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    for method, path, operation in OPERATIONS:
        for code in SUCCESS:
            for media_type, media in (
                operation["responses"].get(code, {}).get("content", {}).items()
            ):
                yield f"{method} {path} {code}", media_type, code, media


def _name(operation: Operation) -> str:
    return f"{operation[0]} {operation[1]}"


@pytest.mark.parametrize("operation", WITH_BODY, ids=_name)
def test_every_json_request_body_has_an_example(operation: Operation) -> None:
    media = operation[2]["requestBody"]["content"]["application/json"]
    assert examples_of(media), f"{_name(operation)}: no example of its request body"


@pytest.mark.parametrize("operation", OPERATIONS, ids=_name)
def test_every_success_answer_has_an_example_of_each_content_type(operation: Operation) -> None:
    answers = [operation[2]["responses"][c] for c in SUCCESS if c in operation[2]["responses"]]
    assert answers, f"{_name(operation)}: no success answer documented"
    for answer in answers:
        for media_type, media in answer.get("content", {}).items():
            assert examples_of(media), f"{_name(operation)}: no example of its {media_type}"


def _validator(schema: dict[str, Any]) -> jsonschema_rs.Draft202012Validator:
    # The document's components travel with the schema, so that its `$ref`s resolve.
    return jsonschema_rs.Draft202012Validator({**schema, "components": DOC["components"]})


def _mismatches(schema: dict[str, Any], example: Any) -> list[str]:
    return [f"{e.instance_path}: {e.message}" for e in _validator(schema).iter_errors(example)]


def test_every_request_example_fits_its_schema() -> None:
    for operation in WITH_BODY:
        media = operation[2]["requestBody"]["content"]["application/json"]
        for example in examples_of(media):
            assert not _mismatches(media["schema"], example), (_name(operation), example)


def test_every_success_example_fits_its_schema() -> None:
    checked = 0
    for where, media_type, _, media in _success_media():
        if media_type == "text/event-stream":
            continue  # its schema describes one event: test_the_event_stream_example_...
        for example in examples_of(media):
            assert not _mismatches(media["schema"], example), (where, media_type)
            checked += 1
    assert checked >= len(OPERATIONS) - 1


def test_the_event_stream_example_is_events_of_its_schema() -> None:
    media = DOC["paths"]["/v1/events"]["get"]["responses"]["200"]["content"]["text/event-stream"]
    (stream,) = examples_of(media)
    assert stream == EVENT_STREAM
    events = []
    for block in stream.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if line[:1] != ":")
        if "event" in fields:
            assert not _mismatches(media["schema"], fields), fields
            json.loads(fields["data"])
            events.append(fields["event"])
    assert events == ["audit", "positions", "kpis"]


def test_every_model_example_validates_against_its_model() -> None:
    annotated = {m.__name__: m for m in our_models() if model_examples(m)}
    for model in annotated.values():
        for example in model_examples(model):
            model.model_validate(example)  # raises, naming the field, if it drifted
    # Every example among the document's components is one of these: none escapes the check.
    in_document = {
        name.removesuffix("-Input").removesuffix("-Output")
        for name, schema in COMPONENTS.items()
        if schema.get("examples")
    }
    assert in_document <= set(annotated), in_document - set(annotated)
    assert {"IncidentRecord", "IncidentDetail", "CallRecorded", "UnitView", "Unit"} <= in_document


# What the API's request examples do against the real app, in an order where each can succeed.


def _request_examples(path: str) -> list[dict[str, Any]]:
    media = DOC["paths"][path]["post"]["requestBody"]["content"]["application/json"]
    examples: list[dict[str, Any]] = examples_of(media)
    return examples


async def _post(http: httpx.AsyncClient, url: str, body: dict[str, Any], status: int) -> Any:
    answer = await http.post(url, json=body)
    assert answer.status_code == status, (url, body, answer.text)
    return answer.json()


async def test_the_request_examples_are_accepted_by_the_app(
    app: FastAPI, settings: Settings
) -> None:
    now = datetime.now(UTC).isoformat()
    incident = "/v1/incidents/{ref}"

    async def call(http: httpx.AsyncClient, body: dict[str, Any]) -> str:
        # The example's time is fixed; the service takes calls of the last 24 hours only.
        made = await _post(http, "/v1/calls", {**body, "received_at": now}, 201)
        ref: str = made["incident"]["incident"]["ref"]
        return ref

    async with asgi_client(app, auth_headers(settings)) as http:
        for unit in _request_examples("/v1/units"):
            assert (await _post(http, "/v1/units", unit, 201))["unit"]["callsign"] == "CW31"
        (example_call,) = _request_examples("/v1/calls")
        ref = await call(http, example_call)
        for decision in _request_examples(f"{incident}/grade"):
            await _post(http, f"/v1/incidents/{ref}/grade", decision, 200)
        for remark in _request_examples(f"{incident}/log"):
            await _post(http, f"/v1/incidents/{ref}/log", remark, 201)
        for body in _request_examples(f"{incident}/location"):
            await _post(http, f"/v1/incidents/{ref}/location", body, 200)
        for body in _request_examples(f"{incident}/type"):
            await _post(http, f"/v1/incidents/{ref}/type", body, 200)
        (link,) = _request_examples(f"{incident}/links")
        # The call to link: another about the same fight, its own incident until linked.
        await call(http, {**example_call, "call_id": link["call_id"], "cli": None})
        assert (await _post(http, f"/v1/incidents/{ref}/links", link, 200))["outcome"]
        # CW31 is committed to the first incident: each of these waits in the queue.
        for end, status in (("cancel", "cancelled"), ("refer", "referred"), ("close", "closed")):
            for n, body in enumerate(_request_examples(f"{incident}/{end}")):
                other = await call(http, {**example_call, "call_id": f"{end}-{n}"})
                done = await _post(http, f"/v1/incidents/{other}/{end}", body, 200)
                assert done["status"] == status
