"""Which login, and so which client id, each of the service's MQTT connections uses.

A broker that demands logins binds each connection's client id to its username
(transport/broker_security.py), so the id a client sends is its username: one login is one
connection at a time. On a broker without logins, the same names serve as the client ids.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from urllib.parse import urlsplit

from cad.settings import Settings
from transport.broker_security import (
    GENERATOR_USER,
    avl_worker_login,
    numbered_login,
    url_with_login,
)


@dataclass(frozen=True)
class MqttLogin:
    """A broker URL carrying one login, and the client id that goes with it."""

    url: str
    client_id: str


def own_login(url: str, fallback_id: str) -> MqttLogin:
    """The URL's own login, identified by its username (`fallback_id` without a login)."""
    return MqttLogin(url, urlsplit(url).username or fallback_id)


def login_as(url: str, username: str) -> MqttLogin:
    """The broker of `url` logged in as `username`, with the URL's password."""
    if urlsplit(url).username is None:
        return MqttLogin(url, username)
    return MqttLogin(url_with_login(url, username), username)


def replica_login(settings: Settings) -> MqttLogin:
    """This replica's own connection: it publishes taskings, replies and dead letters."""
    return own_login(settings.mqtt_url, settings.mqtt_client_id)


def intake_login(settings: Settings) -> MqttLogin:
    """The call intake's persistent session, held by one replica at a time (mqtt_intake.py)."""
    return login_as(settings.mqtt_url, settings.mqtt_intake_login)


def avl_login(settings: Settings, index: int) -> MqttLogin:
    """AVL worker `index` of this replica (dispatch/avl_worker.py)."""
    return login_as(settings.mqtt_url, avl_worker_login(replica_login(settings).client_id, index))


def generator_login(url: str, n: int) -> MqttLogin:
    """Connection `n` of a load generator or test harness whose URL names its family's login."""
    return login_as(url, numbered_login(urlsplit(url).username or GENERATOR_USER, n))


class GeneratorLogins:
    """Hands each new connection of a load generator (or test harness) a login of its own,
    cycling through the `count` logins of its family that the broker knows."""

    def __init__(self, url: str, count: int) -> None:
        self._url = url
        self._numbers = itertools.cycle(range(count))

    def next(self) -> MqttLogin:
        """The login for the next connection."""
        return generator_login(self._url, next(self._numbers))
