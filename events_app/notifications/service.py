"""Queue emails in the outbox (inside the caller's transaction) and deliver them later.

Delivery is at-least-once with a stable Message-ID: a message is claimed with a
lease (``locked_until``), sent, then marked sent. A crash between the SMTP
accept and the mark is the only window for a duplicate; the lease keeps two
senders from sending the same row at once, and a sender stops starting new
sends long before its lease runs out (so a slow server cannot let a second
sender take over rows the first one is still working through).
"""

from __future__ import annotations

import base64
import logging
import secrets
import time
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q
from tortoise.functions import Min
from tortoise.transactions import in_transaction

from events_app.calendar.invite import build_invite, invite_sequence
from events_app.clock import utcnow
from events_app.events.models import Event
from events_app.notifications.agenda_render import (
    AGENDA_KINDS,
    NotNeeded,
    SessionCancels,
    render_agenda_email,
    session_cancels,
)
from events_app.notifications.compose import compose_registration_email
from events_app.notifications.mailer import Mailer, PermanentDeliveryError, build_mime
from events_app.notifications.models import OutboxMessage, OutboxStatus
from events_app.organisations.models import Organisation
from events_app.registration.models import Registration, RegistrationStatus
from events_app.settings import current_settings

log = logging.getLogger("events_app.outbox")

MAX_ATTEMPTS = 56  # about two days of retries with the backoff below (hourly after the 9th)
LEASE = timedelta(minutes=10)
# A round starts no new send after this much of its lease: one SMTP send is bounded by
# the mailer's per-command timeouts (about 6 x 15 s), far less than the rest of the lease.
SEND_BUDGET = LEASE / 2


class EmailKind(StrEnum):
    CONFIRMATION = "confirmation"
    WAITLIST = "waitlist"
    PROMOTION = "promotion"
    CANCELLATION = "cancellation"
    EVENT_UPDATE = "event_update"
    EVENT_CANCELLED = "event_cancelled"
    MANAGE_LINK = "manage_link"
    NEW_TICKET = "new_ticket"  # an organiser replaced the ticket (lost or shared)
    # Agenda (see agenda_emails.py): invites per session, several sessions in one email.
    SESSION_PICKS = "session_picks"
    SESSION_PROMOTION = "session_promotion"
    AGENDA_UPDATE = "agenda_update"
    REMINDER = "reminder"
    RECORDING = "recording"


_INVITE_METHOD = {
    EmailKind.CONFIRMATION: "REQUEST",
    EmailKind.PROMOTION: "REQUEST",
    EmailKind.EVENT_UPDATE: "REQUEST",
    EmailKind.CANCELLATION: "CANCEL",
    EmailKind.EVENT_CANCELLED: "CANCEL",
}


# In-person events: these emails carry the PDF ticket (rendered once, with the rest of the email).
TICKET_KINDS = {EmailKind.CONFIRMATION, EmailKind.PROMOTION, EmailKind.NEW_TICKET}


async def ticket_attachment(registration: Registration) -> dict[str, str]:
    from events_app.badges.service import render_ticket  # the badges feature builds on this one

    pdf = await render_ticket(registration)
    return {"filename": "ticket.pdf", "content_type": "application/pdf", "data": base64.b64encode(pdf).decode()}


def backoff(attempts: int) -> timedelta:
    """Delay before retry number ``attempts`` + 1: 15 s, 30 s, 1 min ... capped at 1 h."""
    return timedelta(seconds=min(15 * 2 ** max(0, attempts - 1), 3600))


