"""Input schemas for the agenda (API and the organiser's builder share them)."""

from __future__ import annotations

import re
from typing import Annotated, Self

from pydantic import Field, field_validator, model_validator

from events_app.agenda.models import SessionKind
from events_app.validation import Input, Line, Moment, Text

Colour = Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$")]
MAX_SPEAKERS_PER_SESSION = 30


def _https_or_empty(value: str) -> str:
    if value and not re.match(r"^https://[^\s/]+", value):
        raise ValueError("must start with https://")
    return value


class RoomInput(Input):
    name: Annotated[Line, Field(min_length=1, max_length=120)]
    seats: Annotated[int, Field(ge=1, le=100_000)]


class RoomPatch(Input):
    name: Annotated[Line, Field(min_length=1, max_length=120)] | None = None
    seats: Annotated[int, Field(ge=1, le=100_000)] | None = None
    # Fewer seats than a session's capacity is refused (409) unless this is true.
    allow_conflicts: bool = False


class SpeakerInput(Input):
    name: Annotated[Line, Field(min_length=1, max_length=120)]
    organisation: Annotated[Line, Field(max_length=200)] = ""
    country: Annotated[Line, Field(max_length=2)] = ""
    bio: Annotated[Text, Field(max_length=5000)] = ""
    photo_url: Annotated[Line, Field(max_length=500)] = ""

    @field_validator("country")
    @classmethod
    def _country(cls, value: str) -> str:
        from events_app.validation import country_names

        value = value.upper()
        if value and value not in country_names():
            raise ValueError("must be a two-letter country code such as BE, DE or FR")
        return value

    @field_validator("photo_url")
    @classmethod
    def _photo(cls, value: str) -> str:
        return _https_or_empty(value)


class SessionInput(Input):
    """A new session. ``room`` is a room id or name of this event; ``track`` a track name
    (created with ``track_colour``, or the next colour of the palette, when new)."""

    title: Annotated[Line, Field(min_length=1, max_length=200)]
    kind: SessionKind
    description: Annotated[Text, Field(max_length=20000)] = ""
    starts_at: Moment
    ends_at: Moment
    room: Annotated[int, Field(ge=1, le=2**31 - 1)] | Annotated[Line, Field(min_length=1, max_length=120)] | None = None
    track: Annotated[Line, Field(min_length=1, max_length=80)] | None = None
    track_colour: Colour | None = None
    capacity: Annotated[int, Field(ge=1, le=100_000)] | None = None
    speakers: Annotated[list[Annotated[int, Field(ge=1, le=2**31 - 1)]], Field(max_length=MAX_SPEAKERS_PER_SESSION)] = []
    online_url: Annotated[Line, Field(max_length=500)] = ""
    allow_conflicts: bool = False

    @field_validator("online_url")
    @classmethod
    def _online(cls, value: str) -> str:
        return _https_or_empty(value)

    @model_validator(mode="after")
    def _check_times(self) -> Self:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at: must be after the start")
        if (self.ends_at - self.starts_at).total_seconds() > 24 * 3600:
            raise ValueError("ends_at: a session lasts at most 24 hours")
        if len(set(self.speakers)) != len(self.speakers):
            raise ValueError("speakers: lists a speaker twice")
        return self


class SessionPatch(Input):
    """Fields to change; ``null`` clears room, track or capacity. Unsent fields stay."""

    title: Annotated[Line, Field(min_length=1, max_length=200)] | None = None
    kind: SessionKind | None = None
    description: Annotated[Text, Field(max_length=20000)] | None = None
    starts_at: Moment | None = None
    ends_at: Moment | None = None
    room: Annotated[int, Field(ge=1, le=2**31 - 1)] | Annotated[Line, Field(min_length=1, max_length=120)] | None = None
    track: Annotated[Line, Field(min_length=1, max_length=80)] | None = None
    track_colour: Colour | None = None
    capacity: Annotated[int, Field(ge=1, le=100_000)] | None = None
    speakers: Annotated[list[Annotated[int, Field(ge=1, le=2**31 - 1)]], Field(max_length=MAX_SPEAKERS_PER_SESSION)] | None = None
    online_url: Annotated[Line, Field(max_length=500)] | None = None
    allow_conflicts: bool = False

    @field_validator("online_url")
    @classmethod
    def _online(cls, value: str | None) -> str | None:
        return None if value is None else _https_or_empty(value)

    @model_validator(mode="after")
    def _check(self) -> Self:
        for name in ("title", "kind", "description", "starts_at", "ends_at", "speakers", "online_url"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name}: must not be null")
        if self.speakers is not None and len(set(self.speakers)) != len(self.speakers):
            raise ValueError("speakers: lists a speaker twice")
        return self


class PicksInput(Input):
    """The complete set of sessions the attendee wants (all-or-nothing)."""

    session_ids: Annotated[list[Annotated[int, Field(ge=1, le=2**31 - 1)]], Field(max_length=100)]
    # A full session puts the person on its waitlist; false refuses with 409 instead.
    waitlist: bool = True

    @model_validator(mode="after")
    def _unique(self) -> Self:
        if len(set(self.session_ids)) != len(self.session_ids):
            raise ValueError("session_ids: lists a session twice")
        return self
