"""An MDT's MQTT client: its own login, a persistent session, and a last will of `link_lost`."""

from __future__ import annotations

from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from cad.events import StatusReport, UnitStatus, utcnow
from cad.topics import Topics
from transport.mqtt import NO_DELAY, BrokerAddress
from transport.mqtt_client import Client, ProtocolVersion, Will

# Taskings queue in the broker for an MDT that is away (a tunnel, a dead spot) for up to a day.
SESSION_EXPIRY_S = 24 * 3600
# The broker publishes the will when it has heard nothing for 1.5 keepalives: about 30 s.
KEEPALIVE_S = 20


def link_lost_report() -> bytes:
    """The last will: the broker sends it on the unit's status topic when the link dies."""
    return StatusReport(status=UnitStatus.LINK_LOST, ts=utcnow()).model_dump_json().encode()


def mdt_client(
    mqtt_url: str, topics: Topics, callsign: str, password: str, *, timeout_s: float = 10.0
) -> Client:
    """The client of one unit's MDT, logged in as its callsign; it keeps its session (and the
    taskings queued in it) across reconnects, so it subscribes once and never misses one."""
    address = BrokerAddress.from_url(mqtt_url)
    properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    properties.SessionExpiryInterval = SESSION_EXPIRY_S
    will = Will(topics.status(callsign), link_lost_report(), qos=1, retain=False)
    return Client(
        address.host, address.port, username=callsign, password=password,
        identifier=callsign, protocol=ProtocolVersion.V5, clean_start=False,
        properties=properties, will=will, keepalive=KEEPALIVE_S, timeout=timeout_s,
        socket_options=NO_DELAY,
    )  # fmt: skip
