"""Emails that an organiser's change to a whole event owes its attendees.

Called by ``events.service.update_event`` inside its transaction (the event row is
locked), so the emails are queued if and only if the change commits.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import F

from events_app.agenda.models import PickStatus, SessionPick, SessionStatus
from events_app.clock import utcnow
from events_app.events.models import Event, EventStatus
from events_app.notifications.service import EmailKind, queue_registration_email
from events_app.registration.models import Registration, RegistrationStatus
from events_app.registration.service import manage_url, new_manage_link, waitlist_position


async def queue_event_change_emails(
    *,
    event: Event,
    previous_status: EventStatus,
    calendar_changed: bool,
    conn: BaseDBAsyncClient,
    now: datetime | None = None,
) -> int:
    """Queue the emails for a change already saved on ``event``; return how many were queued.

    - A published event that is now cancelled: an ``event_cancelled`` email to everyone
      still registered; confirmed people's carries METHOD:CANCEL for their calendar entry
      and for each session they hold a place in (waitlisted people never got an invite,
      so theirs has none).
    - A published event whose time, place or title changed (``calendar_changed``): an
      ``event_update`` with METHOD:REQUEST, the same UID and a higher SEQUENCE (the caller
      bumped ``event.ical_sequence``) and a fresh manage link, to every confirmed attendee.

    Anything else (a draft, a capacity change only) owes nobody an email.
    """
    now = now or utcnow()
    if previous_status != EventStatus.PUBLISHED:
        return 0
    if event.status == EventStatus.CANCELLED:
        statuses = [RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED]
    elif event.status == EventStatus.PUBLISHED and calendar_changed:
        statuses = [RegistrationStatus.CONFIRMED]
    else:
        return 0
    registrations = (
        await Registration.filter(event_id=event.id, status__in=statuses)
        .using_db(conn)
        .order_by("id")
        .prefetch_related("organisation")
    )
    sessions: dict[int, list[tuple[int, int]]] = {}
    if event.status == EventStatus.CANCELLED:
        sessions = await _session_entries(
            [int(r.id) for r in registrations if r.status == RegistrationStatus.CONFIRMED], conn
        )
    for registration in registrations:
        confirmed = registration.status == RegistrationStatus.CONFIRMED
        if event.status == EventStatus.CANCELLED:
            await queue_registration_email(
                kind=EmailKind.EVENT_CANCELLED,
                registration=registration,
                event=event,
                organisation=registration.organisation,
                with_invite=confirmed,
                cancelled_sessions=sessions.get(int(registration.id)),
                waitlist_position=await waitlist_position(registration, conn),
                conn=conn,
                now=now,
            )
        else:
            await queue_registration_email(
                kind=EmailKind.EVENT_UPDATE,
                registration=registration,
                event=event,
                organisation=registration.organisation,
                manage_url=manage_url(await new_manage_link(registration, conn)),
                conn=conn,
                now=now,
            )
    return len(registrations)


async def _session_entries(registration_ids: list[int], conn: BaseDBAsyncClient) -> dict[int, list[tuple[int, int]]]:
    """(session id, SEQUENCE) of each live session entry in the people's calendars, by start.

    Their picks stay as they are (the event may come back), but each pick's SEQUENCE grows,
    so the CANCEL outranks every invite sent for it before.
    """
    if not registration_ids:
        return {}
    picks = list(
        await SessionPick.filter(
            registration_id__in=registration_ids, status=PickStatus.CONFIRMED, session__status=SessionStatus.PUBLISHED
        )
        .using_db(conn)
        .order_by("registration_id", "session__starts_at", "session_id")
        .prefetch_related("session")
    )
    if not picks:
        return {}
    # one column only, never save(): a seat change made meanwhile under the session lock stays
    await SessionPick.filter(id__in=[p.id for p in picks]).using_db(conn).update(ical_sequence=F("ical_sequence") + 1)
    found: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for pick in picks:
        found[int(pick.registration_id)].append(  # type: ignore[attr-defined]
            (int(pick.session.id), pick.session.ical_sequence + pick.ical_sequence + 1)
        )
    return found
