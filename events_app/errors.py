"""Domain errors raised by services; routes turn them into 4xx pages or JSON."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(
        self, message: str, *, fields: dict[str, str] | None = None, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        self.details = details or {}  # more keys of the JSON error object (e.g. "conflicts")


class MalformedJson(ServiceError):
    """A JSON request body that does not parse, or is not a JSON object."""

    status_code = 400
    code = "invalid_json"


class NotFound(ServiceError):
    status_code = 404
    code = "not_found"


class Invalid(ServiceError):
    """Input failed validation; ``fields`` maps each bad field to a message."""

    status_code = 422
    code = "validation_error"


class Conflict(ServiceError):
    status_code = 409
    code = "conflict"


class RegistrationClosed(ServiceError):
    status_code = 409
    code = "registration_closed"


class Forbidden(ServiceError):
    status_code = 403
    code = "forbidden"


class Unauthorized(ServiceError):
    status_code = 401
    code = "unauthorized"


class RateLimited(ServiceError):
    status_code = 429
    code = "rate_limited"


class PayloadTooLarge(ServiceError):
    status_code = 413
    code = "payload_too_large"


class UnsupportedMediaType(ServiceError):
    status_code = 415
    code = "unsupported_media_type"


class AgendaConflict(Conflict):
    """A session clashes with another (room, speaker) or with the event (dates, room seats).

    ``details["conflicts"]`` lists each clash with the other session it involves.
    """

    code = "agenda_conflict"


class SessionFull(Conflict):
    code = "session_full"


class SessionOverlap(Conflict):
    code = "session_overlap"
