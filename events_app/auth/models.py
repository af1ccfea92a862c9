"""Organiser accounts, their browser sessions and API tokens."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class Role(StrEnum):
    ADMIN = "admin"
    ORGANISER = "organiser"
    CHECKIN = "checkin"


class User(Model):
    id = fields.IntField(primary_key=True)
    email = fields.CharField(max_length=254, unique=True)  # stored casefolded
    name = fields.CharField(max_length=120, default="")
    password_hash = fields.CharField(max_length=200)
    role = fields.CharEnumField(Role, max_length=16)
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_login_at = fields.DatetimeField(null=True)

    class Meta:
        table = "app_user"

    @property
    def can_organise(self) -> bool:
        return self.is_active and self.role in (Role.ADMIN, Role.ORGANISER)


class UserSession(Model):
    """Server-side session: the cookie carries only the signed id, logout deletes the row."""

    id = fields.CharField(max_length=64, primary_key=True)  # SHA-256 of the random session id
    user = fields.ForeignKeyField("models.User", related_name="sessions", on_delete=fields.CASCADE)
    csrf_token = fields.CharField(max_length=64)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()

    class Meta:
        table = "user_session"


class ApiToken(Model):
    id = fields.IntField(primary_key=True)
    user = fields.ForeignKeyField("models.User", related_name="api_tokens", on_delete=fields.CASCADE)
    token_hash = fields.CharField(max_length=64, unique=True)
    label = fields.CharField(max_length=100, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    last_used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "api_token"
