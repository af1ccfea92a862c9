"""Badges and tickets as PDF: choose whom to print, render, mark as printed.

``select_badges`` reads everything a badge prints (person, organisation, country name,
ticket code, confirmed session picks) into plain snapshots, so ``render_badges`` touches
no database and can run in a worker thread (it is CPU-bound: call it through
``starlette.concurrency.run_in_threadpool`` or ``asyncio.to_thread`` from async code).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, time
from typing import Any

from starlette.concurrency import run_in_threadpool
from tortoise.expressions import Q

from events_app.agenda.models import PickStatus, SessionPick, SessionStatus
from events_app.badges.layouts import LAYOUTS, render_layout
from events_app.badges.models import BadgeSettings
from events_app.badges.pdf import Badge, BadgeEvent, BadgeStyle, SessionLine
from events_app.badges.ticket_pdf import Ticket, ticket_pdf
from events_app.badges.tickets import ensure_event_tickets, ensure_ticket, ticket_code
from events_app.clock import utcnow
from events_app.errors import Invalid
from events_app.events.models import Event
from events_app.registration.models import BadgeRole, Registration, RegistrationStatus
from events_app.validation import country_names

CHUNK = 500  # ids per IN (...) list


def surname_key(name: str) -> tuple[str, str]:
    """Sort key: the last word of the name (casefolded), then the whole name."""
    words = name.split()
    return (words[-1].casefold() if words else "", name.casefold())


async def get_badge_settings(event: Event) -> BadgeSettings:
    """The event's badge settings, or unsaved defaults when the organiser never set them."""
    return await BadgeSettings.filter(event_id=event.id).first() or BadgeSettings(event_id=event.id)


def _since_moment(event: Event, since: date | datetime) -> datetime:
    if isinstance(since, datetime):
        return since if since.tzinfo else since.replace(tzinfo=event.zone)
    return datetime.combine(since, time(0, 0), tzinfo=event.zone)  # midnight where the event is


async def _confirmed_sessions(event: Event, ids: set[int]) -> dict[int, list[SessionLine]]:
    rows = await SessionPick.filter(
        session__event_id=event.id, status=PickStatus.CONFIRMED, session__status=SessionStatus.PUBLISHED,
    ).values("registration_id", "session__title", "session__starts_at", "session__ends_at", "session__room__name")
    found: dict[int, list[SessionLine]] = defaultdict(list)
    for row in rows:
        if row["registration_id"] in ids:
            found[row["registration_id"]].append(SessionLine(
                row["session__starts_at"], row["session__ends_at"], row["session__title"],
                row["session__room__name"] or ""))
    for lines in found.values():
        lines.sort(key=lambda line: (line.starts_at, line.title))
    return found


def parse_since(text: str) -> date:
    """A "registered since" day: YYYY-MM-DD with a year from 2000 to 2199 (``ValueError`` otherwise)."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise ValueError(text)
    day = date.fromisoformat(text)
    if not 2000 <= day.year <= 2199:
        raise ValueError(text)
    return day


async def select_badges(event: Event, *, role: BadgeRole | str | None = None, not_printed: bool = False,
                        since: date | datetime | None = None) -> list[Badge]:
    """Badges of the event's confirmed registrations (never cancelled or waitlisted ones),
    sorted by surname: only ``role``, only those never printed, only those confirmed since
    ``since`` (a date is midnight in the event's zone). Gives missing ticket secrets first.
    """
    query = Registration.filter(event_id=event.id, status=RegistrationStatus.CONFIRMED)
    if role is not None and role != "":
        try:
            query = query.filter(badge_role=BadgeRole(role))
        except ValueError:
            raise Invalid("Unknown badge role.", fields={
                "role": f"must be one of {', '.join(r.value for r in BadgeRole)}"}) from None
    if not_printed:
        query = query.filter(badge_printed_at__isnull=True)
    if since is not None:
        moment = _since_moment(event, since)
        query = query.filter(Q(confirmed_at__gte=moment) | Q(confirmed_at__isnull=True, created_at__gte=moment))
    await ensure_event_tickets(event)
    registrations = await query.prefetch_related("organisation")
    for registration in registrations:
        if not registration.ticket_secret:  # confirmed a moment ago, after ensure_event_tickets
            await ensure_ticket(registration)
    sessions = await _confirmed_sessions(event, {r.id for r in registrations})
    info, countries = BadgeEvent.from_event(event), country_names()
    badges = [
        Badge(
            id=r.id, name=r.name, organisation=r.organisation.name,
            country=countries.get(r.organisation.country, r.organisation.country),
            job_title=r.job_title, role=str(r.badge_role.value if isinstance(r.badge_role, BadgeRole) else r.badge_role),
            code=ticket_code(r), event=info, sessions=tuple(sessions.get(r.id, ())),
        )
        for r in registrations
    ]
    badges.sort(key=lambda b: (*surname_key(b.name), b.id))
    return badges


def render_badges(registrations: Sequence[Badge], settings: BadgeSettings | Any | None, layout: str,
                  progress: Callable[[int, int], None] | None = None) -> bytes:
    """The badge PDF (synchronous and CPU-bound: run it in a thread).

    ``registrations``: what :func:`select_badges` returned (or Badge objects made otherwise);
    ``layout``: ``a6``, ``a4-4up`` or ``fold`` (see layouts.py); ``progress(done, total)``.
    """
    if layout not in LAYOUTS:
        raise Invalid("Unknown badge layout.", fields={"layout": f"must be one of {', '.join(LAYOUTS)}"})
    title = f"Badges: {registrations[0].event.title}" if registrations else "Badges"
    return render_layout(registrations, BadgeStyle.from_settings(settings), layout, progress=progress, title=title)


async def render_ticket(registration: Registration) -> bytes:
    """The attendee's ticket PDF (A4). Gives the ticket secret on first use; a registration
    that is not confirmed has no ticket (409 Conflict)."""
    await ensure_ticket(registration)
    await registration.fetch_related("event", "organisation")
    settings = await get_badge_settings(registration.event)
    ticket = Ticket(registration.name, registration.organisation.name, ticket_code(registration),
                    BadgeEvent.from_event(registration.event))
    return await run_in_threadpool(ticket_pdf, ticket, BadgeStyle.from_settings(settings))


async def mark_printed(ids: Iterable[int], *, now: datetime | None = None) -> int:
    """Record that these registrations' badges were printed; return how many rows changed."""
    now, wanted, changed = now or utcnow(), sorted(set(ids)), 0
    for first in range(0, len(wanted), CHUNK):
        changed += await Registration.filter(id__in=wanted[first:first + CHUNK]).update(badge_printed_at=now)
    return changed
