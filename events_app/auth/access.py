"""Who is asking: the session cookie (pages) or a bearer token (API), and what they may do."""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeSerializer
from starlette.requests import HTTPConnection, Request
from starlette.types import ASGIApp, Receive, Scope, Send

from events_app.auth.models import Role, User
from events_app.auth.service import load_session, user_for_token
from events_app.errors import Forbidden, Unauthorized
from events_app.settings import current_settings

SESSION_COOKIE = "ea_session"


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_settings().secret_key, salt="events_app.session")


def sign_session_id(raw_id: str) -> str:
    return _signer().dumps(raw_id)


def unsign_session_id(cookie: str) -> str | None:
    try:
        value = _signer().loads(cookie)
    except BadSignature:
        return None
    return value if isinstance(value, str) else None


class SessionMiddleware:
    """Loads the signed session cookie into ``scope["user"]`` (None when absent or ended)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope["user"] = None
            cookie = HTTPConnection(scope).cookies.get(SESSION_COOKIE)
            raw = unsign_session_id(cookie) if cookie else None
            if raw:
                scope["session_raw_id"] = raw
                scope["user"] = await load_session(raw_id=raw)
        await self.app(scope, receive, send)


def require_organiser(request: Request) -> User:
    """Organiser pages: admins and organisers only."""
    user: User | None = request.scope.get("user")
    if user is None:
        raise Unauthorized("Please sign in.")
    if not user.can_organise:
        raise Forbidden("Your account cannot manage events.")
    return user


async def _api_user(request: Request) -> User:
    """The active account whose ``Authorization: Bearer <token>`` this is (401 otherwise)."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Send an API token as 'Authorization: Bearer <token>'.")
    user = await user_for_token(token=token.strip())
    if user is None:
        raise Unauthorized("This API token is not valid.")
    return user


async def require_api_organiser(request: Request) -> User:
    """API calls: ``Authorization: Bearer <token>`` of an admin or organiser."""
    user = await _api_user(request)
    if not user.can_organise:
        raise Forbidden("This account cannot manage events.")
    return user


async def require_api_checkin(request: Request) -> User:
    """Check-in API calls: a bearer token of a check-in, organiser or admin account."""
    user = await _api_user(request)
    if not (user.is_active and user.role in (Role.CHECKIN, Role.ORGANISER, Role.ADMIN)):
        raise Forbidden("This account cannot check people in.")
    return user
