"""Check-in pages: the door team's page (scan, search, live numbers) and the offline fallback.

Users with the checkin, organiser or admin role work the door; undo and the offline list are
for organisers and admins. Every action is a plain form: without JavaScript a POST renders the
door page again with the answer. htmx swaps blocks of the same template (``result``, ``search``,
``counts``, ``recent``); an answer that changed the numbers sends the ``checkin-changed``
event, on which the counters, the search results and the recent list reload themselves.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote, unquote, urlencode

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from events_app.auth.access import require_organiser
from events_app.auth.models import Role, User
from events_app.checkin.models import CheckIn, CheckInSource
from events_app.checkin.offline import merge_offline_scans, offline_list, read_scans_file
from events_app.checkin.service import (
    CheckInResult,
    NotConfirmed,
    TicketCancelled,
    TicketNotValid,
    WrongEvent,
    check_in_code,
    check_in_registration,
    checkin_counts,
    recent_checkins,
    search_attendees,
    undo_check_in,
)
from events_app.clock import utcnow
from events_app.errors import (
    Conflict,
    Forbidden,
    Invalid,
    MalformedJson,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    ServiceError,
    Unauthorized,
)
from events_app.events.models import Event, EventStatus
from events_app.events.service import EventSummary, get_event, list_all_events
from events_app.registration.models import Registration
from events_app.web import MAX_FORM_FIELDS, STATIC_DIR, is_htmx, read_form, render

DESK_COOKIE = "ea_desk"
DESK_MAX = 60
MAX_ID = 2**31 - 1
MAX_UPLOAD = 5 * 1024 * 1024  # an offline scans file: 5 MB is some 40,000 scans
DOOR_ROLES = (Role.ADMIN, Role.ORGANISER, Role.CHECKIN)
ROLE_LABELS = {
    "participant": "Participant",
    "speaker": "Speaker",
    "organiser": "Organiser",
    "staff": "Staff",
    "press": "Press",
}
CHANGED = {"HX-Trigger": "checkin-changed"}
REFUSAL_REASONS = {
    "ticket_not_valid": "Not a valid ticket of this event",
    "ticket_cancelled": "Registration cancelled",
    "wrong_event": "Ticket of another event",
    "not_confirmed": "On the waiting list, not confirmed",
    "not_found": "No such registration at this event",
}


def require_door(request: Request) -> User:
    """Check-in pages: users with the checkin, organiser or admin role."""
    user: User | None = request.scope.get("user")
    if user is None:
        raise Unauthorized("Please sign in.")
    if not user.is_active or user.role not in DOOR_ROLES:
        raise Forbidden("Your account cannot check people in.")
    return user


def _clean_desk(raw: Any) -> str:
    return " ".join(str(raw or "").replace("\x00", "").split())[:DESK_MAX]


def _desk_of(request: Request) -> str:
    """The desk name: from the URL, else the cookie set when the desk was chosen."""
    if "desk" in request.query_params:
        return _clean_desk(request.query_params["desk"])
    return _clean_desk(unquote(request.cookies.get(DESK_COOKIE, "")))


async def _event_for(user: User, slug: str) -> Event:
    """Door users see published events; organisers also their drafts (to try the page)."""
    return await get_event(slug=slug, public=not user.can_organise)


def _door_url(slug: str, **params: str) -> str:
    query = urlencode({k: v for k, v in params.items() if v})
    return f"/checkin/{quote(slug)}" + (f"?{query}" if query else "")


def _id_or_none(raw: str) -> int | None:
    if not raw.isascii() or not raw.isdigit() or len(raw) > 12 or not 0 < int(raw) <= MAX_ID:
        return None
    return int(raw)


# ---- choosing the event and the desk -------------------------------------------------------


@dataclass(frozen=True)
class DoorChoice:
    summary: EventSummary
    when: str  # "today" | "upcoming" | "past"


def door_choices(summaries: list[EventSummary], now: datetime) -> list[DoorChoice]:
    """Published events: those on today (in their own zone) first, then the next ones, then the past."""
    chosen: list[tuple[tuple[int, float], DoorChoice]] = []
    for summary in summaries:
        event = summary.event
        if event.status != EventStatus.PUBLISHED:
            continue
        today = now.astimezone(event.zone).date()
        start = event.starts_at.astimezone(event.zone).date()
        end = event.ends_at.astimezone(event.zone).date()
        if start <= today <= end:
            key, when = (0, event.starts_at.timestamp()), "today"
        elif event.starts_at > now:
            key, when = (1, event.starts_at.timestamp()), "upcoming"
        else:
            key, when = (2, -event.ends_at.timestamp()), "past"
        chosen.append((key, DoorChoice(summary, when)))
    return [choice for _, choice in sorted(chosen, key=lambda pair: pair[0])]


async def choose(request: Request) -> Response:
    require_door(request)
    params = request.query_params
    slug = str(params.get("event", ""))[:80]
    desk = _clean_desk(params["desk"]) if "desk" in params else _desk_of(request)
    error = ""
    if slug and "desk" in params:
        if desk:
            response = RedirectResponse(_door_url(slug, desk=desk), status_code=303)
            response.set_cookie(DESK_COOKIE, quote(desk), max_age=7 * 24 * 3600, path="/checkin",
                                httponly=True, samesite="lax", secure=request.url.scheme == "https")
            return response
        error = "Give this desk a name, such as “Main door” or “Desk 2”."
    choices = door_choices(await list_all_events(), utcnow())
    selected = slug or (choices[0].summary.event.slug if choices else "")
    return render(request, "checkin/index.html", {
        "choices": choices, "selected": selected, "desk": desk, "error": error,
    }, status_code=422 if error else 200)


# ---- the door page -------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """What the big panel shows after a scan, a check-in from the search, or an undo."""

    state: str
    tone: str  # ok (green), warn (amber), bad (red), info (neutral)
    title: str
    message: str = ""
    registration: Registration | None = None
    checkin: CheckIn | None = None

    @property
    def changed(self) -> bool:
        return self.state in ("checked_in", "undone")


REFUSALS: dict[type[ServiceError], tuple[str, str]] = {
    TicketNotValid: ("ticket_not_valid", "Not valid"),
    TicketCancelled: ("ticket_cancelled", "Cancelled"),
    WrongEvent: ("wrong_event", "Wrong event"),
    NotConfirmed: ("not_confirmed", "Not confirmed (waiting list)"),
    NotFound: ("not_found", "Not found"),
    RateLimited: ("rate_limited", "Too many scans"),
}


def _answer_of(result: CheckInResult) -> Answer:
    if result.created:
        return Answer("checked_in", "ok", "Checked in", registration=result.registration, checkin=result.checkin)
    return Answer("already_checked_in", "warn", "Already checked in", registration=result.registration,
                  checkin=result.checkin)


def _refusal(exc: ServiceError) -> Answer:
    state, title = REFUSALS.get(type(exc), (exc.code, "Not valid"))
    return Answer(state, "bad", title, exc.message)


async def _door_page(request: Request, *, event: Event, user: User, desk: str, q: str = "",
                     answer: Answer | None = None, block: str | None = None) -> Response:
    htmx_block = block if is_htmx(request) else None
    context: dict[str, Any] = {
        "event": event, "desk": desk, "q": q, "answer": answer, "can_undo": user.can_organise,
        "role_labels": ROLE_LABELS,
    }
    if htmx_block in (None, "counts"):
        context["counts"] = await checkin_counts(event=event)
    if htmx_block in (None, "search"):
        context["found"] = await search_attendees(event=event, query=q) if q else []
    if htmx_block in (None, "recent"):
        context["recent"] = await recent_checkins(event=event)
    status = 200
    if answer is not None and answer.tone == "bad" and htmx_block is None:
        status = {"not_found": 404, "ticket_not_valid": 404, "rate_limited": 429}.get(answer.state, 409)
    headers = dict(CHANGED) if answer is not None and answer.changed else {}
    headers["Vary"] = "HX-Request"
    return render(request, "checkin/door.html", context, block=htmx_block, status_code=status, headers=headers)


async def door(request: Request) -> Response:
    user = require_door(request)
    event = await _event_for(user, request.path_params["slug"])
    desk = _desk_of(request)
    if not desk:
        return RedirectResponse(f"/checkin?{urlencode({'event': event.slug})}", status_code=303)
    q = str(request.query_params.get("q", ""))[:100]
    return await _door_page(request, event=event, user=user, desk=desk, q=q)


async def search(request: Request) -> Response:
    user = require_door(request)
    event = await _event_for(user, request.path_params["slug"])
    q = str(request.query_params.get("q", ""))[:100]
    return await _door_page(request, event=event, user=user, desk=_desk_of(request), q=q, block="search")


async def counts(request: Request) -> Response:
    user = require_door(request)
    event = await _event_for(user, request.path_params["slug"])
    return await _door_page(request, event=event, user=user, desk=_desk_of(request), block="counts")


async def recent(request: Request) -> Response:
    user = require_door(request)
    event = await _event_for(user, request.path_params["slug"])
    return await _door_page(request, event=event, user=user, desk=_desk_of(request), block="recent")


def _limit_scans(request: Request, user: User) -> None:
    # Generous: a busy desk scans a person every few seconds, and desks may share an account.
    request.app.state.limiter.hit(f"checkin-door:{user.id}", weight=30,
                                  message="Too many scans from this account in a minute. Wait a moment.")


async def scan(request: Request) -> Response:
    """A code from a handheld scanner, the camera or typed by hand."""
    user = require_door(request)
    form = await read_form(request)
    event = await _event_for(user, request.path_params["slug"])
    desk = _clean_desk(form.get("desk"))
    code = str(form.get("code", "") or "")
    if not code.strip():
        answer = Answer("empty", "info", "Scan or type a code", "The code field was empty.")
    else:
        try:
            _limit_scans(request, user)
            answer = _answer_of(await check_in_code(event=event, code=code, desk=desk, user=user,
                                                    source=CheckInSource.SCAN))
        except (TicketNotValid, TicketCancelled, WrongEvent, NotConfirmed, RateLimited) as exc:
            answer = _refusal(exc)
    return await _door_page(request, event=event, user=user, desk=desk, answer=answer, block="result")


async def check_in_found(request: Request) -> Response:
    """A person found by name or email, let in with the button beside their name."""
    user = require_door(request)
    form = await read_form(request)
    event = await _event_for(user, request.path_params["slug"])
    desk = _clean_desk(form.get("desk"))
    q = str(form.get("q", "") or "")[:100]
    registration_id = _id_or_none(request.path_params["id"])
    try:
        if registration_id is None:
            raise NotFound("No such registration at this event.")
        _limit_scans(request, user)
        answer = _answer_of(await check_in_registration(event=event, registration_id=registration_id,
                                                        desk=desk, user=user))
    except (NotFound, TicketCancelled, WrongEvent, NotConfirmed, RateLimited) as exc:
        answer = _refusal(exc)
    return await _door_page(request, event=event, user=user, desk=desk, q=q, answer=answer, block="result")


async def undo(request: Request) -> Response:
    """Organisers: take back a mistaken check-in."""
    user = require_door(request)
    require_organiser(request)
    form = await read_form(request)
    event = await _event_for(user, request.path_params["slug"])
    desk = _clean_desk(form.get("desk"))
    q = str(form.get("q", "") or "")[:100]
    registration_id = _id_or_none(request.path_params["id"])
    try:
        if registration_id is None:
            raise NotFound("No such registration at this event.")
        registration = await undo_check_in(event=event, registration_id=registration_id, user=user)
        answer = Answer("undone", "info", "Check-in undone",
                        f"{registration.name} is no longer checked in and can be checked in again.")
    except NotFound as exc:
        answer = _refusal(exc)
    except Conflict as exc:
        answer = Answer("not_checked_in", "info", "Not checked in", exc.message)
    return await _door_page(request, event=event, user=user, desk=desk, q=q, answer=answer, block="result")


async def back_to_door(request: Request) -> Response:
    """A GET of an action's address (a bookmark, the back button): the door page."""
    require_door(request)
    return RedirectResponse(_door_url(request.path_params["slug"], desk=_desk_of(request)), status_code=303)


