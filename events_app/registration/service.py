"""Registering, cancelling, promoting: every change of a seat, each in one transaction.

Each function that takes or frees a seat locks the event row first (see
``locking.py``), then counts, then writes the registration and its outbox
emails, and commits them together.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.functions import Max
from tortoise.transactions import in_transaction

from events_app.agenda.picks import release_picks_of
from events_app.checkin.models import CheckIn
from events_app.clock import utcnow
from events_app.errors import Conflict, NotFound, RegistrationClosed
from events_app.events.models import Event, EventStatus
from events_app.events.service import registration_state, remembered_event
from events_app.notifications.models import OutboxMessage
from events_app.notifications.service import EmailKind, queue_registration_email
from events_app.organisations.models import Organisation
from events_app.organisations.service import find_or_create_organisation
from events_app.registration.locking import lock_event
from events_app.registration.models import ManageLink, Registration, RegistrationStatus
from events_app.registration.schemas import DetailsInput, RegistrationInput
from events_app.registration.seat_claim import claim_seat_postgres
from events_app.settings import current_settings

CLOSED_MESSAGES = {
    "cancelled": "This event has been cancelled, so registration is closed.",
    "closed": "Registration for this event has closed.",
    "not_yet_open": "Registration for this event has not opened yet.",
    "ended": "This event has already taken place.",
    "draft": "This event is not open for registration.",
}

# The state machine: which status may follow which.
_TRANSITIONS: dict[RegistrationStatus | None, set[RegistrationStatus]] = {
    None: {RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED},
    RegistrationStatus.WAITLISTED: {RegistrationStatus.CONFIRMED, RegistrationStatus.CANCELLED},
    RegistrationStatus.CONFIRMED: {RegistrationStatus.CANCELLED},
    RegistrationStatus.CANCELLED: {RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED},
}


MANAGE_LINK_RESEND_INTERVAL = timedelta(minutes=15)


def transition(registration: Registration, to: RegistrationStatus, *, now: datetime) -> None:
    """Move ``registration`` to status ``to`` or raise :class:`Conflict` for an illegal move."""
    current = registration.status if registration.status else None
    if to not in _TRANSITIONS[current]:
        raise Conflict(f"A {current} registration cannot become {to}.")
    registration.status = to
    if to == RegistrationStatus.CONFIRMED:
        registration.confirmed_at = now
        registration.waitlist_seq = None
        registration.cancelled_at = None
    elif to == RegistrationStatus.CANCELLED:
        registration.cancelled_at = now
        registration.waitlist_seq = None
    else:
        registration.cancelled_at = None


@dataclass(frozen=True, slots=True)
class RegistrationOutcome:
    registration: Registration
    event: Event
    created: bool
    waitlist_position: int | None
    manage_token: str | None  # only when a new link was made (new registration)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def manage_url(token: str) -> str:
    return f"{current_settings().base_url}/manage/{token}"


async def new_manage_link(registration: Registration, conn: BaseDBAsyncClient) -> str:
    token = secrets.token_urlsafe(32)  # 256 random bits
    await ManageLink.create(registration=registration, token_hash=hash_token(token), using_db=conn)
    return token


async def waitlist_position(registration: Registration, conn: BaseDBAsyncClient | None = None) -> int | None:
    if registration.status != RegistrationStatus.WAITLISTED or registration.waitlist_seq is None:
        return None
    query = Registration.filter(
        event_id=registration.event_id,
        status=RegistrationStatus.WAITLISTED,
        waitlist_seq__lte=registration.waitlist_seq,
    )
    return await (query.using_db(conn) if conn else query).count()


async def _confirmed_count(event_id: int, conn: BaseDBAsyncClient) -> int:
    return (
        await Registration.filter(event_id=event_id, status=RegistrationStatus.CONFIRMED)
        .using_db(conn)
        .count()
    )


async def _next_waitlist_seq(event_id: int, conn: BaseDBAsyncClient) -> int:
    row = (
        await Registration.filter(event_id=event_id)
        .using_db(conn)
        .annotate(top=Max("waitlist_seq"))
        .first()
        .values("top")
    )
    return int((row or {}).get("top") or 0) + 1


def _ensure_open(event: Event, now: datetime) -> None:
    state = registration_state(event, now=now)
    if state != "open":
        raise RegistrationClosed(CLOSED_MESSAGES[state])


async def register_attendee(*, slug: str, data: RegistrationInput, now: datetime | None = None) -> RegistrationOutcome:
    """Give the person a seat if one is free, else a place at the end of the waitlist.

    The same email for the same event returns the existing active registration
    (``created=False``); a cancelled one is reactivated at the back of the queue.

    A new person is the common case and costs three queries: the event, the
    organisation and the seat claim; an email already registered for the event is
    refused by the unique (event, email) key and handled after that.
    """
    now = now or utcnow()
    event = await remembered_event(slug=slug)
    _ensure_open(event, now)
    email_key = data.email.casefold()
    organisation = await find_or_create_organisation(
        name=data.organisation, country=data.country, kind=data.organisation_kind
    )
    seat = {"email_key": email_key, "data": data, "organisation": organisation, "now": now}
    try:
        registration, event, token, position = await _take_seat_or_queue(event=event, existing_id=None, **seat)
    except IntegrityError:  # this email is registered for this event already
        existing = await Registration.get(event_id=event.id, email_key=email_key)
        if existing.status != RegistrationStatus.CANCELLED:
            return RegistrationOutcome(existing, event, False, await waitlist_position(existing), None)
        registration, event, token, position = await _take_seat_or_queue(event=event, existing_id=existing.id, **seat)
    created = token is not None  # None: the same email got there first while we waited
    if position is None:
        position = await waitlist_position(registration)
    return RegistrationOutcome(registration, event, created, position, token)


async def _take_seat_or_queue(
    *,
    event: Event,
    existing_id: int | None,
    email_key: str,
    data: RegistrationInput,
    organisation: Organisation,
    now: datetime,
) -> tuple[Registration, Event, str | None, int | None]:
    if existing_id is None and one_statement_claim_available():
        return await _claim_new_seat(
            event=event, email_key=email_key, data=data, organisation=organisation, now=now
        )
    async with in_transaction() as conn:
        event = await lock_event(event.id, conn)
        _ensure_open(event, now)  # it may have been cancelled while we waited for the lock
        if existing_id is not None:  # a cancelled registration comes back (same calendar UID)
            registration = await Registration.get(id=existing_id).using_db(conn)
            if registration.status != RegistrationStatus.CANCELLED:
                return registration, event, None, None
            registration.ical_sequence += 1
            registration.ticket_secret = None  # re-issued: the old ticket stays dead, a new one is made on use
            registration.badge_printed_at = None
            await CheckIn.filter(registration_id=registration.id).using_db(conn).delete()  # a fresh start
        else:
            registration = Registration(uid=uuid.uuid4(), event=event, email_key=email_key, ical_sequence=0)
        has_seat = await _confirmed_count(event.id, conn) < event.capacity
        registration.name = data.name
        registration.email = data.email
        registration.job_title = data.job_title
        registration.organisation = organisation
        registration.consent_version = current_settings().privacy_version
        registration.consent_at = now
        if has_seat:
            transition(registration, RegistrationStatus.CONFIRMED, now=now)
        else:
            transition(registration, RegistrationStatus.WAITLISTED, now=now)
            registration.waitlist_seq = await _next_waitlist_seq(event.id, conn)
        await registration.save(using_db=conn)
        token = await new_manage_link(registration, conn)
        await queue_registration_email(
            kind=EmailKind.CONFIRMATION if has_seat else EmailKind.WAITLIST,
            registration=registration,
            event=event,
            organisation=organisation,
            manage_url=manage_url(token),
            conn=conn,
        )
        await sync_seat_counters(event=event, conn=conn)
    return registration, event, token, None


def one_statement_claim_available() -> bool:
    """PostgreSQL runs the claim as one statement; SQLite (one process) takes the ORM path."""
    return connections.get("default").capabilities.dialect == "postgres"


async def _claim_new_seat(
    *, event: Event, email_key: str, data: RegistrationInput, organisation: Organisation, now: datetime
) -> tuple[Registration, Event, str | None, int | None]:
    """PostgreSQL: one statement claims the seat and writes everything (see seat_claim.py)."""
    settings = current_settings()
    token = secrets.token_urlsafe(32)
    uid = uuid.uuid4()
    claim = await claim_seat_postgres(
        event_id=event.id,
        organisation_id=organisation.id,
        name=data.name,
        email=data.email,
        email_key=email_key,
        job_title=data.job_title,
        consent_version=settings.privacy_version,
        now=now,
        token_hash=hash_token(token),
        message_id=f"<{uid}.registered.{int(now.timestamp() * 1e6)}.{secrets.token_hex(6)}@{settings.host}>",
        manage_url=manage_url(token),
        registration_uid=uid,
    )
    if claim is None:  # closed or cancelled since we looked: say which
        _ensure_open(await Event.get(id=event.id), now)
        raise RegistrationClosed(CLOSED_MESSAGES["closed"])
    status = RegistrationStatus(claim.status)
    registration = Registration.construct(  # what the statement wrote, without reading it back
        _saved_in_db=True,
        id=claim.registration_id, uid=uid, event_id=event.id, organisation=organisation,
        name=data.name, email=data.email, email_key=email_key, job_title=data.job_title,
        status=status, waitlist_seq=claim.waitlist_seq, consent_version=settings.privacy_version,
        consent_at=now, ical_sequence=0, created_at=now, updated_at=now,
        confirmed_at=now if status == RegistrationStatus.CONFIRMED else None,
    )
    return registration, event, token, claim.waitlist_position


async def sync_seat_counters(*, event: Event, conn: BaseDBAsyncClient) -> None:
    """Recount the event's seat counters from the registrations. The caller holds the lock."""
    event.confirmed_count = await _confirmed_count(event.id, conn)
    event.waitlisted_count = (
        await Registration.filter(event_id=event.id, status=RegistrationStatus.WAITLISTED).using_db(conn).count()
    )
    event.waitlist_last_seq = await _next_waitlist_seq(event.id, conn) - 1
    await Event.filter(id=event.id).using_db(conn).update(
        confirmed_count=event.confirmed_count,
        waitlisted_count=event.waitlisted_count,
        waitlist_last_seq=event.waitlist_last_seq,
    )


