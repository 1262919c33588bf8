"""The partners file and the outbox's retry policy (pure)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cad.catalogue_file import CatalogueError
from cad.settings import get_settings
from interop.outbox import RetryPolicy
from interop.partners import load_partners


def test_the_shipped_partners_are_london_s_neighbours() -> None:
    partners = load_partners()
    assert {p.id for p in partners.partners} == {
        "colp", "las", "lfb", "herts", "essex", "kent", "surrey", "tvp",
    }  # fmt: skip
    # A transfer names a force as the jurisdiction check does (geo/): each is found.
    for force in ("City of London Police", "Kent Police", "Thames Valley Police", "las"):
        assert partners.named(force) is not None, force
    assert partners.named("Metropolitan Police Service") is None
    las = partners.by_id("las")
    assert las is not None
    assert las.agency.agency_type == "ems"


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ("{id: las, name: LAS, eido_agency: las.example, agency_type: ems,"
         " endpoint: 'http://las.example/eido'}", "endpoint: an https:// URL"),
        ("{id: LAS, name: LAS, eido_agency: las.example, agency_type: ems}", "id"),
        ("{id: las, name: LAS, eido_agency: las.example, agency_type: ems, colour: red}",
         "colour"),
    ],
)  # fmt: skip
def test_a_bad_partner_is_refused_naming_the_field(tmp_path: Path, entry: str, words: str) -> None:
    path = tmp_path / "partners.yaml"
    path.write_text(f"version: 1\npartners:\n  - {entry}\n")
    with pytest.raises(CatalogueError, match=words):
        load_partners(path)


def test_a_partner_listed_twice_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "partners.yaml"
    entry = "{id: las, name: LAS, eido_agency: las.example, agency_type: ems}"
    path.write_text(f"version: 1\npartners:\n  - {entry}\n  - {entry}\n")
    with pytest.raises(CatalogueError, match="id 'las' is listed twice"):
        load_partners(path)


def test_the_backoff_doubles_to_its_bound_then_parks() -> None:
    policy = RetryPolicy(first_s=2, max_s=60, max_attempts=8, parked_s=300)
    assert [policy.delay_s(n) for n in range(1, 10)] == [2, 4, 8, 16, 32, 60, 60, 300, 300]


def test_the_backoff_s_bound_is_at_least_its_start() -> None:
    with pytest.raises(ValueError, match="interop_retry_max_s: must be at least"):
        get_settings(interop_retry_first_s=10.0, interop_retry_max_s=5.0)
