"""Study visits: an accepted twinning plans a visit, an event of kind study_visit with invites for both sides."""

from __future__ import annotations

import secrets
from datetime import datetime

from tortoise.transactions import in_transaction

from events_app.clock import utcnow
from events_app.errors import Conflict, Invalid, NotFound
from events_app.events.models import Event, EventKind, EventStatus
from events_app.registration.schemas import RegistrationInput
from events_app.registration.service import register_attendee
from events_app.twinning.models import Twinning, TwinningStatus
from events_app.twinning.schemas import StudyVisitInput

VISIT_SEATS = 12  # both contacts plus colleagues they may bring


async def plan_study_visit(*, twinning_id: int, data: StudyVisitInput, round_id: int | None = None,
                           request_id: int | None = None, now: datetime | None = None) -> Event:
    """Create the study visit of an accepted twinning and register both contact people.

    Each contact gets the usual confirmation email with a calendar invite (METHOD:REQUEST)
    and a manage link; moving the visit later (organiser's event page) updates both
    calendars. ``round_id`` (organiser) or ``request_id`` (one side's link) says who asks.
    """
    now = now or utcnow()
    problems = {}
    if data.ends_at <= data.starts_at:
        problems["ends_at"] = "must be after the start"
    if data.starts_at <= now:
        problems["starts_at"] = "must be in the future"
    async with in_transaction() as conn:
        # the twinning row lock: two plans at once (a double click, both sides) make one visit
        locked = await Twinning.filter(id=twinning_id).using_db(conn).select_for_update().first()
        if locked is None or (round_id is not None and locked.round_id != round_id) or (  # type: ignore[attr-defined]
                request_id is not None and request_id not in (locked.a_id, locked.b_id)):  # type: ignore[attr-defined]
            raise NotFound("No such twinning.")
        twinning = await Twinning.filter(id=twinning_id).using_db(conn).prefetch_related(
            "a__organisation", "a__contact", "b__organisation", "b__contact", "study_visit").get()
        if twinning.status not in (TwinningStatus.ACCEPTED, TwinningStatus.COMPLETED):
            raise Conflict("A study visit can be planned once both sides have accepted the twinning.")
        if twinning.study_visit is not None and twinning.study_visit.status != EventStatus.CANCELLED:
            raise Conflict("This twinning has a study visit planned already: change that event instead.")
        if problems:
            raise Invalid("Some fields need attention.", fields=problems)
        description = data.description or (
            f"Study visit of the twinning {twinning.a.organisation.name} – {twinning.b.organisation.name}.")
        event = await Event.create(
            slug=f"study-visit-{twinning.id}-{secrets.token_hex(3)}", title=data.title,
            kind=EventKind.STUDY_VISIT, description=description, timezone=data.timezone,
            starts_at=data.starts_at, ends_at=data.ends_at, is_online=False, venue_name=data.venue_name,
            venue_address=data.venue_address, capacity=VISIT_SEATS, status=EventStatus.PUBLISHED, using_db=conn)
        await Twinning.filter(id=twinning.id).using_db(conn).update(study_visit_id=event.id)
    # after the commit: each registration takes the event's own lock and queues its invite
    for side in (twinning.a, twinning.b):
        contact, organisation = side.contact, side.organisation
        await register_attendee(slug=event.slug, now=now, data=RegistrationInput(
            name=contact.name, job_title=contact.job_title, organisation=organisation.name,
            organisation_kind=organisation.kind, country=organisation.country, email=contact.email, consent=True))
    return event
