"""Registrations of people for events, and their private manage links."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class RegistrationStatus(StrEnum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


class BadgeRole(StrEnum):
    PARTICIPANT = "participant"
    SPEAKER = "speaker"
    ORGANISER = "organiser"
    STAFF = "staff"
    PRESS = "press"


class Registration(Model):
    """The place (or waitlist entry) at one event.

    The details of the person are kept on the registration, as they gave them for
    this event; the organisation is shared by everyone who works there.
    """

    id = fields.IntField(primary_key=True)
    uid = fields.UUIDField(unique=True)  # stable calendar UID part, never reused
    event = fields.ForeignKeyField("models.Event", related_name="registrations", on_delete=fields.RESTRICT)
    organisation = fields.ForeignKeyField(
        "models.Organisation", related_name="registrations", on_delete=fields.RESTRICT
    )
    name = fields.CharField(max_length=120)
    email = fields.CharField(max_length=254)
    email_key = fields.CharField(max_length=254)  # casefolded, for "same person again"
    job_title = fields.CharField(max_length=120, default="")
    status = fields.CharEnumField(RegistrationStatus, max_length=20)
    # FIFO order of the waitlist: assigned under the event lock, never reused.
    waitlist_seq = fields.IntField(null=True)
    consent_version = fields.CharField(max_length=32)
    consent_at = fields.DatetimeField()
    ical_sequence = fields.IntField(default=0)
    # Part of the personal calendar feed URL: revoking the URL bumps it (see agenda/feeds.py).
    feed_generation = fields.IntField(default=0, db_default=0)
    # The ticket's QR secret (random, see badges/tickets.py): given on first use, replaced on
    # re-issue, dead once the registration is cancelled.
    ticket_secret = fields.CharField(max_length=64, null=True, unique=True)
    badge_role = fields.CharEnumField(BadgeRole, max_length=16, default=BadgeRole.PARTICIPANT,
                                      db_default="participant")
    badge_printed_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    confirmed_at = fields.DatetimeField(null=True)
    cancelled_at = fields.DatetimeField(null=True)

    class Meta:
        table = "registration"
        unique_together = (("event", "email_key"),)
        indexes = (("event_id", "status"), ("event_id", "waitlist_seq"))

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class ManageLink(Model):
    """A private link to manage one registration: only the SHA-256 of the token is stored.

    A registration can have several live links (one per email that carried a link).
    """

    id = fields.IntField(primary_key=True)
    registration = fields.ForeignKeyField(
        "models.Registration", related_name="manage_links", on_delete=fields.CASCADE
    )
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "manage_link"
