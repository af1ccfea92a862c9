"""JSON API v1 for the door: check a ticket in, undo, live numbers, the offline list and its scans.

Checking in and the numbers take a bearer token of a check-in, organiser or admin account
(``require_api_checkin``); undo and the offline list and scans are for organisers. The answer
to a scan is decided on the server; every refusal is a 4xx with the error's code
(``ticket_not_valid``, ``ticket_cancelled``, ``wrong_event``, ``not_confirmed``), never a 200.
Scans are rate-limited per account, generously enough for a busy door.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from events_app.api.body import path_slug, read_json
from events_app.auth.access import require_api_checkin, require_api_organiser
from events_app.auth.models import User
from events_app.checkin.models import CheckInSource
from events_app.checkin.offline import merge_offline_scans, offline_list
from events_app.checkin.schemas import (
    CheckInHourOut,
    CheckInInput,
    CheckInOut,
    CheckInStatsOut,
    OfflineScansInput,
    UndoInput,
    UndoOut,
    person_out,
)
from events_app.checkin.service import CheckInResult, check_in_code, checkin_counts, undo_check_in
from events_app.errors import RateLimited
from events_app.events.models import Event
from events_app.events.service import get_event, remembered_event

# Scans per account: RATE_LIMIT's count times this (10/minute -> 600 a minute, 10 a second).
CHECKIN_RATE_WEIGHT = 60
OFFLINE_MAX_BYTES = 8 * 1024 * 1024  # 20,000 scans of ~150 bytes fit comfortably


def _rate_limited(request: Request, user: User) -> Response | None:
    """429 with Retry-After once this account scanned too often, else None."""
    limiter = request.app.state.limiter
    try:
        limiter.hit(f"checkin:{user.id}", weight=CHECKIN_RATE_WEIGHT,
                    message="Too many scans from this account. Wait a moment and scan again.")
    except RateLimited as exc:
        seconds = limiter.limit.seconds if limiter.limit else 60
        return JSONResponse({"error": {"code": exc.code, "message": exc.message, "fields": {}}}, status_code=429,
                            headers={"Retry-After": str(max(1, int(seconds)))})
    return None


def checkin_json(result: CheckInResult, event: Event) -> dict[str, object]:
    return CheckInOut(
        status=result.status,  # type: ignore[arg-type]
        registration=person_out(result.registration),
        checked_in_at=result.checkin.checked_in_at.astimezone(event.zone),
        desk=result.checkin.desk,
    ).model_dump(mode="json")


async def checkin(request: Request) -> Response:
    user = await require_api_checkin(request)
    limited = _rate_limited(request, user)
    if limited is not None:
        return limited
    data = await read_json(request, CheckInInput)
    event = await remembered_event(slug=data.event)
    result = await check_in_code(event=event, code=data.code, desk=data.desk, user=user, source=CheckInSource.API)
    return JSONResponse(checkin_json(result, event))


async def undo(request: Request) -> Response:
    user = await require_api_organiser(request)
    data = await read_json(request, UndoInput)
    event = await get_event(slug=data.event)
    registration = await undo_check_in(event=event, registration_id=data.registration, user=user)
    await registration.fetch_related("organisation")
    return JSONResponse(UndoOut(status="undone", registration=person_out(registration)).model_dump(mode="json"))


async def stats(request: Request) -> Response:
    user = await require_api_checkin(request)
    event = await get_event(slug=path_slug(request), public=not user.can_organise)  # drafts: organisers only
    counts = await checkin_counts(event=event)
    return JSONResponse(CheckInStatsOut(
        event=event.slug, checked_in=counts.checked_in, expected=counts.expected, percent=counts.percent,
        per_hour=[CheckInHourOut(hour=hour, count=n) for hour, n in counts.per_hour],
    ).model_dump(mode="json"), headers={"Cache-Control": "no-store"})


async def offline_list_download(request: Request) -> Response:
    await require_api_organiser(request)
    event = await get_event(slug=path_slug(request))
    return JSONResponse(await offline_list(event), headers={
        "Cache-Control": "no-store",
        "Content-Disposition": f'attachment; filename="checkin-{event.slug}.json"',
    })


async def offline_scans_upload(request: Request) -> Response:
    user = await require_api_organiser(request)
    event = await get_event(slug=path_slug(request))
    data = await read_json(request, OfflineScansInput, max_bytes=OFFLINE_MAX_BYTES)
    return JSONResponse(await merge_offline_scans(event, data, user))


routes: list[Route] = [
    Route("/checkin", checkin, methods=["POST"], name="api_checkin"),
    Route("/checkin/undo", undo, methods=["POST"], name="api_checkin_undo"),
    Route("/events/{slug}/checkin/stats", stats, methods=["GET"], name="api_checkin_stats"),
    Route("/events/{slug}/checkin/offline-list", offline_list_download, methods=["GET"],
          name="api_checkin_offline_list"),
    Route("/events/{slug}/checkin/offline-scans", offline_scans_upload, methods=["POST"],
          name="api_checkin_offline_scans"),
]