# ---- the offline fallback (organisers) ------------------------------------------------------


async def offline_page(request: Request) -> Response:
    require_organiser(request)
    event = await get_event(slug=request.path_params["slug"])
    return render(request, "checkin/offline.html", {"event": event, "error": "", "fields": {}})


async def offline_download(request: Request) -> Response:
    require_organiser(request)
    event = await get_event(slug=request.path_params["slug"])
    data = await offline_list(event)
    day = utcnow().astimezone(event.zone).strftime("%Y-%m-%d")
    return Response(
        json.dumps(data, ensure_ascii=False, indent=1),
        media_type="application/json; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="checkin-list-{event.slug}-{day}.json"'},
    )


def offline_page_file() -> str:
    """static/checkin-offline.html as one file (styles and script inlined) to keep on the laptop.

    It is a download (an attachment opened later from disk), never served as a page of ours,
    so its inline script meets no CSP of the site.
    """
    html = (STATIC_DIR / "checkin-offline.html").read_text(encoding="utf-8")
    for href in ("css/app.css", "css/checkin.css"):
        css = (STATIC_DIR / href).read_text(encoding="utf-8")
        html = html.replace(f'<link rel="stylesheet" href="{href}">', f"<style>\n{css}</style>")
    script = (STATIC_DIR / "js" / "checkin-offline.js").read_text(encoding="utf-8").replace("</", "<\\/")
    return html.replace('<script src="js/checkin-offline.js" defer></script>', f"<script>\n{script}</script>")


