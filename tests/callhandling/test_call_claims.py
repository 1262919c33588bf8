"""The claim of a call id across the force: what counts as the same call, how a difference is
named, and the crash window between the claim and the call record (real Redis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from redis.asyncio import Redis

from cad.events import CallEvent, CallSource, Grade, Location
from cad.keys import AreaKeys, GlobalKeys
from cad.settings import Settings
from callhandling.call_claims import CallClaim, CallIdConflictError, claim_of, conflict_reason
from callhandling.incidents import Outcome
from callhandling.surroundings import look_around
from dispatch.scripts import DispatchScripts
from dispatch.units import Unit, register_unit
from tests.helpers import running_runtime

SALT = "test-salt"
WESTMINSTER = (-0.1357, 51.4995)  # CW
CAMDEN = (-0.1426, 51.5390)  # CN
RECEIVED = datetime(2026, 11, 22, 21, 4, 5, tzinfo=UTC)
CLI = "07700900461"
TEXT = "my neighbour Mrs Example has collapsed"


def event(where: tuple[float, float] = WESTMINSTER, **over: object) -> CallEvent:
    fields: dict[str, object] = {
        "call_id": "C-1", "received_at": RECEIVED, "source": CallSource.EMERGENCY_999,
        "location": Location(lon=where[0], lat=where[1], radius_m=30.0),
        "incident_type": "concern_for_welfare", "grade": Grade.IMMEDIATE, "cli": CLI,
        "text": TEXT, **over,
    }  # fmt: skip
    return CallEvent.model_validate(fields)


def test_the_same_call_makes_the_same_claim_whatever_offset_its_time_was_written_with() -> None:
    later_offset = RECEIVED.astimezone(timezone(timedelta(hours=1)))
    assert claim_of(event(), "CW", SALT) == claim_of(event(received_at=later_offset), "CW", SALT)
    assert (
        conflict_reason("C-1", claim_of(event(), "CW", SALT), claim_of(event(), "CN", SALT)) is None
    )


@pytest.mark.parametrize(
    ("copy", "area", "named"),
    [
        (event(CAMDEN), "CN", "location (area CW, not CN)"),
        (event(location=Location(lon=WESTMINSTER[0], lat=WESTMINSTER[1])), "CW", "location"),
        (event(incident_type="burglary", grade=Grade.SIGNIFICANT), "CW", "incident_type, grade"),
        (event(source=CallSource.AML, received_at=RECEIVED + timedelta(seconds=1)), "CW",
         "source, received_at"),
        (event(cli="07700900462", text=None), "CW", "cli, text"),
        (event(CAMDEN, cli=None, grade=None), "CN", "location (area CW, not CN), grade, cli"),
    ],
)  # fmt: skip
def test_a_differing_copy_is_refused_naming_each_field_but_no_caller_data(
    copy: CallEvent, area: str, named: str
) -> None:
    first = claim_of(event(), "CW", SALT)
    reason = conflict_reason("C-1", first, claim_of(copy, area, SALT))
    assert reason == f"call_id: C-1 already recorded with a different {named}"
    assert CLI not in reason
    assert "Mrs Example" not in reason


def test_a_claim_reads_back_as_it_was_stored_and_holds_no_caller_data() -> None:
    claim = claim_of(event(), "CW", SALT)
    stored = claim.encode()
    assert CallClaim.decode(stored) == claim
    assert CLI not in stored
    assert "Mrs" not in stored
    # Salted: the same number under another salt gives another digest.
    assert claim_of(event(), "CW", "other").fields[5] != claim.fields[5]
    with pytest.raises(ValueError, match="unknown form"):
        CallClaim.decode("2|" + stored[2:])


async def test_a_claim_left_by_a_crash_refuses_a_differing_copy_and_takes_its_own_content(
    settings: Settings, redis: Redis, scripts: DispatchScripts
) -> None:
    """The first copy claimed the call id, then its process died before recording the call."""
    unit = Unit(callsign="CW01", area="CW", base_lon=-0.1347, base_lat=51.4995)
    await register_unit(redis, scripts, unit, now_ms=1, actor="test")
    first = event()
    claim = claim_of(first, "CW", settings.cli_salt)
    retention_s = settings.caller_data_retention_s
    around = await look_around(
        redis, area="CW", call_id="C-1", lon=WESTMINSTER[0], lat=WESTMINSTER[1],
        radius_m=1500, claim=claim, retention_s=retention_s,
    )  # fmt: skip
    assert (around.first_claim, around.known_ref) == (None, None)  # claimed, nothing recorded
    assert 0 < await redis.ttl(GlobalKeys().call_id("C-1")) <= retention_s
    async with running_runtime(settings) as runtime:
        with pytest.raises(CallIdConflictError, match=r"location \(area CW, not CN\)$"):
            await runtime.intake.accept(event(CAMDEN), actor="test")
        assert not await redis.exists(AreaKeys("CN").call("C-1"), AreaKeys("CW").call("C-1"))
        # The redelivery of the first copy records it: the claim was its own, not a replay.
        redelivered = await runtime.intake.accept(first, actor="test")
        assert redelivered.outcome is Outcome.CREATED
        assert redelivered.claim is not None
        assert [u.callsign for u in redelivered.claim.units] == ["CW01"]
        assert await redis.hget(AreaKeys("CW").call("C-1"), "incident_ref") == (
            redelivered.incident.ref
        )


async def test_the_same_call_located_in_another_area_goes_to_the_area_that_claimed_it(
    settings: Settings, redis: Redis
) -> None:
    """The boundaries changed between two copies (or a caller located the call itself): the
    area of the first claim records it, once, whether or not it had recorded it yet."""
    async with running_runtime(settings) as runtime:
        await look_around(
            redis, area="CW", call_id="C-1", lon=WESTMINSTER[0],
            lat=WESTMINSTER[1], radius_m=1500,
            claim=claim_of(event(), "CW", settings.cli_salt),
            retention_s=settings.caller_data_retention_s,
        )  # fmt: skip
        created = await runtime.intake.accept(event(), actor="test", area="CN", auto_link=False)
        again = await runtime.intake.accept(event(), actor="test", area="CN")
    assert (created.outcome, created.incident.area) == (Outcome.CREATED, "CW")
    assert (again.outcome, again.incident.ref) == (Outcome.REPLAYED, created.incident.ref)
    assert not await redis.exists(AreaKeys("CN").call("C-1"))
