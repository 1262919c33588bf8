"""Parsing MQTT payloads at the edge: a model, or a rejection that says which field and why."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from cad.events import describe_validation_error

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Rejection:
    """Why a payload was refused."""

    reason: str


def parse_payload(model: type[M], payload: bytes, *, max_bytes: int) -> M | Rejection:
    """Validate a JSON payload against `model`, refusing oversized, non-JSON and invalid input."""
    if len(payload) > max_bytes:
        return Rejection(f"payload: {len(payload)} bytes exceeds the limit of {max_bytes}")
    try:
        # pydantic's own JSON parser, in one pass: half the cost of json.loads and then
        # model_validate for a valid fix or call, and nearly every message is valid.
        return model.model_validate_json(payload)
    except ValidationError:
        pass
    # Refused: parse again the slow way, which says precisely what is wrong with it.
    try:
        document = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        return Rejection(f"payload: not valid JSON ({exc})")
    if not isinstance(document, dict):
        return Rejection(f"payload: expected a JSON object, got {type(document).__name__}")
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        return Rejection(describe_validation_error(exc))
