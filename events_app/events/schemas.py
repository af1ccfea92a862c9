"""Input schemas for events (API and organiser forms share them)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Self

from pydantic import Field, model_validator

from events_app.events.models import EventKind, EventStatus
from events_app.validation import Input, Line, Moment, Slug, Text, TimeZone


class EventInput(Input):
    slug: Annotated[Slug, Field(min_length=3, max_length=80)]
    title: Annotated[Line, Field(min_length=1, max_length=200)]
    kind: EventKind
    description: Annotated[Text, Field(max_length=20000)] = ""
    timezone: TimeZone
    starts_at: Moment
    ends_at: Moment
    is_online: bool = False
    venue_name: Annotated[Line, Field(max_length=200)] = ""
    venue_address: Annotated[Line, Field(max_length=500)] = ""
    online_url: Annotated[Line, Field(max_length=500)] = ""
    capacity: Annotated[int, Field(ge=0, le=100_000)]
    registration_opens_at: Moment | None = None
    registration_closes_at: Moment | None = None
    status: EventStatus = EventStatus.DRAFT

    @model_validator(mode="after")
    def _check_consistency(self) -> Self:
        problems: dict[str, str] = {}
        if self.ends_at <= self.starts_at:
            problems["ends_at"] = "must be after the start"
        if self.is_online and self.online_url and not self.online_url.startswith("https://"):
            problems["online_url"] = "must start with https://"
        if not self.is_online and not (self.venue_name or self.venue_address):
            problems["venue_address"] = "give a venue, or mark the event as online"
        opens, closes = self.registration_opens_at, self.registration_closes_at
        if opens and closes and closes <= opens:
            problems["registration_closes_at"] = "must be after registration opens"
        if closes and closes > self.ends_at:
            problems["registration_closes_at"] = "must not be after the event ends"
        if problems:
            # pydantic reports a model-level error; the first problem names its field
            field, message = next(iter(problems.items()))
            raise ValueError(f"{field}: {message}")
        return self


class EventPatch(Input):
    """Every field optional; the merged result is validated as a whole :class:`EventInput`."""

    slug: Annotated[Slug, Field(min_length=3, max_length=80)] | None = None
    title: Annotated[Line, Field(min_length=1, max_length=200)] | None = None
    kind: EventKind | None = None
    description: Annotated[Text, Field(max_length=20000)] | None = None
    timezone: TimeZone | None = None
    starts_at: Moment | None = None
    ends_at: Moment | None = None
    is_online: bool | None = None
    venue_name: Annotated[Line, Field(max_length=200)] | None = None
    venue_address: Annotated[Line, Field(max_length=500)] | None = None
    online_url: Annotated[Line, Field(max_length=500)] | None = None
    capacity: Annotated[int, Field(ge=0, le=100_000)] | None = None
    registration_opens_at: Moment | None = None
    registration_closes_at: Moment | None = None
    status: EventStatus | None = None


EVENT_FIELDS = tuple(EventInput.model_fields)


def as_naive_local(value: datetime | None, zone: str) -> str:
    """Format an aware datetime for an HTML ``datetime-local`` input in the event's zone."""
    from zoneinfo import ZoneInfo

    if value is None:
        return ""
    return value.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")
