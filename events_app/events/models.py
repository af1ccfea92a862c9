"""An event that people register for."""

from __future__ import annotations

from enum import StrEnum
from zoneinfo import ZoneInfo

from tortoise import fields
from tortoise.models import Model


class EventKind(StrEnum):
    CONFERENCE = "conference"
    SEMINAR = "seminar"
    WEBINAR = "webinar"
    STUDY_VISIT = "study_visit"
    MEETING = "meeting"


DEFAULT_REMINDER_MINUTES = (1440, 60)


class EventStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


class Event(Model):
    """Times are stored in UTC and shown in ``timezone`` (an IANA name)."""

    id = fields.IntField(primary_key=True)
    slug = fields.CharField(max_length=80, unique=True)
    title = fields.CharField(max_length=200)
    kind = fields.CharEnumField(EventKind, max_length=20)
    description = fields.TextField(default="")
    timezone = fields.CharField(max_length=64)
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    is_online = fields.BooleanField(default=False)
    venue_name = fields.CharField(max_length=200, default="")
    venue_address = fields.CharField(max_length=500, default="")
    online_url = fields.CharField(max_length=500, default="")
    capacity = fields.IntField()
    registration_opens_at = fields.DatetimeField(null=True)
    registration_closes_at = fields.DatetimeField(null=True)
    status = fields.CharEnumField(EventStatus, max_length=20, default=EventStatus.DRAFT)
    # Bumped on every change that attendees' calendar entries must follow.
    ical_sequence = fields.IntField(default=0)
    # The seat counter row (see registration/locking.py): confirmed seats and the last
    # waitlist number given out. A new registration claims a seat with one conditional
    # UPDATE of these; every other seat change recounts them under the row lock.
    confirmed_count = fields.IntField(default=0, db_default=0)
    waitlist_last_seq = fields.IntField(default=0, db_default=0)
    waitlisted_count = fields.IntField(default=0, db_default=0)
    last_claim = fields.CharField(max_length=20, default="", db_default="")
    # Reminder emails for online events and sessions: minutes before the start
    # (None: the default, 24 hours and 1 hour; an empty list: no reminders).
    reminder_minutes: list[int] | None = fields.JSONField(null=True)  # type: ignore[assignment]
    recording_url = fields.CharField(max_length=500, default="", db_default="")
    # Grows with every agenda publish and every public agenda detail change (cache key).
    agenda_version = fields.IntField(default=0, db_default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "event"
        ordering = ["starts_at", "id"]

    @property
    def reminder_offsets(self) -> list[int]:
        return list(DEFAULT_REMINDER_MINUTES if self.reminder_minutes is None else self.reminder_minutes)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def local_start(self):  # type: ignore[no-untyped-def]
        return self.starts_at.astimezone(self.zone)

    @property
    def local_end(self):  # type: ignore[no-untyped-def]
        return self.ends_at.astimezone(self.zone)

    def __str__(self) -> str:
        return self.title
