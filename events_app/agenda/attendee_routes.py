"""The attendee's personal agenda, reached through the private manage link.

``/manage/{token}/sessions`` lists the workshops, site visits and online sessions
the person can sign up for, grouped by day and by blocks of sessions that run at
the same time, with their own place or waitlist position in each. The form sends
the whole set of ticks at once (all-or-nothing). The page also carries the join
links the person is entitled to (the online event's, their confirmed places', and
those of online sessions open to every attendee, such as a plenary livestream) and
their personal calendar feed links.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from events_app.agenda.feed_tokens import personal_feed_urls, revoke_feed
from events_app.agenda.join_links import list_open_online_sessions, open_join_url
from events_app.agenda.models import (
    AgendaSession,
    PickStatus,
    SessionKind,
    SessionStatus,
    Speaker,
    Track,
)
from events_app.agenda.picks import PickView, list_pickable_sessions, list_picks, set_session_picks
from events_app.agenda.schemas import PicksInput
from events_app.agenda.service import list_rooms, list_speakers, list_tracks
from events_app.errors import Conflict, Invalid, ServiceError
from events_app.registration.models import Registration, RegistrationStatus
from events_app.registration.service import find_registration_by_token, waitlist_position
from events_app.validation import parse
from events_app.web import is_htmx, read_form, render

TEMPLATE = "registration/sessions.html"

KIND_LABELS = {
    SessionKind.PLENARY: "Plenary",
    SessionKind.WORKSHOP: "Workshop",
    SessionKind.SITE_VISIT: "Site visit",
    SessionKind.NETWORKING: "Networking",
    SessionKind.BREAK: "Break",
    SessionKind.WEBINAR: "Online session",
}

NOTICES = {
    "saved": "Your choices are saved. We will email you a summary.",
    "unchanged": "Nothing to change: these were already your choices.",
    "calendar": "You have a new calendar address. The old address stops working: "
    "if you had subscribed to it, subscribe again with the new one.",
}


@dataclass(slots=True)
class SessionRow:
    """One session as the person sees it on their personal agenda."""

    session: AgendaSession
    kind_label: str
    room: str
    track: Track | None
    speakers: list[Speaker]
    pick: PickView | None
    join_url: str  # only for a confirmed place in an online session
    same_time_as: list[str] = field(default_factory=list)

    @property
    def id(self) -> int:
        return int(self.session.id)

    @property
    def places_left(self) -> int | None:
        if self.session.capacity is None:
            return None
        return max(self.session.capacity - self.session.confirmed_count, 0)

    @property
    def state(self) -> str:
        """``confirmed``, ``waitlisted`` or empty: the person's own place in this session."""
        return self.pick.pick.status.value if self.pick else ""


@dataclass(slots=True)
class TimeBlock:
    """Sessions whose times overlap, directly or through one another: the person chooses among them."""

    starts_at: datetime
    ends_at: datetime
    rows: list[SessionRow]

    @property
    def has_overlaps(self) -> bool:
        return any(row.same_time_as for row in self.rows)


@dataclass(slots=True)
class AgendaDay:
    day: date
    blocks: list[TimeBlock]


def _group(rows: list[SessionRow], zone: ZoneInfo) -> list[AgendaDay]:
    """Days (local dates) of blocks of overlapping sessions, in time order."""
    days: list[AgendaDay] = []
    for row in sorted(rows, key=lambda r: (r.session.starts_at, r.session.ends_at, r.id)):
        start, end = row.session.starts_at, row.session.ends_at
        local_day = start.astimezone(zone).date()
        if not days or days[-1].day != local_day:
            days.append(AgendaDay(local_day, []))
        blocks = days[-1].blocks
        if blocks and start < blocks[-1].ends_at:
            block = blocks[-1]
            for other in block.rows:
                if other.session.ends_at > start:
                    other.same_time_as.append(row.session.title)
                    row.same_time_as.append(other.session.title)
            block.rows.append(row)
            block.ends_at = max(block.ends_at, end)
        else:
            blocks.append(TimeBlock(start, end, [row]))
    return days


def _join_url(session: AgendaSession, pick: PickView | None) -> str:
    if pick and pick.pick.status == PickStatus.CONFIRMED and session.status == SessionStatus.PUBLISHED:
        return session.online_url or ""
    return ""


