"""The AVL worker's MQTT session: a plain socket its owner's select loop reads, MQTT v5 packets
read and written by mqtt5, a sans-I/O codec (Rust) with a public API.

Made for a flood of small QoS 0 messages: one `recv()` takes up to 64 KiB (hundreds of fixes),
and each PUBLISH is decoded in about a microsecond, where paho takes three `recv()` calls and a
message object per packet (docs/performance.md). It subscribes, hands each message's topic and
payload to `on_payload`, acknowledges QoS 1, publishes (the dead letters), and keeps the
connection alive; no session outlives a connection (clean start), as fixes are perishable.
"""

from __future__ import annotations

import select
import socket
import ssl
import time
from collections.abc import Callable

import mqtt5

from cad.errors import BrokerConnectError, LinkLostError
from transport.mqtt import NO_DELAY, BrokerAddress
from transport.mqtt_client import TLSParameters

_READ_AHEAD_BYTES = 65_536
_SUBSCRIBE_ID = 1
# A PUBLISH's packet ids: the dead letters' (the one other packet with an id is the SUBSCRIBE).
_FIRST_PUBLISH_ID = 2
_LAST_PACKET_ID = 65_535
_QOS = (mqtt5.QoS.AT_MOST_ONCE, mqtt5.QoS.AT_LEAST_ONCE)
# SUBACK reason codes from here on say the subscription was refused.
_FIRST_FAILURE = 0x80

# What the link hands its owner of each message: the topic and the payload.
PayloadCallback = Callable[[str, bytes], None]


class AvlLink:
    """One connected MQTT v5 session over a non-blocking socket, driven by its owner's loop:
    select on `socket`, `read` when readable or `has_buffered`, and `keep_alive` now and then."""

    def __init__(self, sock: socket.socket, keepalive_s: int, timeout_s: float) -> None:
        self.socket = sock
        self.on_payload: PayloadCallback | None = None
        self._keepalive_s = keepalive_s
        self._timeout_s = timeout_s
        self._buffer = b""
        self._view = memoryview(self._buffer)
        self._at = 0
        self._next_id = _FIRST_PUBLISH_ID
        self._last_sent = time.monotonic()
        self._ping_sent: float | None = None
        self.connack: mqtt5.ConnAckPacket | None = None

    def has_buffered(self) -> bool:
        """Whether a whole packet already read waits to be handled (select() cannot see it)."""
        return self._whole_packet_at() is not None or (
            isinstance(self.socket, ssl.SSLSocket) and self.socket.pending() > 0
        )

    def read(self) -> bool:
        """Handle the next packet: one read ahead if a whole one is there, else after one
        recv(). False when none whole has come yet; LinkLostError when the link is gone."""
        packet = self._next_packet()
        if packet is None:
            if not self._receive():
                return False
            packet = self._next_packet()
            if packet is None:
                return False
        if isinstance(packet, mqtt5.PublishPacket):
            if packet.qos == mqtt5.QoS.AT_LEAST_ONCE and packet.packet_id is not None:
                self._send(mqtt5.PubAckPacket(packet.packet_id).write())
            if self.on_payload is not None:
                self.on_payload(packet.topic, packet.payload)
        elif isinstance(packet, mqtt5.ConnAckPacket):
            self.connack = packet
        elif isinstance(packet, mqtt5.PingRespPacket):
            self._ping_sent = None
        elif isinstance(packet, mqtt5.SubAckPacket):
            if any(code.value >= _FIRST_FAILURE for code in packet.reason_codes):
                raise LinkLostError(f"the broker refused the subscription: {packet.reason_codes}")
        elif isinstance(packet, mqtt5.DisconnectPacket):
            raise LinkLostError(f"the broker disconnected: {packet.reason_code.name}")
        # Anything else (a dead letter's PUBACK) asks nothing of us.
        return True

    def send_connect(self, packet: mqtt5.ConnectPacket) -> None:
        """Open the session (`connect` then reads the CONNACK)."""
        self._send(packet.write())

    def subscribe(self, pattern: str, qos: int = 0) -> None:
        """Subscribe to `pattern` (QoS 0 or 1); a refusal raises LinkLostError once its SUBACK
        is read."""
        wanted = mqtt5.TopicFilter(pattern, max_qos=_QOS[qos])
        self._send(mqtt5.SubscribePacket(_SUBSCRIBE_ID, [wanted]).write())

    def publish(self, topic: str, payload: bytes, qos: int = 0) -> None:
        """Send a message at QoS 0 or 1 (sent once, its PUBACK not awaited)."""
        packet_id = None
        if qos:
            packet_id = self._next_id
            self._next_id = packet_id + 1 if packet_id < _LAST_PACKET_ID else _FIRST_PUBLISH_ID
        packet = mqtt5.PublishPacket(topic, payload, qos=_QOS[qos], packet_id=packet_id)
        self._send(packet.write())

    def keep_alive(self, now: float) -> None:
        """Ping when the link has been quiet a keepalive; LinkLostError when a ping went unanswered
        for as long."""
        if self._ping_sent is not None:
            if now - self._ping_sent >= self._keepalive_s:
                raise LinkLostError("no PINGRESP within the keepalive")
        elif now - self._last_sent >= self._keepalive_s:
            self._send(mqtt5.PingReqPacket().write())
            self._ping_sent = now

    def close(self) -> None:
        """Send DISCONNECT (if the socket takes it) and close the socket."""
        try:
            self._send(mqtt5.DisconnectPacket().write())
        except (OSError, LinkLostError):
            pass
        finally:
            self.socket.close()

    def _next_packet(self) -> mqtt5.Packet | None:
        """The next packet read ahead, if a whole one is there."""
        try:
            packet, size = mqtt5.read(self._view[self._at :])
        except IndexError:
            # Not enough bytes: a packet still arriving, unless a whole one is there and wrong.
            if self._whole_packet_at() is None:
                return None
            raise LinkLostError("a malformed packet from the broker") from None
        except ValueError as exc:
            raise LinkLostError(f"a malformed packet from the broker: {exc}") from exc
        self._at += size
        return packet

    def _whole_packet_at(self) -> int | None:
        """Where the first whole packet read ahead ends, if one is there."""
        buffer, at = self._buffer, self._at
        # The fixed header: a type byte, then the remaining length in 1 to 4 bytes of 7 bits.
        length, shift, i = 0, 0, at + 1
        while i < len(buffer) and i <= at + 4:
            byte = buffer[i]
            length |= (byte & 0x7F) << shift
            i += 1
            if not byte & 0x80:
                end = i + length
                return end if end <= len(buffer) else None
            shift += 7
        return None

    def _receive(self) -> bool:
        """One recv(): whether it brought bytes."""
        try:
            chunk = self.socket.recv(_READ_AHEAD_BYTES)
        except (BlockingIOError, ssl.SSLWantReadError):
            return False
        except OSError as exc:
            raise LinkLostError(f"the connection failed: {exc}") from exc
        if not chunk:
            raise LinkLostError("the broker closed the connection")
        self._buffer = self._buffer[self._at :] + chunk if self._at < len(self._buffer) else chunk
        self._view = memoryview(self._buffer)
        self._at = 0
        return True

    def _send(self, data: bytes) -> None:
        view = memoryview(data)
        deadline = time.monotonic() + self._timeout_s
        while view:
            try:
                view = view[self.socket.send(view) :]
            except (BlockingIOError, ssl.SSLWantWriteError, ssl.SSLWantReadError):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise LinkLostError("the broker took nothing within the timeout") from None
                select.select([], [self.socket], [], left)
            except OSError as exc:
                raise LinkLostError(f"the connection failed: {exc}") from exc
        self._last_sent = time.monotonic()


