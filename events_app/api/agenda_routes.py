"""JSON API v1 for the agenda: rooms, speakers, sessions, publish, and attendees' picks.

Organiser calls need a bearer token (``require_api_organiser``); attendee calls
carry the secret token of their manage link in the path and are rate-limited
per client address like registering is.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from events_app.agenda.feed_tokens import feed_urls
from events_app.agenda.join_links import list_open_online_sessions
from events_app.agenda.picks import list_pickable_sessions, list_picks, set_session_picks
from events_app.agenda.schemas import (
    PicksInput,
    RoomInput,
    RoomPatch,
    SessionInput,
    SessionPatch,
    SpeakerInput,
)
from events_app.agenda.service import (
    Agenda,
    cancel_session,
    create_room,
    create_session,
    create_speaker,
    list_rooms,
    list_speakers,
    list_tracks,
    load_agenda,
    publish_agenda,
    update_room,
    update_session,
)
from events_app.api.agenda_serializers import (
    find_draft,
    manage_json,
    room_json,
    room_list_json,
    session_json,
    session_list_json,
    speaker_json,
    speaker_list_json,
)
from events_app.api.body import path_id, path_slug, read_json
from events_app.auth.access import require_api_organiser
from events_app.errors import NotFound
from events_app.events.models import Event
from events_app.events.service import get_event
from events_app.registration.models import Registration, RegistrationStatus
from events_app.registration.service import find_registration_by_token, waitlist_position

# Manage calls per client address: RATE_LIMIT's count times this (a venue's wifi is one address).
MANAGE_RATE_WEIGHT = 30


def _id(request: Request, what: str) -> int:
    try:
        return path_id(request)
    except NotFound:
        raise NotFound(f"This event has no such {what}.") from None


async def _event(request: Request) -> Event:
    await require_api_organiser(request)
    return await get_event(slug=path_slug(request))


def _session_response(agenda: Agenda, session_id: int, *, status_code: int = 200, **headers: str) -> Response:
    draft = find_draft(agenda, session_id)
    if draft is None:
        raise NotFound("This event has no such session.")
    return JSONResponse(session_json(draft, agenda), status_code=status_code, headers=headers or None)


# --- organiser: rooms and speakers -------------------------------------------------------

async def rooms(request: Request) -> Response:
    event = await _event(request)
    return JSONResponse(room_list_json(await list_rooms(event=event)))


async def room_create(request: Request) -> Response:
    event = await _event(request)
    data = await read_json(request, RoomInput)
    room = await create_room(event=event, data=data)
    location = f"/api/v1/events/{event.slug}/rooms/{room.id}"
    return JSONResponse(room_json(room), status_code=201, headers={"Location": location})


async def room_update(request: Request) -> Response:
    event = await _event(request)
    room_id = _id(request, "room")
    patch = await read_json(request, RoomPatch)
    return JSONResponse(room_json(await update_room(event=event, room_id=room_id, patch=patch)))


async def speakers(request: Request) -> Response:
    event = await _event(request)
    return JSONResponse(speaker_list_json(await list_speakers(event=event)))


async def speaker_create(request: Request) -> Response:
    event = await _event(request)
    data = await read_json(request, SpeakerInput)
    speaker = await create_speaker(event=event, data=data)
    location = f"/api/v1/events/{event.slug}/speakers/{speaker.id}"
    return JSONResponse(speaker_json(speaker), status_code=201, headers={"Location": location})


# --- organiser: sessions and publishing --------------------------------------------------

async def sessions(request: Request) -> Response:
    event = await _event(request)
    return JSONResponse(session_list_json(await load_agenda(event=event)))


async def session_create(request: Request) -> Response:
    event = await _event(request)
    data = await read_json(request, SessionInput)
    result = await create_session(event=event, data=data)
    location = f"/api/v1/events/{event.slug}/sessions/{result.draft.id}"
    return _session_response(await load_agenda(event=event), result.draft.id, status_code=201, Location=location)


async def session_detail(request: Request) -> Response:
    event = await _event(request)
    return _session_response(await load_agenda(event=event), _id(request, "session"))


async def session_update(request: Request) -> Response:
    event = await _event(request)
    session_id = _id(request, "session")
    patch = await read_json(request, SessionPatch)
    await update_session(event=event, session_id=session_id, patch=patch)
    return _session_response(await load_agenda(event=event), session_id)


async def session_cancel(request: Request) -> Response:
    """A never-published session is deleted (204); a published one is cancelled at the next publish."""
    event = await _event(request)
    session_id = _id(request, "session")
    if await cancel_session(event=event, session_id=session_id) is None:
        return Response(status_code=204)
    return _session_response(await load_agenda(event=event), session_id)


async def publish(request: Request) -> Response:
    user = await require_api_organiser(request)
    event = await get_event(slug=path_slug(request))
    summary = await publish_agenda(event=event, actor=user.email)
    return JSONResponse(summary.as_json())


# --- attendee: the manage link -----------------------------------------------------------

async def _registration(request: Request) -> Registration:
    client = request.client.host if request.client else "-"
    request.app.state.limiter.hit(f"manage:{client}", weight=MANAGE_RATE_WEIGHT)
    return await find_registration_by_token(token=request.path_params["token"])


async def _manage_response(registration: Registration) -> Response:
    event: Event = registration.event
    body = manage_json(
        registration=registration,
        event=event,
        position=await waitlist_position(registration),
        picks=await list_picks(registration=registration),
        pickable=await list_pickable_sessions(event=event),
        open_online=await list_open_online_sessions(event=event),
        rooms=await list_rooms(event=event),
        tracks=await list_tracks(event=event),
        speakers=await list_speakers(event=event),
        calendar=feed_urls(registration) if registration.status != RegistrationStatus.CANCELLED else None,
    )
    return JSONResponse(body)


async def manage(request: Request) -> Response:
    return await _manage_response(await _registration(request))


async def manage_sessions(request: Request) -> Response:
    """Replace the person's session picks, all or nothing."""
    registration = await _registration(request)
    data = await read_json(request, PicksInput)
    await set_session_picks(registration=registration, session_ids=data.session_ids, waitlist=data.waitlist)
    return await _manage_response(registration)


routes: list[Route] = [
    Route("/events/{slug}/rooms", rooms, methods=["GET"], name="api_rooms"),
    Route("/events/{slug}/rooms", room_create, methods=["POST"], name="api_room_create"),
    Route("/events/{slug}/rooms/{id:int}", room_update, methods=["PATCH"], name="api_room_update"),
    Route("/events/{slug}/speakers", speakers, methods=["GET"], name="api_speakers"),
    Route("/events/{slug}/speakers", speaker_create, methods=["POST"], name="api_speaker_create"),
    Route("/events/{slug}/sessions", sessions, methods=["GET"], name="api_sessions"),
    Route("/events/{slug}/sessions", session_create, methods=["POST"], name="api_session_create"),
    Route("/events/{slug}/sessions/{id:int}", session_detail, methods=["GET"], name="api_session"),
    Route("/events/{slug}/sessions/{id:int}", session_update, methods=["PATCH"], name="api_session_update"),
    Route("/events/{slug}/sessions/{id:int}", session_cancel, methods=["DELETE"], name="api_session_cancel"),
    Route("/events/{slug}/agenda/publish", publish, methods=["POST"], name="api_agenda_publish"),
    Route("/manage/{token}", manage, methods=["GET"], name="api_manage"),
    Route("/manage/{token}/sessions", manage_sessions, methods=["PUT"], name="api_manage_sessions"),
]
