"""Sign in and sign out of organiser accounts."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from events_app.auth.access import SESSION_COOKIE, sign_session_id
from events_app.auth.service import authenticate, end_session, start_session
from events_app.errors import RateLimited, Unauthorized
from events_app.settings import current_settings
from events_app.web import read_form, render


def _safe_next(value: str) -> str:
    ours = value.startswith(("/organiser", "/checkin")) and "//" not in value and "\\" not in value
    return value if ours else "/organiser"


async def login_page(request: Request) -> Response:
    return render(request, "auth/login.html", {"next": _safe_next(request.query_params.get("next", "")), "email": ""})


async def login(request: Request) -> Response:
    form = await read_form(request)
    email = str(form.get("email", ""))[:254]
    password = str(form.get("password", ""))[:1000]
    next_url = _safe_next(str(form.get("next", "")))
    limiter = request.app.state.limiter
    client = request.client.host if request.client else "-"
    try:
        limiter.hit(f"login-ip:{client}", weight=3)
        limiter.hit(f"login-email:{email.strip().casefold()}")
        user = await authenticate(email=email, password=password)
    except (Unauthorized, RateLimited) as exc:
        return render(
            request, "auth/login.html", {"error": exc.message, "email": email, "next": next_url}, status_code=exc.status_code
        )
    if not user.can_organise and not next_url.startswith("/checkin"):
        next_url = "/checkin"  # check-in accounts have the door pages only
    started = await start_session(user=user, replace=request.scope.get("session_raw_id"))
    response = RedirectResponse(next_url, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        sign_session_id(started.raw_id),
        max_age=12 * 3600,
        httponly=True,
        samesite="lax",
        secure=current_settings().is_https,
    )
    return response


async def logout(request: Request) -> Response:
    await read_form(request)
    raw = request.scope.get("session_raw_id")
    if raw:
        await end_session(raw_id=raw)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="lax", secure=current_settings().is_https)
    return response


routes = [
    Route("/login", login_page, name="login"),
    Route("/login", login, methods=["POST"], name="login_post"),
    Route("/logout", logout, methods=["POST"], name="logout"),
]