async def _agenda_context(registration: Registration) -> dict[str, Any]:
    """Everything the page shows about the person's sessions (a handful of queries)."""
    event = registration.event
    confirmed = registration.status == RegistrationStatus.CONFIRMED
    picks = await list_picks(registration=registration) if confirmed else []
    sessions = await list_pickable_sessions(event=event) if confirmed else []
    open_online = await list_open_online_sessions(event=event) if confirmed else []
    shown = sessions or open_online
    rooms = {int(r.id): r.name for r in await list_rooms(event=event)} if shown or picks else {}
    tracks = {int(t.id): t for t in await list_tracks(event=event)} if shown else {}
    speakers = {int(s.id): s for s in await list_speakers(event=event)} if shown else {}
    by_session = {int(p.session.id): p for p in picks}

    def row(session: AgendaSession, join_url: str | None = None) -> SessionRow:
        pick = by_session.get(int(session.id))
        return SessionRow(
            session=session,
            kind_label=KIND_LABELS.get(SessionKind(session.kind), str(session.kind)),
            room=rooms.get(session.room_id, "") if session.room_id is not None else "",  # type: ignore[attr-defined]
            track=tracks.get(session.track_id) if session.track_id is not None else None,  # type: ignore[attr-defined]
            speakers=[speakers[i] for i in session.speaker_ids or () if i in speakers],
            pick=pick,
            join_url=_join_url(session, pick) if join_url is None else join_url,
        )

    rows = [row(s) for s in sessions]
    return {
        "registration": registration,
        "event": event,
        "confirmed": confirmed,
        "position": await waitlist_position(registration),
        "days": _group(rows, event.zone),
        "my_picks": [row(p.session) for p in picks],
        # online sessions with no sign-up (a plenary livestream): every confirmed attendee joins
        "open_online": [row(s, open_join_url(s, registration)) for s in open_online],
        "picked_ids": set(by_session),
        "event_join_url": event.online_url if confirmed and event.is_online else "",
        "feeds": personal_feed_urls(registration),
        "kind_labels": KIND_LABELS,
    }


async def _page(
    request: Request,
    registration: Registration,
    *,
    block: str = "picks",
    notice: str = "",
    calendar_notice: str = "",
    error: ServiceError | None = None,
    ticked: set[int] | None = None,
    status_code: int = 200,
) -> Response:
    context = await _agenda_context(registration)
    error_fields = error.fields if isinstance(error, Invalid) else {}
    context.update(
        token=request.path_params["token"],
        notice=notice,
        calendar_notice=calendar_notice,
        error=error.message if error else "",
        error_details=list(dict.fromkeys(error_fields.values())),
        error_ids=set(error.details.get("sessions", [])) if error else set(),
        ticked=context["picked_ids"] if ticked is None else ticked,
    )
    return render(request, TEMPLATE, context, block=block, status_code=status_code)


async def sessions_page(request: Request) -> Response:
    registration = await find_registration_by_token(token=request.path_params["token"])
    done = request.query_params.get("done", "")
    if done == "calendar":
        return await _page(request, registration, calendar_notice=NOTICES[done])
    return await _page(request, registration, notice=NOTICES.get(done, ""))


def _ticked(values: list[Any]) -> set[int]:
    return {int(v) for v in values if isinstance(v, str) and v.isdigit() and len(v) < 10}


async def save_picks(request: Request) -> Response:
    token = request.path_params["token"]
    form = await read_form(request)
    registration = await find_registration_by_token(token=token)
    values = form.getlist("session_ids")
    try:
        data = parse(PicksInput, {"session_ids": [str(v)[:20] for v in values]})
        outcome = await set_session_picks(registration=registration, session_ids=data.session_ids)
    except (Invalid, Conflict) as exc:
        return await _page(request, registration, error=exc, ticked=_ticked(values), status_code=exc.status_code)
    done = "saved" if outcome.added or outcome.dropped else "unchanged"
    if is_htmx(request):
        return await _page(request, registration, notice=NOTICES[done])
    return RedirectResponse(f"/manage/{token}/sessions?done={done}", status_code=303)


async def reset_calendar(request: Request) -> Response:
    token = request.path_params["token"]
    await read_form(request)
    registration = await find_registration_by_token(token=token)
    if registration.status == RegistrationStatus.CANCELLED:
        raise Conflict("This registration is cancelled: it has no calendar address any more.")
    await revoke_feed(registration_id=registration.id)
    if is_htmx(request):
        registration = await find_registration_by_token(token=token)
        return await _page(request, registration, block="calendar", calendar_notice=NOTICES["calendar"])
    return RedirectResponse(f"/manage/{token}/sessions?done=calendar#calendar", status_code=303)


routes = [
    Route("/manage/{token}/sessions", sessions_page, name="manage_sessions"),
    Route("/manage/{token}/sessions", save_picks, methods=["POST"], name="manage_sessions_save"),
    Route("/manage/{token}/calendar/reset", reset_calendar, methods=["POST"], name="manage_calendar_reset"),
]