async def offline_page_download(request: Request) -> Response:
    require_organiser(request)
    event = await get_event(slug=request.path_params["slug"])
    return Response(offline_page_file(), media_type="text/html; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="checkin-offline-{event.slug}.html"',
    })


async def _read_upload(request: Request) -> bytes:
    """The uploaded file of a multipart form of at most MAX_UPLOAD bytes, after the CSRF check.

    The body size is checked before parsing (Starlette spools file parts without a limit);
    read_form then checks the token on the form already parsed (Starlette keeps it).
    """
    length = request.headers.get("content-length", "")
    too_large = f"The file is too large (at most {MAX_UPLOAD // (1024 * 1024)} MB)."
    if not length.isdigit():
        raise PayloadTooLarge("Send the file from the form on this page.")
    if int(length) > MAX_UPLOAD + 64 * 1024:
        raise PayloadTooLarge(too_large)
    form = await request.form(max_files=1, max_fields=MAX_FORM_FIELDS, max_part_size=64 * 1024)
    try:
        await read_form(request)  # the CSRF check, on the form parsed above
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise Invalid("Choose the scans file to upload.", fields={"file": "Choose a file."})
        raw = await upload.read(MAX_UPLOAD + 1)
    finally:
        await form.close()
    if len(raw) > MAX_UPLOAD:
        raise PayloadTooLarge(too_large)
    return raw