async def promote_from_waitlist(*, event: Event, conn: BaseDBAsyncClient, now: datetime | None = None) -> list[Registration]:
    """Fill free seats from the head of the waitlist. The caller holds the event lock."""
    now = now or utcnow()
    free = event.capacity - await _confirmed_count(event.id, conn)
    if free <= 0 or event.status != EventStatus.PUBLISHED:
        return []
    waiting = (
        await Registration.filter(event_id=event.id, status=RegistrationStatus.WAITLISTED)
        .using_db(conn)
        .order_by("waitlist_seq")
        .limit(free)
        .prefetch_related("organisation")
    )
    for registration in waiting:
        transition(registration, RegistrationStatus.CONFIRMED, now=now)
        await registration.save(using_db=conn)
        token = await new_manage_link(registration, conn)
        await queue_registration_email(
            kind=EmailKind.PROMOTION,
            registration=registration,
            event=event,
            organisation=registration.organisation,
            manage_url=manage_url(token),
            conn=conn,
        )
    await sync_seat_counters(event=event, conn=conn)
    return list(waiting)


async def cancel_registration(*, registration_id: int, now: datetime | None = None) -> Registration:
    """Cancel a registration, email the person, and give the freed seat to the waitlist."""
    now = now or utcnow()
    registration = await Registration.filter(id=registration_id).first()
    if registration is None:
        raise NotFound("No such registration.")
    async with in_transaction() as conn:
        event = await lock_event(registration.event_id, conn)
        registration = (
            await Registration.filter(id=registration_id).using_db(conn).prefetch_related("organisation").get()
        )
        if registration.status == RegistrationStatus.CANCELLED:
            return registration  # cancelling twice is harmless
        had_invite = registration.status == RegistrationStatus.CONFIRMED
        transition(registration, RegistrationStatus.CANCELLED, now=now)
        registration.ical_sequence += 1
        await registration.save(using_db=conn)
        # first, so that the one cancellation email also removes their sessions from their calendar
        released = await release_picks_of(registration=registration, conn=conn, now=now)
        await queue_registration_email(
            kind=EmailKind.CANCELLATION,
            registration=registration,
            event=event,
            organisation=registration.organisation,
            with_invite=had_invite,
            cancelled_sessions=released,
            conn=conn,
        )
        await promote_from_waitlist(event=event, conn=conn, now=now)
        await sync_seat_counters(event=event, conn=conn)
    return registration