async def queue_registration_email(
    *,
    kind: EmailKind,
    registration: Registration,
    event: Event,
    organisation: Organisation | None = None,
    conn: BaseDBAsyncClient,
    manage_url: str | None = None,
    waitlist_position: int | None = None,
    with_invite: bool = True,
    cancelled_sessions: list[tuple[int, int]] | None = None,
    now: datetime | None = None,
) -> OutboxMessage:
    """Write one email about ``registration`` to the outbox, in the caller's transaction.

    Only what the change knows is stored (kind, recipient, manage link, calendar
    SEQUENCE); the text, HTML and invite are rendered by the sender, outside the
    caller's lock (see :func:`render_outbox_message`). ``cancelled_sessions``: (session id,
    SEQUENCE) of the person's session entries that a CANCEL email also removes.
    """
    settings = current_settings()
    now = now or utcnow()
    # Unique even for two emails of one kind to one registration in the same microsecond
    # (a random part), and stable across retries (it is stored with the row).
    outbox_id = (
        f"<{registration.uid}.{kind.value}.{registration.ical_sequence}."
        f"{int(now.timestamp() * 1e6)}.{secrets.token_hex(6)}@{settings.host}>"
    )
    method = _INVITE_METHOD.get(kind) if with_invite else None
    payload: dict[str, Any] = {
        "manage_url": manage_url,
        "waitlist_position": waitlist_position,
        "method": method,
        "sequence": invite_sequence(event, registration),
    }
    if method == "CANCEL" and cancelled_sessions:
        payload["sessions"] = [
            {"session_id": session_id, "method": "CANCEL", "sequence": sequence}
            for session_id, sequence in cancelled_sessions
        ]
    return await OutboxMessage.create(
        message_id=outbox_id,
        kind=kind.value,
        registration=registration,
        to_email=registration.email,
        to_name=registration.name,
        payload=payload,
        ics_method=method or "",
        next_attempt_at=now,
        using_db=conn,
    )


async def render_outbox_message(message: OutboxMessage, *, now: datetime | None = None) -> OutboxMessage:
    """Render subject, text, HTML and invite of a queued message once, and keep them."""
    if message.rendered_at is not None:
        return message
    settings = current_settings()
    now = now or utcnow()
    registration = (
        await Registration.filter(id=message.registration_id).prefetch_related("event", "organisation").first()
        if message.registration_id
        else None
    )
    if registration is None:
        raise LookupError("the registration of this message no longer exists")
    event = registration.event
    payload = message.payload or {}
    if message.kind in AGENDA_KINDS:
        email = await render_agenda_email(
            kind=message.kind, payload=payload, event=event, registration=registration, now=now
        )
        message.subject, message.body_text, message.body_html = email.subject, email.text, email.html
        # The text/calendar alternative carries the first object (REQUEST if any); the
        # payload keeps all of them for the attachments (see mailer.build_mime).
        message.ics = email.inline.text if email.inline else ""
        message.ics_method = email.inline.method if email.inline else ""
        message.payload = {**payload, "calendars": [c.as_json() for c in email.calendars]}
        message.rendered_at = now
        await message.save(
            update_fields=["subject", "body_text", "body_html", "ics", "ics_method", "payload", "rendered_at"]
        )
        return message
    position = payload.get("waitlist_position")
    if message.kind == EmailKind.WAITLIST and position is None and registration.waitlist_seq is not None:
        position = await Registration.filter(
            event_id=registration.event_id,
            status=RegistrationStatus.WAITLISTED,
            waitlist_seq__lte=registration.waitlist_seq,
        ).count()
    event_url = f"{settings.base_url}/events/{event.slug}"
    method = payload.get("method")
    ics = ""
    if method:
        ics = build_invite(
            event=event,
            registration=registration,
            method=method,
            organizer_email=settings.mail_from,
            organizer_name="EcoProcura network events",
            host=settings.host,
            event_url=event_url,
            now=now,
            sequence=payload.get("sequence"),
        )
    # A cancellation (of the registration or the event) also removes the person's own
    # session entries: their CANCELs join the inline object, and each gets a file of its own.
    sessions = SessionCancels([], ics, [])
    if method == "CANCEL" and payload.get("sessions"):
        sessions = await session_cancels(
            event=event, registration=registration, entries=list(payload["sessions"]), event_ics=ics, now=now
        )
    draft = compose_registration_email(
        kind=message.kind,
        registration=registration,
        event=event,
        organisation=registration.organisation,
        manage_url=payload.get("manage_url"),
        event_url=event_url,
        waitlist_position=position,
        has_invite=bool(ics),
        sessions=sessions.lines,
    )
    message.subject = draft.subject
    message.body_text = draft.text
    message.body_html = draft.html
    message.ics = sessions.inline
    message.ics_method = method or ""
    if sessions.files:
        # invite.ics: the event's own CANCEL, one UID as before; then one file per session
        files = [{"method": "CANCEL", "filename": "invite.ics", "ics": ics}, *(f.as_json() for f in sessions.files)]
        message.payload = {**payload, "calendars": files}
    if message.kind in TICKET_KINDS and not event.is_online and registration.status == RegistrationStatus.CONFIRMED:
        try:
            attachment = await ticket_attachment(registration)
        except Exception:  # the email matters more than its attachment: the manage page has the ticket too
            log.exception("ticket PDF for registration %s could not be rendered; sending without it", registration.id)
        else:
            message.payload = {**(message.payload or payload), "attachments": [attachment]}
    message.rendered_at = now
    await message.save(
        update_fields=["subject", "body_text", "body_html", "ics", "ics_method", "payload", "rendered_at"]
    )
    return message