def _report_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**row, "checked_in_at": datetime.fromisoformat(row["checked_in_at"])} if row.get("checked_in_at")
            else row for row in rows]


async def offline_upload(request: Request) -> Response:
    user = require_organiser(request)
    event = await get_event(slug=request.path_params["slug"])
    try:
        data = read_scans_file(await _read_upload(request))
        report = await merge_offline_scans(event, data, user)
    except (Invalid, MalformedJson, PayloadTooLarge) as exc:
        return render(request, "checkin/offline.html", {"event": event, "error": exc.message, "fields": exc.fields},
                      status_code=exc.status_code)
    report = {**report, "already": _report_rows(report["already"])}
    return render(request, "checkin/offline_report.html", {"event": event, "report": report,
                                                           "reasons": REFUSAL_REASONS})


routes = [
    Route("/checkin", choose, name="checkin_choose"),
    Route("/checkin/{slug}", door, name="checkin_door"),
    Route("/checkin/{slug}/search", search, name="checkin_search"),
    Route("/checkin/{slug}/counts", counts, name="checkin_counts"),
    Route("/checkin/{slug}/recent", recent, name="checkin_recent"),
    Route("/checkin/{slug}/scan", scan, methods=["POST"], name="checkin_scan"),
    Route("/checkin/{slug}/registrations/{id}", check_in_found, methods=["POST"], name="checkin_registration"),
    Route("/checkin/{slug}/registrations/{id}/undo", undo, methods=["POST"], name="checkin_undo"),
    Route("/checkin/{slug}/scan", back_to_door, name="checkin_scan_get"),
    Route("/checkin/{slug}/registrations/{id}", back_to_door, name="checkin_registration_get"),
    Route("/checkin/{slug}/registrations/{id}/undo", back_to_door, name="checkin_undo_get"),
    Route("/organiser/events/{slug}/checkin/offline", offline_page, name="checkin_offline"),
    Route("/organiser/events/{slug}/checkin/offline", offline_upload, methods=["POST"],
          name="checkin_offline_upload"),
    Route("/organiser/events/{slug}/checkin/offline/list.json", offline_download, name="checkin_offline_list"),
    Route("/organiser/events/{slug}/checkin/offline/page.html", offline_page_download, name="checkin_offline_page"),
]