async def send_manage_link(*, registration_id: int) -> None:
    """Email a fresh manage link to the address of the registration (for "I lost my link").

    Only the owner of the mailbox gets it, so a form that reveals nothing can offer it.
    """
    async with in_transaction() as conn:
        registration = (
            await Registration.filter(id=registration_id)
            .using_db(conn)
            .prefetch_related("event", "organisation")
            .first()
        )
        if registration is None or registration.status == RegistrationStatus.CANCELLED:
            return
        recent = await OutboxMessage.filter(
            registration_id=registration.id,
            kind=EmailKind.MANAGE_LINK,
            created_at__gte=utcnow() - MANAGE_LINK_RESEND_INTERVAL,
        ).using_db(conn).exists()
        if recent:  # one link per quarter hour: the form must not become a way to spam someone
            return
        token = await new_manage_link(registration, conn)
        await queue_registration_email(
            kind=EmailKind.MANAGE_LINK,
            registration=registration,
            event=registration.event,
            organisation=registration.organisation,
            manage_url=manage_url(token),
            waitlist_position=await waitlist_position(registration, conn),
            with_invite=False,
            conn=conn,
        )


async def find_registration_by_token(*, token: str) -> Registration:
    """The registration a manage link belongs to; 404 for an unknown or malformed token."""
    if not token or len(token) > 100:
        raise NotFound("This link is not valid.")
    link = await ManageLink.filter(token_hash=hash_token(token)).prefetch_related(
        "registration__event", "registration__organisation"
    ).first()
    if link is None:
        raise NotFound("This link is not valid.")
    return link.registration


