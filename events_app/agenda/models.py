"""The agenda of an event: rooms, tracks, speakers, sessions, and attendees' session picks.

Draft and published live side by side on one row. A session that was never
published has status ``draft`` and its own columns are its draft. Once
published, its columns are what the public, the feeds and the attendees see,
and an organiser's edits wait in ``pending`` (a JSON dict of changed fields,
``status: cancelled`` for a cancellation) until the next publish applies them.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.models import Model


class SessionKind(StrEnum):
    PLENARY = "plenary"
    WORKSHOP = "workshop"
    SITE_VISIT = "site_visit"
    NETWORKING = "networking"
    BREAK = "break"
    WEBINAR = "webinar"


class SessionStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


class PickStatus(StrEnum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


# Kinds that attendees sign up for from their manage link (the others are for everyone).
PICKABLE_KINDS = frozenset({SessionKind.WORKSHOP, SessionKind.SITE_VISIT, SessionKind.WEBINAR})

# Fields an organiser edits; for a published session their new values wait in ``pending``.
EDITABLE_FIELDS = (
    "title", "description", "kind", "starts_at", "ends_at", "room_id", "track_id",
    "capacity", "online_url", "speaker_ids",
)


class Room(Model):
    """A room of the event's venue, with its number of seats."""

    id = fields.IntField(primary_key=True)
    event = fields.ForeignKeyField("models.Event", related_name="rooms", on_delete=fields.CASCADE)
    name = fields.CharField(max_length=120)
    seats = fields.IntField()
    position = fields.IntField(default=0)  # column order in the grids

    class Meta:
        table = "agenda_room"
        unique_together = (("event", "name"),)
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class Track(Model):
    """A thread through the agenda (for example Food or Clean vehicles), shown by its colour."""

    id = fields.IntField(primary_key=True)
    event = fields.ForeignKeyField("models.Event", related_name="tracks", on_delete=fields.CASCADE)
    name = fields.CharField(max_length=80)
    colour = fields.CharField(max_length=7)  # #rrggbb
    position = fields.IntField(default=0)

    class Meta:
        table = "agenda_track"
        unique_together = (("event", "name"),)
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class Speaker(Model):
    """A person who speaks at the event (their details as they appear on the agenda)."""

    id = fields.IntField(primary_key=True)
    event = fields.ForeignKeyField("models.Event", related_name="speakers", on_delete=fields.CASCADE)
    name = fields.CharField(max_length=120)
    organisation = fields.CharField(max_length=200, default="")
    country = fields.CharField(max_length=2, default="")
    bio = fields.TextField(default="")
    photo_url = fields.CharField(max_length=500, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "agenda_speaker"
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class AgendaSession(Model):
    """One slot of the agenda. See the module docstring for draft and published values."""

    id = fields.IntField(primary_key=True)
    uid = fields.UUIDField(unique=True)  # stable calendar UID part, never reused
    event = fields.ForeignKeyField("models.Event", related_name="sessions", on_delete=fields.CASCADE)
    title = fields.CharField(max_length=200)
    description = fields.TextField(default="")
    kind = fields.CharEnumField(SessionKind, max_length=20)
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    room = fields.ForeignKeyField("models.Room", related_name="sessions", null=True, on_delete=fields.SET_NULL)
    track = fields.ForeignKeyField("models.Track", related_name="sessions", null=True, on_delete=fields.SET_NULL)
    capacity = fields.IntField(null=True)
    online_url = fields.CharField(max_length=500, default="")
    # Speaker ids in the order shown (a small list, read with the session in one query).
    speaker_ids = fields.JSONField(default=list)
    status = fields.CharEnumField(SessionStatus, max_length=20, default=SessionStatus.DRAFT)
    pending: Any = fields.JSONField(null=True)  # unpublished edits of a published session
    # The organiser stored it although it clashed (allow_conflicts): kept for the record.
    conflicts_allowed = fields.BooleanField(default=False)
    ical_sequence = fields.IntField(default=0)  # grows with every published change
    published_at = fields.DatetimeField(null=True)
    # Seat counters, kept under the session row lock (see agenda/picks.py).
    confirmed_count = fields.IntField(default=0)
    waitlisted_count = fields.IntField(default=0)
    waitlist_last_seq = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "agenda_session"
        ordering = ["starts_at", "id"]
        indexes = (("event_id", "starts_at"),)

    @property
    def is_public(self) -> bool:
        return self.status != SessionStatus.DRAFT

    @property
    def pickable(self) -> bool:
        return self.kind in PICKABLE_KINDS or self.capacity is not None

    def __str__(self) -> str:
        return self.title


class SessionPick(Model):
    """An attendee's place (or waitlist entry) in one session."""

    id = fields.IntField(primary_key=True)
    session = fields.ForeignKeyField("models.AgendaSession", related_name="picks", on_delete=fields.CASCADE)
    registration = fields.ForeignKeyField("models.Registration", related_name="picks", on_delete=fields.CASCADE)
    status = fields.CharEnumField(PickStatus, max_length=20)
    waitlist_seq = fields.IntField(null=True)  # FIFO order, assigned under the session lock
    ical_sequence = fields.IntField(default=0)  # grows when this pick is dropped or comes back
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "agenda_pick"
        unique_together = (("session", "registration"),)
        indexes = (("session_id", "status", "waitlist_seq"),)


class AgendaPublication(Model):
    """One press of "Publish": what changed, as reported to the organiser."""

    id = fields.IntField(primary_key=True)
    event = fields.ForeignKeyField("models.Event", related_name="agenda_publications", on_delete=fields.CASCADE)
    summary = fields.JSONField()
    published_at = fields.DatetimeField()
    published_by = fields.CharField(max_length=254, default="")

    class Meta:
        table = "agenda_publication"
        ordering = ["-published_at", "-id"]
