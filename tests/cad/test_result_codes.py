"""The result code catalogue: the shipped file loads, each code has a label and a category, and a
file that is wrong is refused naming the entry and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from cad.catalogue_file import CatalogueError
from cad.result_codes import (
    Category,
    load_result_catalogue,
    parse_result_catalogue,
)


def test_the_shipped_catalogue_has_every_category_and_the_codes_in_use() -> None:
    catalogue = load_result_catalogue()
    assert {code.category for code in catalogue.codes.values()} == set(Category)
    # The codes of the former closing enum stay valid: clients and tests send them.
    former = {"resolved", "arrest", "crime_reported", "advice_given", "no_trace", "false_alarm",
              "duplicate", "no_police_action"}  # fmt: skip
    assert former <= set(catalogue.codes)
    assert catalogue.codes["arrest"].category is Category.CRIME
    assert catalogue.refusal("arrest") is None


def test_an_unknown_code_is_refused_listing_the_valid_ones() -> None:
    refusal = load_result_catalogue().refusal("robbed")
    assert refusal is not None
    assert refusal.startswith("code: unknown result code 'robbed'; valid codes: advice_given, ")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (
            "version: 1\ncodes: {arrest: {label: Arrest, category: burglary}}\n",
            "codes.arrest.category",
        ),
        ("version: 1\ncodes: {arrest: {category: crime}}\n", "codes.arrest.label"),
        ("version: 1\ncodes: {}\n", "codes"),
        ("version: 1\ncodes: {Arrest!: {label: A, category: crime}}\n", "codes"),
        ("version: [1\n", "not valid YAML"),
    ],
    ids=["unknown-category", "no-label", "empty", "bad-code", "not-yaml"],
)
def test_a_wrong_catalogue_is_refused_naming_the_field(text: str, says: str) -> None:
    with pytest.raises(CatalogueError, match=says):
        parse_result_catalogue(text, source="codes.yaml")


def test_a_catalogue_of_ones_own_is_loaded_from_its_file(tmp_path: Path) -> None:
    path = tmp_path / "codes.yaml"
    path.write_text("version: 2\ncodes: {found_safe: {label: Found, category: public_safety}}\n")
    assert list(load_result_catalogue(path).codes) == ["found_safe"]
