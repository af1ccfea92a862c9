"""create_app(settings) -> Starlette: routes, middleware, lifespan, error pages."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from tortoise.exceptions import DBConnectionError, IntegrityError, OperationalError

from events_app import db
from events_app.agenda.attendee_routes import routes as agenda_attendee_routes
from events_app.agenda.builder_routes import routes as agenda_builder_routes
from events_app.agenda.routes import routes as agenda_routes
from events_app.agenda.webinar_routes import routes as agenda_webinar_routes
from events_app.api.agenda_routes import routes as api_agenda_routes
from events_app.api.checkin_routes import routes as api_checkin_routes
from events_app.api.routes import health_routes
from events_app.api.routes import routes as api_routes
from events_app.api.twinning_routes import routes as api_twinning_routes
from events_app.auth.access import SessionMiddleware
from events_app.auth.routes import routes as auth_routes
from events_app.badges.jobs import stop_badge_jobs
from events_app.badges.routes import routes as badge_routes
from events_app.badges.ticket_routes import routes as ticket_routes
from events_app.checkin.routes import routes as checkin_routes
from events_app.errors import ServiceError, Unauthorized
from events_app.events.routes import routes as event_routes
from events_app.middleware import SecurityHeadersMiddleware
from events_app.notifications.mailer import Mailer, mailer_for
from events_app.notifications.worker import run_sender
from events_app.organiser.routes import routes as organiser_routes
from events_app.ratelimit import RateLimiter
from events_app.registration.routes import routes as registration_routes
from events_app.settings import Settings, configure_settings, load_settings
from events_app.twinning.authority_routes import routes as twinning_authority_routes
from events_app.twinning.organiser_lists_routes import routes as twinning_lists_routes
from events_app.twinning.organiser_routes import routes as twinning_organiser_routes
from events_app.twinning.public_routes import routes as twinning_public_routes
from events_app.web import STATIC_DIR, render

log = logging.getLogger("events_app")


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def error_json(
    status: int, code: str, message: str, fields: dict[str, str] | None = None, details: dict[str, Any] | None = None
) -> JSONResponse:
    body = {"code": code, "message": message, "fields": fields or {}, **(details or {})}
    return JSONResponse({"error": body}, status_code=status)


async def service_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ServiceError)
    if _wants_json(request):
        return error_json(exc.status_code, exc.code, exc.message, exc.fields, exc.details)
    if isinstance(exc, Unauthorized) and request.url.path.startswith(("/organiser", "/checkin")):
        if request.headers.get("hx-request") == "true":  # e.g. a counter polled after the session ended
            return Response(status_code=401, headers={"HX-Redirect": f"/login?next={request.url.path}"})
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    return render(request, "error.html", {"status": exc.status_code, "message": exc.message}, status_code=exc.status_code)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    messages = {404: "This page does not exist.", 405: "This method is not allowed here."}
    message = messages.get(exc.status_code, str(exc.detail))
    if _wants_json(request):
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error_json(exc.status_code, code, message)
    return render(request, "error.html", {"status": exc.status_code, "message": message}, status_code=exc.status_code, headers=exc.headers)


_TRANSIENT = ("lock timeout", "lock_timeout", "database is locked", "connection", "pool", "timeout")


def _is_transient(exc: Exception) -> bool:
    """A lock wait that timed out or a lost connection, as opposed to a bug in a query."""
    if isinstance(exc, DBConnectionError):
        return True
    cause = exc.__cause__
    names = f"{type(cause).__name__} {cause} {exc}".lower()
    return any(word in names for word in _TRANSIENT) or type(cause).__name__ in {
        "LockNotAvailableError", "QueryCanceledError", "ConnectionDoesNotExistError", "InterfaceError",
    }


async def database_busy(request: Request, exc: Exception) -> Response:
    """A lock wait or connection problem: tell the client to retry instead of a 500."""
    if not _is_transient(exc):
        return await server_error(request, exc)
    log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
    message = "The service is busy right now. Please try again in a moment."
    headers = {"Retry-After": "2"}
    if _wants_json(request):
        response = error_json(503, "busy", message)
        response.headers.update(headers)
        return response
    return render(request, "error.html", {"status": 503, "message": message}, status_code=503, headers=headers)


async def integrity_error(request: Request, exc: Exception) -> Response:
    """A unique or foreign-key rule refused a write that raced another one."""
    log.warning("integrity error on %s %s: %s", request.method, request.url.path, exc)
    message = "This change conflicts with data that changed meanwhile. Reload and try again."
    if _wants_json(request):
        return error_json(409, "conflict", message)
    return render(request, "error.html", {"status": 409, "message": message}, status_code=409)


async def server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    if _wants_json(request):
        return error_json(500, "server_error", "Something went wrong on our side.")
    return render(request, "error.html", {"status": 500, "message": "Something went wrong on our side."}, status_code=500)


def create_app(
    settings: Settings | None = None,
    *,
    manage_db: bool = True,
    run_worker: bool = False,
    mailer: Mailer | None = None,
) -> Starlette:
    """Build the ASGI app. ``manage_db=False`` leaves Tortoise to the caller (tests)."""
    settings = configure_settings(settings or load_settings())

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if manage_db:
            await db.init_db(settings.database_url)
        stop = asyncio.Event()
        sender = None
        if run_worker:
            sender = asyncio.create_task(run_sender(mailer=mailer or mailer_for(settings.smtp), stop=stop))
        try:
            yield
        finally:
            stop.set()
            if sender is not None:
                await sender
            await stop_badge_jobs()  # a build still running ends as failed, not half-written
            if manage_db:
                await db.close_db()

    app = Starlette(
        routes=[
            *event_routes,
            *registration_routes,
            *ticket_routes,
            *auth_routes,
            *organiser_routes,
            *badge_routes,
            *checkin_routes,
            *agenda_routes,
            *agenda_builder_routes,
            *agenda_attendee_routes,
            *agenda_webinar_routes,
            *twinning_public_routes,
            *twinning_organiser_routes,
            *twinning_lists_routes,
            *twinning_authority_routes,
            Mount("/api/v1", routes=[*api_routes, *api_agenda_routes, *api_twinning_routes, *api_checkin_routes]),
            *health_routes,
            Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
        ],
        middleware=[
            Middleware(SecurityHeadersMiddleware, https=settings.is_https),
            Middleware(SessionMiddleware),
        ],
        exception_handlers={
            ServiceError: service_error,
            HTTPException: http_error,
            DBConnectionError: database_busy,
            IntegrityError: integrity_error,
            OperationalError: database_busy,
            Exception: server_error,
        },
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.limiter = RateLimiter(settings.rate_limit)
    return app


def create_app_from_env() -> Starlette:
    """Factory for `uvicorn --factory` (used by `events-app serve --workers N`)."""
    return create_app()
