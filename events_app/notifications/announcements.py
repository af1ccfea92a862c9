"""Emails that an organiser's change to a whole event owes its attendees.

Called by ``events.service.update_event`` inside its transaction (the event row is
locked), so the emails are queued if and only if the change commits.
"""

from __future__ import annotations

from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient

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
      (waitlisted people never got an invite, so theirs has none).
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
    for registration in registrations:
        confirmed = registration.status == RegistrationStatus.CONFIRMED
        if event.status == EventStatus.CANCELLED:
            await queue_registration_email(
                kind=EmailKind.EVENT_CANCELLED,
                registration=registration,
                event=event,
                organisation=registration.organisation,
                with_invite=confirmed,
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
