"""A partner agency's broker login may read only the EIDOs sent to it and write only its own
answers (the generated ACL's lines)."""

from __future__ import annotations

from transport.broker_security import LoginRole, acl_text, partner_logins


def test_a_partner_s_grants_are_its_own_two_topics() -> None:
    (las,) = partner_logins(["las"])
    assert (las.username, las.role, las.agency) == ("cad-partner-las", LoginRole.PARTNER, "las")
    text = acl_text("cad", partner_logins(["las", "lfb"]))
    block = text.split("user cad-partner-las\n", 1)[1].split("\n\n", 1)[0]
    assert block.splitlines() == [
        "topic read cad/interop/out/las",
        "topic write cad/interop/in/las",
    ]
    assert "topic write cad/interop/in/lfb" in text
    assert "cad/#" not in block
