"""OpenAPI examples of answers no single model describes: a list, a plain dict, a text stream,
or one route answering two shapes (tests/test_openapi_examples.py checks every one)."""

from __future__ import annotations

from typing import Any

JSON = "application/json"
# Every example given here, as written: service/api/example_nulls.py puts back the nulls the
# document drops from them.
ANSWER_EXAMPLES: list[object] = []


def example_answer(
    value: object, *, status: int = 200, media_type: str = JSON
) -> dict[int | str, dict[str, Any]]:
    """The `responses=` entry giving the success answer's example."""
    ANSWER_EXAMPLES.append(value)
    return {status: {"content": {media_type: {"example": value}}}}


def examples_answer(
    named: dict[str, tuple[str, object]], *, status: int = 200, media_type: str = JSON
) -> dict[int | str, dict[str, Any]]:
    """The `responses=` entry giving several examples of the success answer, each by name with
    its summary (`{name: (summary, value)}`)."""
    examples = {
        name: {"summary": summary, "value": value} for name, (summary, value) in named.items()
    }
    return {status: {"content": {media_type: {"examples": examples}}}}