async def _oldest_per_registration(messages: list[OutboxMessage], conn: BaseDBAsyncClient) -> list[OutboxMessage]:
    """Keep only messages with no older pending one for the same registration.

    A person must get "confirmed" before "cancelled" even when the first one is
    waiting for a retry: the later message waits for it.
    """
    registration_ids = {m.registration_id for m in messages if m.registration_id is not None}
    if not registration_ids:
        return messages
    rows = (
        await OutboxMessage.filter(status=OutboxStatus.PENDING, registration_id__in=registration_ids)
        .using_db(conn)
        .annotate(first=Min("id"))
        .group_by("registration_id")
        .values("registration_id", "first")
    )
    first = {row["registration_id"]: row["first"] for row in rows}
    return [m for m in messages if m.registration_id is None or first.get(m.registration_id) == m.id]


async def claim_due_messages(*, limit: int = 20, now: datetime | None = None) -> list[OutboxMessage]:
    """Lease up to ``limit`` due messages to this sender (skipping rows another sender holds)."""
    now = now or utcnow()
    async with in_transaction() as conn:
        query = (
            OutboxMessage.filter(status=OutboxStatus.PENDING, next_attempt_at__lte=now)
            .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
            .order_by("id")
            .limit(limit)
            .using_db(conn)
        )
        if conn.capabilities.dialect == "postgres":
            query = query.select_for_update(skip_locked=True)
        messages = await _oldest_per_registration(list(await query), conn)
        if messages:
            await OutboxMessage.filter(id__in=[m.id for m in messages]).using_db(conn).update(
                locked_until=now + LEASE
            )
    return messages


async def deliver_due_messages(*, mailer: Mailer, limit: int = 20, now: datetime | None = None) -> int:
    """Send what is due; return how many were sent. Failures are rescheduled with backoff.

    A message the server refuses for good (:class:`PermanentDeliveryError`) is marked
    failed at once; any other failure is retried until ``MAX_ATTEMPTS``.
    """
    settings = current_settings()
    sent = 0
    started = time.monotonic()
    claimed = await claim_due_messages(limit=limit, now=now)
    for index, message in enumerate(claimed):
        if time.monotonic() - started > SEND_BUDGET.total_seconds():
            # Too slow to finish inside the lease: hand the rest back rather than risk a
            # second sender claiming them while we still might send them.
            rest = [m.id for m in claimed[index:]]
            await OutboxMessage.filter(id__in=rest).update(locked_until=None)
            log.warning("outbox round ran out of time; released %s messages", len(rest))
            break
        try:
            message = await render_outbox_message(message, now=now)
            await mailer.send(build_mime(message, sender=settings.mail_from))
        except NotNeeded as exc:  # e.g. a reminder for a registration cancelled since: send nothing
            await OutboxMessage.filter(id=message.id).update(
                status=OutboxStatus.SENT, locked_until=None, last_error=f"not sent: {exc}"[:500]
            )
            continue
        except Exception as exc:  # any SMTP or network failure: retry later
            attempts = message.attempts + 1
            failed = attempts >= MAX_ATTEMPTS or isinstance(exc, PermanentDeliveryError | LookupError)
            await OutboxMessage.filter(id=message.id).update(
                attempts=attempts,
                status=OutboxStatus.FAILED if failed else OutboxStatus.PENDING,
                next_attempt_at=utcnow() + backoff(attempts),
                locked_until=None,
                last_error=f"{type(exc).__name__}: {exc}"[:500],
            )
            log.warning("outbox message %s failed (attempt %s): %s", message.id, attempts, exc)
            continue
        await OutboxMessage.filter(id=message.id).update(
            status=OutboxStatus.SENT,
            attempts=message.attempts + 1,
            sent_at=utcnow(),
            locked_until=None,
            last_error="",
        )
        sent += 1
    return sent


async def outbox_counts() -> dict[str, int]:
    counts = {}
    for status in OutboxStatus:
        counts[status.value] = await OutboxMessage.filter(status=status).count()
    return counts
