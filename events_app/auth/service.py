"""Organiser accounts: passwords (argon2id), server-side sessions, API tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from tortoise.exceptions import IntegrityError

from events_app.auth.models import ApiToken, Role, User, UserSession
from events_app.clock import utcnow
from events_app.errors import Invalid, Unauthorized
from events_app.validation import Email, Input, parse

SESSION_LIFETIME = timedelta(hours=12)
MIN_PASSWORD_LENGTH = 10
_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
_DUMMY_HASH = _hasher.hash("not-a-real-password-used-for-timing")


class _EmailOnly(Input):
    email: Email


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def normalise_email(email: str) -> str:
    return parse(_EmailOnly, {"email": email}).email.casefold()


async def create_user(*, email: str, password: str, role: Role, name: str = "") -> User:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(
            "Some fields need attention.",
            fields={"password": f"Must be at least {MIN_PASSWORD_LENGTH} characters."},
        )
    key = normalise_email(email)
    try:
        return await User.create(email=key, name=name, password_hash=_hasher.hash(password), role=role)
    except IntegrityError:
        raise Invalid("Some fields need attention.", fields={"email": "An account with this email exists."}) from None


async def set_password(*, email: str, password: str) -> User:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid("Some fields need attention.", fields={"password": f"Must be at least {MIN_PASSWORD_LENGTH} characters."})
    user = await User.get_or_none(email=normalise_email(email))
    if user is None:
        raise Invalid("No such account.", fields={"email": "No account with this email."})
    user.password_hash = _hasher.hash(password)
    await user.save(update_fields=["password_hash"])
    await UserSession.filter(user_id=user.id).delete()
    return user


async def authenticate(*, email: str, password: str) -> User:
    """The active user with this email and password, or :class:`Unauthorized` (same message either way)."""
    key = email.strip().casefold()[:254]
    # PostgreSQL text cannot hold NUL: such an email matches no account (and must not be a 500)
    user = await User.get_or_none(email=key) if "\x00" not in key else None
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        raise Unauthorized("Wrong email or password.") from None
    if user is None or not user.is_active:
        raise Unauthorized("Wrong email or password.")
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.last_login_at = utcnow()
    await user.save(update_fields=["password_hash", "last_login_at"])
    return user


@dataclass(frozen=True, slots=True)
class SessionStart:
    raw_id: str  # goes (signed) into the cookie; only its hash is stored
    session: UserSession


async def start_session(*, user: User, replace: str | None = None) -> SessionStart:
    """A fresh session id at every login; the previous one (if any) is ended."""
    if replace:
        await end_session(raw_id=replace)
    raw = secrets.token_urlsafe(32)
    session = await UserSession.create(
        id=_sha256(raw), user=user, csrf_token=secrets.token_urlsafe(32), expires_at=utcnow() + SESSION_LIFETIME
    )
    return SessionStart(raw, session)


async def end_session(*, raw_id: str) -> None:
    await UserSession.filter(id=_sha256(raw_id)).delete()


async def load_session(*, raw_id: str) -> User | None:
    session = await UserSession.filter(id=_sha256(raw_id)).prefetch_related("user").first()
    if session is None:
        return None
    if session.expires_at <= utcnow() or not session.user.is_active:
        await session.delete()
        return None
    return session.user


async def create_api_token(*, email: str, label: str = "") -> str:
    user = await User.get_or_none(email=normalise_email(email))
    if user is None:
        raise Invalid("No such account.", fields={"email": "No account with this email."})
    token = "ea_" + secrets.token_urlsafe(32)
    await ApiToken.create(user=user, token_hash=_sha256(token), label=label)
    return token


async def user_for_token(*, token: str) -> User | None:
    if not token or len(token) > 200:
        return None
    api_token = await ApiToken.filter(token_hash=_sha256(token), revoked_at__isnull=True).select_related("user").first()
    if api_token is None or not api_token.user.is_active:
        return None
    return api_token.user
