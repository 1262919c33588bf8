"""The service's error hierarchy: one base class; HTTP status codes are assigned in one place only
(the API's exception handlers)."""

from __future__ import annotations


class CadError(Exception):
    """Base of every error the service raises on purpose."""


class NotFoundError(CadError):
    """The thing named does not exist."""


class ConflictError(CadError):
    """The request contradicts the current state (an illegal transition, a unit already taken)."""


class UnavailableError(CadError):
    """A server the service depends on does not answer; `dependency` names it."""

    def __init__(self, message: str, *, dependency: str) -> None:
        super().__init__(message)
        self.dependency = dependency


class UnreadableRecordError(ConflictError):
    """A stored record (an incident hash, a unit's registry entry) does not parse: a list leaves
    it out; asked for by name, it must be repaired before anything can show it or act on it."""

    def __init__(self, kind: str, area: str, name: str, reason: str) -> None:
        field = "ref" if kind == "incident" else "callsign"
        super().__init__(
            f"{field}: the stored {kind} {name!r} does not parse ({reason}); "
            "it must be repaired before it can be shown or acted on"
        )
        self.kind, self.area, self.name, self.reason = kind, area, name, reason


class MqttUnavailableError(UnavailableError):
    """The broker could not be reached or did not accept a publish in time."""

    def __init__(self, message: str) -> None:
        super().__init__(message, dependency="mqtt")


class BrokerConnectError(MqttUnavailableError):
    """The broker refused or did not answer a connection in time."""


class LinkLostError(MqttUnavailableError):
    """An MQTT connection closed, timed out or carried a packet that is not MQTT."""


class AuthenticationError(CadError):
    """The request carries no valid bearer token (missing, expired, badly signed)."""


class ForbiddenError(CadError):
    """The token is valid but its roles do not include one the endpoint allows."""


class RateLimitedError(CadError):
    """The client has used up its request allowance; it may try again after `retry_after_s`."""

    def __init__(self, message: str, *, retry_after_s: float) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