async def update_registration_details(*, token: str, data: DetailsInput) -> Registration:
    registration = await find_registration_by_token(token=token)
    if registration.status == RegistrationStatus.CANCELLED:
        raise Conflict("This registration is cancelled; register again to change it.")
    organisation = await find_or_create_organisation(
        name=data.organisation, country=data.country, kind=data.organisation_kind
    )
    registration.name = data.name
    registration.job_title = data.job_title
    registration.organisation = organisation
    await registration.save(update_fields=["name", "job_title", "organisation_id", "updated_at"])
    return registration


async def cancel_own_registration(*, token: str) -> Registration:
    registration = await find_registration_by_token(token=token)
    return await cancel_registration(registration_id=registration.id)


@dataclass(frozen=True, slots=True)
class RegistrationPage:
    items: list[Registration]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


async def list_registrations(
    *,
    event: Event,
    search: str = "",
    status: RegistrationStatus | None = None,
    page: int = 1,
    per_page: int = 50,
) -> RegistrationPage:
    query = Registration.filter(event_id=event.id)
    if status is not None:
        query = query.filter(status=status)
    if search:
        query = query.filter(
            Q(name__icontains=search) | Q(email__icontains=search) | Q(organisation__name__icontains=search)
        )
    total = await query.count()
    page = max(1, min(page, max(1, -(-total // per_page))))
    items = (
        await query.order_by("status", "waitlist_seq", "created_at", "id")
        .offset((page - 1) * per_page)
        .limit(per_page)
        .prefetch_related("organisation")
    )
    return RegistrationPage(list(items), total, page, per_page)


async def get_registration(*, registration_id: int) -> Registration:
    registration = await Registration.filter(id=registration_id).prefetch_related("event", "organisation").first()
    if registration is None:
        raise NotFound("No such registration.")
    return registration


async def list_all_registrations(*, event: Event) -> list[Registration]:
    return list(
        await Registration.filter(event_id=event.id)
        .order_by("created_at", "id")
        .prefetch_related("organisation")
    )



async def waitlist_positions(*, event_id: int) -> dict[int, int]:
    """Registration id -> 1-based place in the event's waitlist (one query, for lists)."""
    ids = (
        await Registration.filter(event_id=event_id, status=RegistrationStatus.WAITLISTED)
        .order_by("waitlist_seq", "id")
        .values_list("id", flat=True)
    )
    return {int(rid): place for place, rid in enumerate(ids, start=1)}
