"""The broker tier: independent brokers (mosquitto), the service on every one, the edges on one.

With `CAD_MQTT_BROKERS` set, the service keeps a link to each broker: it receives on all of them
(the call intake is idempotent by call id, so a call that came twice changes nothing the second
time) and publishes each message on every broker it is connected to, so an MDT gets its tasking
on whichever broker it is on. MDTs and gateways hold the list and fail over to the next broker
when theirs goes (`BrokerRotation`). Losing one broker therefore loses no call a gateway had
accepted and delivered, and a tasking it held for an MDT is sent again (dispatch/tasking_resend.py).
Measured against a clustered NATS and RabbitMQ in docs/reliability.md, "Broker tier".
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from urllib.parse import urlsplit, urlunsplit

from cad.errors import MqttUnavailableError
from cad.settings import Settings, broker_addresses
from transport.mqtt import MqttLink, Route
from transport.mqtt_logins import MqttLogin


def broker_urls(url: str, brokers: str) -> list[str]:
    """`url` (its scheme and login) on each broker of `brokers` (`host:port,...`); `url` alone
    when `brokers` is empty."""
    addresses = broker_addresses(brokers)
    if not addresses:
        return [url]
    parts = urlsplit(url)
    login = parts.netloc.rpartition("@")[0]
    prefix = f"{login}@" if "@" in parts.netloc else ""
    return [
        urlunsplit(parts._replace(netloc=f"{prefix}{_host(host)}:{port}"))
        for host, port in addresses
    ]


def _host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def tier_logins(settings: Settings, login: MqttLogin) -> list[MqttLogin]:
    """`login` on each broker of the configured tier (the same client id on every one)."""
    urls = broker_urls(login.url, settings.mqtt_brokers)
    return [MqttLogin(url, login.client_id) for url in urls]


class BrokerRotation:
    """An edge client's brokers, in order: it stays on one while it works, and moves to the
    next when a connection to it fails (an MDT, a gateway, an AVL worker)."""

    def __init__(self, urls: Sequence[str], start: int = 0) -> None:
        if not urls:
            raise ValueError("brokers: at least one")
        self._urls = tuple(urls)
        self._index = start % len(self._urls)

    @property
    def current(self) -> str:
        """The broker to connect to now."""
        return self._urls[self._index]

    def failed(self) -> None:
        """The current broker failed: the next is tried (the first again after the last)."""
        self._index = (self._index + 1) % len(self._urls)


class TierLink:
    """One `MqttLink` per broker of the tier under one login, used as one link: it publishes
    on every broker connected and receives on all of them."""

    def __init__(
        self,
        settings: Settings,
        login: MqttLogin,
        routes: list[Route],
        *,
        persistent: bool = False,
    ) -> None:
        self._settings = settings
        self.links = [
            MqttLink(settings, each, routes, persistent=persistent)
            for each in tier_logins(settings, login)
        ]

    @property
    def connected(self) -> bool:
        """Whether the link is up on at least one broker."""
        return any(link.connected for link in self.links)

    async def publish(self, topic: str, payload: bytes, *, qos: int = 1) -> None:
        """Publish on every broker connected (waiting, as `MqttLink.publish` does, for one to
        come up if none is): done once one broker took it, MqttUnavailableError if none did."""
        up = [link for link in self.links if link.connected] or self.links
        if len(up) == 1:
            # One broker (the usual set-up) or one up: its own outcome, without a task for it.
            await up[0].publish(topic, payload, qos=qos)
            return
        results = await asyncio.gather(
            *(link.publish(topic, payload, qos=qos) for link in up), return_exceptions=True
        )
        errors = [r for r in results if isinstance(r, BaseException)]
        if len(errors) < len(results):
            return
        for error in errors:
            if not isinstance(error, Exception):
                raise error  # a cancellation goes on as it came
        if len(errors) == 1:
            raise errors[0]
        raise MqttUnavailableError(
            f"publish to {topic} failed on every broker: {'; '.join(map(str, errors))}"
        )

    def stop_receiving(self) -> None:
        """Stop handing messages to the routes on every broker; the connections stay up."""
        for link in self.links:
            link.stop_receiving()

    def close(self) -> None:
        """Let `run` disconnect from every broker and return."""
        for link in self.links:
            link.close()

    async def run(self) -> None:
        """Run every broker's link until closed; a link that fails ends the rest too (the
        supervisor runs the tier again)."""
        if len(self.links) == 1:
            # One broker: its link alone, so that its failures reach the supervisor as they are.
            await self.links[0].run()
            return
        async with asyncio.TaskGroup() as group:
            for n, link in enumerate(self.links):
                group.create_task(link.run(), name=f"mqtt-link-{n}")
