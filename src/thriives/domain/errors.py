"""Errors a rule raises when a request cannot be carried out, naming the field at fault."""

from __future__ import annotations


class DomainError(Exception):
    """A request broke a rule. ``field`` names the input at fault (dotted path), if any."""

    status = 422

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409


class Forbidden(DomainError):
    status = 403