def connect(
    url: str,
    client_id: str,
    *,
    tls: TLSParameters | None = None,
    keepalive: int = 15,
    timeout_s: float = 10.0,
    still_wanted: Callable[[], bool] = lambda: True,
) -> AvlLink:
    """A connected link with a clean session; a login in the URL names the client (a broker
    with logins binds the id to it). An `mqtts://` URL needs `tls`. The wait for the CONNACK
    gives up after `timeout_s`, or as soon as `still_wanted()` is false."""
    address = BrokerAddress.from_url(url)
    client_id = address.username or client_id
    sock = socket.create_connection((address.host, address.port), timeout=timeout_s)
    try:
        for level, option, value in NO_DELAY:
            sock.setsockopt(level, option, value)
        if address.tls:
            context = _tls_context(tls or TLSParameters())
            sock = context.wrap_socket(sock, server_hostname=address.host)
        sock.setblocking(False)
        link = AvlLink(sock, keepalive, timeout_s)
        password = None if address.password is None else address.password.encode()
        link.send_connect(
            mqtt5.ConnectPacket(
                client_id, username=address.username, password=password, clean_start=True,
                keep_alive=keepalive,
            )
        )  # fmt: skip
        deadline = time.monotonic() + timeout_s
        while link.connack is None:
            if time.monotonic() > deadline or not still_wanted():
                raise BrokerConnectError(f"no CONNACK from {address.host}:{address.port}")
            if not link.has_buffered():
                select.select([sock], [], [], 0.05)
            link.read()
    except LinkLostError as exc:
        sock.close()
        raise BrokerConnectError(f"{address.host}:{address.port} closed the connection") from exc
    except BaseException:
        sock.close()
        raise
    if link.connack.reason_code != mqtt5.ConnAckReasonCode.SUCCESS:
        sock.close()
        raise BrokerConnectError(f"broker refused {client_id}: {link.connack.reason_code.name}")
    return link


def _tls_context(tls: TLSParameters) -> ssl.SSLContext:
    # The broker's certificate and name are checked, against its CA or the system's.
    context = ssl.create_default_context(cafile=tls.ca_certs)
    if tls.certfile is not None:
        context.load_cert_chain(tls.certfile, tls.keyfile)
    return context
