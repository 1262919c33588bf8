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
