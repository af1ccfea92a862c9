"""JSON API v1 (mounted at /api/v1) and the health check.

Each handler: check who asks, parse the input strictly, call one service
function, serialise. Errors are services' :class:`~events_app.errors.ServiceError`
subclasses, which main.py turns into ``{"error": {"code", "message", "fields"}}``.
"""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from tortoise import connections

from events_app.api.body import path_id, path_slug, read_json, read_query
from events_app.api.openapi import openapi_document
from events_app.api.schemas import RegistrationQuery
from events_app.api.serializers import (
    event_json,
    event_list_json,
    outcome_json,
    registration_json,
    registration_page_json,
)
from events_app.auth.access import require_api_organiser
from events_app.auth.models import User
from events_app.errors import Forbidden
from events_app.events.schemas import EventInput, EventPatch
from events_app.events.service import (
    create_event,
    get_event,
    list_all_events,
    list_upcoming_events,
    summarise_event,
    update_event,
)
from events_app.registration.schemas import RegistrationInput
from events_app.registration.service import (
    cancel_registration,
    list_registrations,
    register_attendee,
    waitlist_positions,
)

HEALTH_TIMEOUT_SECONDS = 5


async def healthz(request: Request) -> Response:
    try:
        await asyncio.wait_for(
            connections.get("default").execute_query("SELECT 1"), timeout=HEALTH_TIMEOUT_SECONDS
        )
    except Exception:
        return JSONResponse({"status": "unavailable"}, status_code=503)
    return JSONResponse({"status": "ok"})


async def _organiser_or_none(request: Request) -> User | None:
    """Public calls that show more to organisers: a sent token must be valid (else 401)."""
    if "authorization" not in request.headers:
        return None
    try:
        return await require_api_organiser(request)
    except Forbidden:
        return None  # a valid token of a check-in account: the public view


async def list_events(request: Request) -> Response:
    organiser = await _organiser_or_none(request) is not None
    summaries = await list_all_events() if organiser else await list_upcoming_events()
    return JSONResponse(event_list_json(summaries, organiser=organiser))


async def create(request: Request) -> Response:
    await require_api_organiser(request)
    data = await read_json(request, EventInput)
    event = await create_event(data=data)
    return JSONResponse(
        event_json(await summarise_event(event), organiser=True),
        status_code=201,
        headers={"Location": f"/api/v1/events/{event.slug}"},
    )


async def detail(request: Request) -> Response:
    organiser = await _organiser_or_none(request) is not None
    event = await get_event(slug=path_slug(request), public=not organiser)
    return JSONResponse(event_json(await summarise_event(event), organiser=organiser))


async def change(request: Request) -> Response:
    await require_api_organiser(request)
    slug = path_slug(request)
    patch = await read_json(request, EventPatch)
    event = await update_event(slug=slug, patch=patch)
    return JSONResponse(event_json(await summarise_event(event), organiser=True))


async def register(request: Request) -> Response:
    slug = path_slug(request)
    request.app.state.limiter.hit(f"register:{request.client.host if request.client else '-'}", weight=10)
    data = await read_json(request, RegistrationInput)
    outcome = await register_attendee(slug=slug, data=data)
    return JSONResponse(outcome_json(outcome), status_code=201 if outcome.created else 200)


async def registrations(request: Request) -> Response:
    await require_api_organiser(request)
    slug = path_slug(request)
    query = read_query(request, RegistrationQuery)
    event = await get_event(slug=slug)
    page = await list_registrations(
        event=event, search=query.q, status=query.status, page=query.page, per_page=query.per_page
    )
    positions = await waitlist_positions(event_id=event.id)
    return JSONResponse(registration_page_json(page, positions=positions))


async def cancel(request: Request) -> Response:
    await require_api_organiser(request)
    registration = await cancel_registration(registration_id=path_id(request))
    return JSONResponse(registration_json(registration, position=None))


async def openapi(request: Request) -> Response:
    return JSONResponse(openapi_document())


health_routes = [Route("/healthz", healthz, methods=["GET"], name="healthz")]
routes: list[Route] = [
    Route("/events", list_events, methods=["GET"], name="api_events"),
    Route("/events", create, methods=["POST"], name="api_event_create"),
    Route("/events/{slug}", detail, methods=["GET"], name="api_event"),
    Route("/events/{slug}", change, methods=["PATCH"], name="api_event_update"),
    Route("/events/{slug}/registrations", register, methods=["POST"], name="api_register"),
    Route("/events/{slug}/registrations", registrations, methods=["GET"], name="api_registrations"),
    Route("/registrations/{id:int}/cancel", cancel, methods=["POST"], name="api_registration_cancel"),
    Route("/openapi.json", openapi, methods=["GET"], name="api_openapi"),
]
