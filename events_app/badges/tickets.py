"""Ticket secrets: what a ticket's or badge's QR code holds.

A code is ``EA1-`` followed by 32 base32 characters: 160 random bits from :mod:`secrets`,
never derived from the registration's id or email. It is stored on the registration (the
PDFs print it again and again), given on first use, replaced when the registration is
re-issued (the old code then reads as not valid), and dead once the registration is cancelled
(it reads as cancelled). Upper-case base32 fits a QR code's alphanumeric mode, so the symbol
stays small, and people can type it from a printed ticket if a scanner fails.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from events_app.errors import Conflict, NotFound
from events_app.events.models import Event
from events_app.registration.models import Registration, RegistrationStatus

CODE_PREFIX = "EA1-"
SECRET_BYTES = 20  # 160 bits
CODE_PATTERN = re.compile(r"EA1-[A-Z2-7]{32}")
MAX_CODE_LENGTH = 200


def new_secret() -> str:
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii").rstrip("=")


def ticket_code(registration: Registration) -> str:
    """The QR content of a registration whose secret is set (see :func:`ensure_ticket`)."""
    assert registration.ticket_secret, "call ensure_ticket first"
    return CODE_PREFIX + registration.ticket_secret


def code_hash(code: str) -> str:
    """SHA-256 of a code, as the offline check-in list carries it (never the code itself)."""
    return hashlib.sha256(code.encode("ascii")).hexdigest()


def normalise_code(raw: str) -> str | None:
    """The code in canonical form, or None when it cannot be one of ours.

    Scanners and people add spaces, lower-case letters or a trailing newline; a URL-style
    prefix is not accepted (the QR holds the bare code).
    """
    if not isinstance(raw, str) or len(raw) > MAX_CODE_LENGTH:
        return None
    code = "".join(raw.split()).upper()
    return code if CODE_PATTERN.fullmatch(code) else None


async def ensure_ticket(registration: Registration, conn: BaseDBAsyncClient | None = None) -> Registration:
    """Give a confirmed registration its secret if it has none yet (race-safe: the first writer wins)."""
    if registration.ticket_secret:
        return registration
    if registration.status != RegistrationStatus.CONFIRMED:
        raise Conflict("Only a confirmed registration has a ticket.")
    query = Registration.filter(id=registration.id, ticket_secret__isnull=True)
    await (query.using_db(conn) if conn else query).update(ticket_secret=new_secret())
    fresh = Registration.filter(id=registration.id).only("id", "ticket_secret")
    registration.ticket_secret = (await (fresh.using_db(conn) if conn else fresh).get()).ticket_secret
    return registration


async def ensure_event_tickets(event: Event) -> int:
    """Give every confirmed registration of the event a secret; return how many were new."""
    missing = await Registration.filter(event_id=event.id, status=RegistrationStatus.CONFIRMED,
                                        ticket_secret__isnull=True).order_by("id").values_list("id", flat=True)
    async with in_transaction() as conn:
        for registration_id in missing:
            await Registration.filter(id=registration_id, ticket_secret__isnull=True).using_db(conn).update(
                ticket_secret=new_secret())
    return len(missing)


async def reissue_ticket(registration: Registration, conn: BaseDBAsyncClient | None = None) -> Registration:
    """Replace the secret (a lost or shared ticket): the old code reads as not valid from now on."""
    if registration.status != RegistrationStatus.CONFIRMED:
        raise Conflict("Only a confirmed registration has a ticket.")
    registration.ticket_secret, registration.badge_printed_at = new_secret(), None  # the printed badge is dead
    query = Registration.filter(id=registration.id)
    await (query.using_db(conn) if conn else query).update(ticket_secret=registration.ticket_secret,
                                                           badge_printed_at=None)
    return registration


async def reissue_event_ticket(*, slug: str, registration_id: int) -> Registration:
    """Organiser: a new ticket for one registration of the event (lost or shared); the old code dies."""
    registration = await Registration.filter(id=registration_id, event__slug=slug).first() \
        if 0 < registration_id <= 2**31 - 1 else None
    if registration is None:
        raise NotFound("No such registration at this event.")
    from events_app.notifications.service import (  # (it imports this feature)
        EmailKind,
        queue_registration_email,
    )
    from events_app.registration.service import manage_url, new_manage_link

    async with in_transaction() as conn:
        registration = await reissue_ticket(registration, conn=conn)
        await registration.fetch_related("event", "organisation", using_db=conn)
        await queue_registration_email(
            kind=EmailKind.NEW_TICKET, registration=registration, event=registration.event,
            organisation=registration.organisation, with_invite=False, conn=conn,
            manage_url=manage_url(await new_manage_link(registration, conn)))
    return registration


async def find_by_code(code: str) -> Registration | None:
    """The registration whose ticket this exact code is (any event, any status), or None."""
    secret = code.removeprefix(CODE_PREFIX)
    return await Registration.filter(ticket_secret=secret).select_related("event", "organisation").first()
