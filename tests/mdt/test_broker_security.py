"""The broker security files as text: the ACL, derived passwords, and URLs fit for logs."""

from __future__ import annotations

from pathlib import Path

import pytest

from transport.broker_security import (
    acl_text,
    add_users,
    development_credentials,
    redact_url,
    standard_logins,
)


def test_the_acl_confines_units_to_their_own_topics() -> None:
    lines = acl_text("cad", standard_logins()).splitlines()
    patterns = [line for line in lines if line.startswith("pattern ")]
    assert patterns == [
        "pattern write cad/units/%u/avl",
        "pattern write cad/units/%u/status",
        "pattern read cad/units/%u/tasking",
        "pattern read cad/units/%u/reply",
        "pattern read cad/units/%u/notice",
    ]
    assert "topic readwrite cad/#" in lines
    assert "topic write cad/calls/in" in lines
    assert not any("readwrite" in line for line in patterns)


def test_unit_passwords_are_per_unit_and_per_secret() -> None:
    one, other = development_credentials("s1"), development_credentials("s2")
    assert one.unit_password("CW01") == one.unit_password("CW01")
    assert one.unit_password("CW01") != one.unit_password("CW02")
    assert one.unit_password("CW01") != other.unit_password("CW01")


@pytest.mark.parametrize(
    ("url", "logged"),
    [
        ("mqtt://cad-service:s3cret@broker:1883", "mqtt://cad-service:***@broker:1883"),
        ("mqtt://127.0.0.1:1883", "mqtt://127.0.0.1:1883"),
        ("mqtt://user@broker:1883", "mqtt://user@broker:1883"),
    ],
)
def test_a_logged_url_never_shows_the_password(url: str, logged: str) -> None:
    assert redact_url(url) == logged


def test_adding_units_keeps_the_other_users_and_hashes_every_password(tmp_path: Path) -> None:
    passwd = tmp_path / "passwd"
    credentials = development_credentials("s")
    passwd.write_text("")
    add_users(passwd, credentials.users(standard_logins(avl_workers=0)))
    add_users(passwd, credentials.unit_users(["CW01", "CW02"]))
    add_users(passwd, credentials.unit_users(["CW01"]))  # again: replaced, not doubled
    lines = passwd.read_text().splitlines()
    assert sorted(line.split(":")[0] for line in lines) == sorted(
        ["cad-intake", "cad-service", "cad-gateway", "cad-monitor", "CW01", "CW02"]
    )
    assert all(line.split(":", 1)[1].startswith("$7$") for line in lines)
    assert credentials.unit_password("CW01") not in passwd.read_text()
