"""Badge settings per event and background badge-PDF jobs."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class BadgeSettings(Model):
    """How an event's badges look: colours, logo and which fields show."""

    id = fields.IntField(primary_key=True)
    event = fields.OneToOneField("models.Event", related_name="badge_settings", on_delete=fields.CASCADE)
    accent_colour = fields.CharField(max_length=7, default="#2f6b4f")
    text_colour = fields.CharField(max_length=7, default="#1d2a24")
    ribbon_colours = fields.JSONField(default=dict)  # role -> "#rrggbb" (missing: the defaults)
    show_organisation = fields.BooleanField(default=True)
    show_country = fields.BooleanField(default=True)
    show_job_title = fields.BooleanField(default=False)
    show_qr = fields.BooleanField(default=True)
    logo = fields.BinaryField(null=True)  # PNG or JPEG, at most 512 KiB
    logo_type = fields.CharField(max_length=20, default="")
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "badge_settings"


class BadgeJobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class BadgeJob(Model):
    """A badge PDF built in the background for an organiser (large events)."""

    id = fields.IntField(primary_key=True)
    event = fields.ForeignKeyField("models.Event", related_name="badge_jobs", on_delete=fields.CASCADE)
    layout = fields.CharField(max_length=16)
    filters = fields.JSONField(default=dict)
    status = fields.CharEnumField(BadgeJobStatus, max_length=16, default=BadgeJobStatus.QUEUED)
    done = fields.IntField(default=0)
    total = fields.IntField(default=0)
    path = fields.CharField(max_length=500, default="")
    error = fields.CharField(max_length=500, default="")
    mark_printed = fields.BooleanField(default=False)
    created_by = fields.ForeignKeyField("models.User", related_name="badge_jobs", null=True,
                                        on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "badge_job"
