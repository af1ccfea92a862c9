"""Check-in input (API and offline files) and output models.

The output models are what the API serialises through, so their JSON Schema in the
OpenAPI document (events_app/api/openapi_checkin.py) cannot drift from the answers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from events_app.registration.models import BadgeRole, RegistrationStatus
from events_app.validation import Input, Line, Moment, Slug

LIST_FORMAT = "events-app-checkin-list/1"
SCANS_FORMAT = "events-app-checkin-scans/1"
MAX_SCANS = 20_000
MAX_CODE_CHARS = 200  # longer than any code of ours with a scanner's spaces: refused as a field
NONCE_PATTERN = r"^[A-Za-z0-9_-]{8,64}$"

EventSlug = Annotated[Slug, Field(max_length=80)]
RegistrationId = Annotated[int, Field(ge=1, le=2**31 - 1)]
Desk = Annotated[Line, Field(max_length=60, description="Which desk or door scanned, e.g. 'Main entrance 2'")]
Code = Annotated[str, Field(min_length=1, max_length=MAX_CODE_CHARS, description="What the QR code holds")]


class CheckInInput(Input):
    """A scan at a desk: the event, the code as read, the desk's name."""

    event: EventSlug
    code: Code
    desk: Desk = ""


class UndoInput(Input):
    event: EventSlug
    registration: RegistrationId


class OfflineScan(Input):
    """One scan made offline: exactly one of ``code``, ``code_sha256`` or ``registration``."""

    nonce: Annotated[str, Field(pattern=NONCE_PATTERN, description="The scan's own id: 8-64 of A-Z a-z 0-9 _ -")]
    code: Code | None = None
    code_sha256: Annotated[str, Field(pattern=r"^[0-9a-fA-F]{64}$", description="SHA-256 (hex) of the code")] | None = None
    registration: RegistrationId | None = None
    scanned_at: Annotated[Moment, Field(description="When it was scanned, ISO 8601 with an offset")]

    @model_validator(mode="after")
    def _one_key(self) -> OfflineScan:
        given = [self.code is not None, self.code_sha256 is not None, self.registration is not None]
        if sum(given) != 1:
            raise ValueError("give exactly one of code, code_sha256 or registration")
        if self.code_sha256 is not None:
            self.code_sha256 = self.code_sha256.lower()
        return self


class OfflineScansInput(Input):
    """A file of scans made on a laptop without the server."""

    format: Literal["events-app-checkin-scans/1"]
    event: EventSlug
    desk: Desk = "offline"
    scans: Annotated[list[OfflineScan], Field(description=f"At most {MAX_SCANS:,} scans")]

    @field_validator("scans")
    @classmethod
    def _not_too_many(cls, value: list[OfflineScan]) -> list[OfflineScan]:
        # checked after the items (a "before" check would turn the JSON into Python first, and strict
        # Python wants datetime objects, not ISO strings)
        if len(value) > MAX_SCANS:
            raise ValueError(f"must hold at most {MAX_SCANS:,} scans (this file has {len(value):,}); split it")
        return value


# --- output ----------------------------------------------------------------------------------


class Output(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CheckInPersonOut(Output):
    """Who a ticket belongs to, as the door needs it."""

    id: int
    name: str
    organisation: str
    country: str = Field(description="ISO 3166-1 alpha-2 code")
    badge_role: BadgeRole
    status: RegistrationStatus


class CheckInOut(Output):
    status: Literal["checked_in", "already_checked_in"]
    registration: CheckInPersonOut
    checked_in_at: datetime = Field(description="When the person was checked in (the first time), event's zone")
    desk: str = Field(description="Where the person was checked in (the first time)")


class UndoOut(Output):
    status: Literal["undone"]
    registration: CheckInPersonOut


class CheckInHourOut(Output):
    hour: str = Field(description="Local hour in the event's zone, e.g. 09:00")
    count: int


class CheckInStatsOut(Output):
    event: str
    checked_in: int
    expected: int = Field(description="Confirmed registrations")
    percent: int
    per_hour: list[CheckInHourOut] = Field(description="Check-ins per hour, the last 12 hours")


class OfflineEventOut(Output):
    slug: str
    title: str
    timezone: str


class OfflineEntryOut(Output):
    code_sha256: str = Field(description="SHA-256 (hex) of the ticket code: the code itself is never listed")
    registration: int
    name: str
    organisation: str
    country: str
    badge_role: BadgeRole
    status: RegistrationStatus = Field(description="confirmed, or cancelled (refuse at the door)")
    checked_in_at: datetime | None


class OfflineListOut(Output):
    format: Literal["events-app-checkin-list/1"]
    event: OfflineEventOut
    generated_at: datetime
    entries: list[OfflineEntryOut]


class OfflineAlreadyOut(Output):
    """A scan of someone who had been checked in already (online or by another upload)."""

    nonce: str
    registration: int
    name: str
    checked_in_at: datetime
    desk: str


class OfflineRefusedOut(Output):
    nonce: str
    reason: str = Field(description="ticket_not_valid, ticket_cancelled, wrong_event, not_confirmed or not_found")
    registration: int | None
    name: str | None


class OfflineMergeOut(Output):
    applied: int = Field(description="Scans that checked someone in")
    duplicates: int = Field(description="Scans whose nonce was seen before: nothing changed")
    already: list[OfflineAlreadyOut]
    refused: list[OfflineRefusedOut]


def person_out(registration: Any) -> CheckInPersonOut:
    """``registration`` with its organisation fetched."""
    organisation = registration.organisation
    return CheckInPersonOut(
        id=registration.id, name=registration.name, organisation=organisation.name, country=organisation.country,
        badge_role=registration.badge_role, status=registration.status,
    )
