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
    """A server the service depends on (Redis, the broker) does not answer."""


class MqttUnavailableError(UnavailableError):
    """The broker could not be reached or did not accept a publish in time."""


class AuthenticationError(CadError):
    """The request carries no valid bearer token (missing, expired, badly signed)."""


class ForbiddenError(CadError):
    """The token is valid but its roles do not include one the endpoint allows."""


class RateLimitedError(CadError):
    """The client has used up its request allowance; it may try again after `retry_after_s`."""

    def __init__(self, message: str, *, retry_after_s: float) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
