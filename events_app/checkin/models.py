"""Check-in at the door: one row per person let in, and a log of every scan and undo.

The unique registration column of :class:`CheckIn` decides races: of two desks scanning the
same ticket at once, exactly one insert wins (``checked_in``); the other reads the winner's row
(``already_checked_in``, with its time and desk).
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class CheckInSource(StrEnum):
    SCAN = "scan"  # a QR code read at a desk (camera or handheld scanner)
    SEARCH = "search"  # found by name or email and let in by hand
    API = "api"
    OFFLINE = "offline"  # uploaded later from a laptop that worked without the server


class CheckIn(Model):
    """A person checked in at an event (deleted again when an organiser undoes it)."""

    id = fields.IntField(primary_key=True)
    event = fields.ForeignKeyField("models.Event", related_name="checkins", on_delete=fields.CASCADE)
    registration = fields.OneToOneField("models.Registration", related_name="checkin", on_delete=fields.CASCADE)
    checked_in_at = fields.DatetimeField()
    desk = fields.CharField(max_length=60, default="")
    source = fields.CharEnumField(CheckInSource, max_length=16)
    user = fields.ForeignKeyField("models.User", related_name="checkins", null=True, on_delete=fields.SET_NULL)

    class Meta:
        table = "checkin"
        indexes = (("event_id", "checked_in_at"),)


class CheckInAction(StrEnum):
    CHECKED_IN = "checked_in"
    ALREADY = "already_checked_in"
    REFUSED = "refused"
    UNDONE = "undone"


class CheckInLog(Model):
    """Every answer given at the door. ``nonce``: an offline scan's own id, so an upload counts once."""

    id = fields.IntField(primary_key=True)
    event = fields.ForeignKeyField("models.Event", related_name="checkin_log", on_delete=fields.CASCADE)
    registration = fields.ForeignKeyField("models.Registration", related_name="checkin_log", null=True,
                                          on_delete=fields.SET_NULL)
    action = fields.CharEnumField(CheckInAction, max_length=24)
    reason = fields.CharField(max_length=40, default="")
    desk = fields.CharField(max_length=60, default="")
    source = fields.CharEnumField(CheckInSource, max_length=16)
    user = fields.ForeignKeyField("models.User", related_name="checkin_log", null=True, on_delete=fields.SET_NULL)
    nonce = fields.CharField(max_length=64, null=True, unique=True)
    at = fields.DatetimeField()

    class Meta:
        table = "checkin_log"
        indexes = (("event_id", "at"),)
