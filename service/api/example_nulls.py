"""The nulls of the OpenAPI examples, put back: FastAPI builds the document with
`exclude_none`, which also drops every null inside an example (fastapi#5559), so an example of
a required nullable field (`best_eta_s: null`) would no longer fit its own schema. Each example
of the document is matched to the one it was written from (a model's, or a route's from
service/api/example_docs.py) by its text without nulls, and replaced by it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel

from service.api.example_docs import ANSWER_EXAMPLES

# The packages whose models the API answers with.
_OURS = ("cad.", "callhandling.", "dispatch.", "geo.", "history.", "service.")


def restore_example_nulls(document: dict[str, Any]) -> None:
    """Replace every example in `document` by the one it was written from, nulls and all."""
    written = [*ANSWER_EXAMPLES, *(e for m in our_models() for e in model_examples(m))]
    originals: dict[str, Any] = {}
    for example in written:
        encoded = jsonable_encoder(example)
        originals.setdefault(_key(encoded), encoded)
    _restore(document, originals)


def model_examples(model: type[BaseModel]) -> list[Any]:
    """The examples a model gives in its `json_schema_extra`."""
    extra = model.model_config.get("json_schema_extra")
    found = extra.get("examples", []) if isinstance(extra, dict) else []
    return list(found) if isinstance(found, list) else []


def _restore(node: Any, originals: dict[str, Any]) -> None:
    if isinstance(node, list):
        for item in node:
            _restore(item, originals)
        return
    if not isinstance(node, dict):
        return
    if "example" in node:
        node["example"] = _original(node["example"], originals)
    examples = node.get("examples")
    if isinstance(examples, list):
        node["examples"] = [_original(e, originals) for e in examples]
    elif isinstance(examples, dict):
        for named in examples.values():
            if isinstance(named, dict) and "value" in named:
                named["value"] = _original(named["value"], originals)
    for key, value in node.items():
        if key not in ("example", "examples"):
            _restore(value, originals)


def _original(example: Any, originals: dict[str, Any]) -> Any:
    return originals.get(_key(example), example)


def _key(example: Any) -> str:
    return json.dumps(_without_nulls(example), sort_keys=True)


def _without_nulls(value: Any) -> Any:
    # What FastAPI's exclude_none leaves of an example: dict entries of null dropped.
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def our_models() -> Iterator[type[BaseModel]]:
    """Every model of our packages loaded so far."""
    pending = list(BaseModel.__subclasses__())
    while pending:
        model = pending.pop()
        pending += model.__subclasses__()
        if model.__module__.startswith(_OURS):
            yield model
