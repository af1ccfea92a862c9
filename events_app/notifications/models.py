"""The transactional outbox: emails written in the same transaction as the change they report."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # gave up after the last retry; an organiser can requeue


class OutboxMessage(Model):
    id = fields.IntField(primary_key=True)
    message_id = fields.CharField(max_length=200, unique=True)  # RFC 5322 Message-ID, stable across retries
    kind = fields.CharField(max_length=40)
    registration = fields.ForeignKeyField(
        "models.Registration", related_name="outbox_messages", null=True, on_delete=fields.SET_NULL
    )
    to_email = fields.CharField(max_length=254)
    to_name = fields.CharField(max_length=120, default="")
    # What the change said, written in its transaction: manage_url, waitlist_position,
    # with_invite, sequence. The sender renders the email from it once (rendered_at) and
    # keeps the result, so every retry sends the same bytes.
    payload = fields.JSONField(null=True)
    rendered_at = fields.DatetimeField(null=True)
    subject = fields.CharField(max_length=300, default="")
    body_text = fields.TextField(default="")
    body_html = fields.TextField(default="")
    ics_method = fields.CharField(max_length=16, default="")
    ics = fields.TextField(default="")
    status = fields.CharEnumField(OutboxStatus, max_length=16, default=OutboxStatus.PENDING)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    locked_until = fields.DatetimeField(null=True)
    last_error = fields.CharField(max_length=500, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    sent_at = fields.DatetimeField(null=True)

    class Meta:
        table = "outbox_message"
        indexes = (("status", "next_attempt_at"),)
