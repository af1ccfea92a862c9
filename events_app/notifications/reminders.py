"""Reminder emails before webinars: online events, and sessions with a join link.

:func:`queue_due_reminders` runs in the sender loop about every half minute (see
worker.py). For each upcoming online event (``is_online`` or kind ``webinar``) and
each published session with a join link, it takes the reminder due now: the
nearest of the event's ``reminder_offsets`` whose moment has come. So a reminder
whose time has long passed is not sent late (no "24 hours" reminder when the
webinar starts in 30 minutes and the 1 hour one is due). It queues that reminder
for every confirmed person (for a session that needs a sign-up: with a confirmed
place in it; for an online session open to all, such as a plenary livestream:
every confirmed attendee of the event) who was already confirmed at the
reminder's moment: someone who registers 30 minutes before the start has just
had their confirmation and gets no reminder on top.

Sent once each, across restarts and concurrent workers: a reminder's Message-ID
is derived from (target, person, offset, start), ``message_id`` is unique, and
rows are inserted with ``ON CONFLICT DO NOTHING``. A start that moves gets its own
reminders (the old ones, if still queued, are dropped when rendered: see
agenda_render.py, which also drops reminders of people who cancelled since).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q

from events_app.agenda.join_links import is_open_online
from events_app.agenda.models import AgendaSession, PickStatus, SessionPick, SessionStatus
from events_app.clock import utcnow
from events_app.events.models import Event, EventKind, EventStatus
from events_app.notifications.models import OutboxMessage
from events_app.registration.models import Registration, RegistrationStatus
from events_app.settings import current_settings

log = logging.getLogger("events_app.reminders")

MIN_OFFSET_MINUTES = 5
MAX_OFFSET_MINUTES = 14 * 24 * 60  # two weeks: the longest reminder an organiser can set
SCHEDULE_EVERY = 30.0  # seconds between two scheduler runs in the sender loop
_CHUNK = 500  # ids per "which exist already" query


def due_offset(*, starts_at: datetime, offsets: Iterable[int], now: datetime) -> int | None:
    """The reminder to send at ``now`` (minutes before ``starts_at``), or None.

    The smallest offset whose moment has come: the nearest one. Nothing once started.
    """
    if now >= starts_at:
        return None
    due = [o for o in offsets if starts_at - timedelta(minutes=o) <= now]
    return min(due) if due else None


def reminder_message_id(*, target: str, registration: Registration, offset: int, starts_at: datetime) -> str:
    """Stable Message-ID of one reminder: ``target`` is ``event<id>`` or ``session<id>``."""
    start = starts_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"<reminder.{target}.{registration.uid}.{offset}m.{start}@{current_settings().host}>"


async def queue_once(messages: list[OutboxMessage], *, conn: BaseDBAsyncClient | None = None) -> int:
    """Insert the outbox rows whose Message-ID is not there yet; return how many were new.

    A row another worker inserts at the same moment is skipped by the database
    (ON CONFLICT DO NOTHING on the unique ``message_id``), not raised as an error.
    """
    if not messages:
        return 0
    ids = [m.message_id for m in messages]
    existing: set[str] = set()
    for start in range(0, len(ids), _CHUNK):
        query = OutboxMessage.filter(message_id__in=ids[start : start + _CHUNK])
        existing.update(await (query.using_db(conn) if conn else query).values_list("message_id", flat=True))
    new = [m for m in messages if m.message_id not in existing]
    if new:
        await OutboxMessage.bulk_create(new, batch_size=200, ignore_conflicts=True, using_db=conn)
    return len(new)


@dataclass(frozen=True, slots=True)
class _Target:
    name: str  # event<id> or session<id>
    session_id: int | None
    starts_at: datetime
    offset: int


def _reminder(target: _Target, registration: Registration, now: datetime) -> OutboxMessage:
    return OutboxMessage(
        message_id=reminder_message_id(
            target=target.name, registration=registration, offset=target.offset, starts_at=target.starts_at
        ),
        kind="reminder",
        registration_id=registration.id,
        to_email=registration.email,
        to_name=registration.name,
        payload={
            "target": target.name,
            "session_id": target.session_id,
            "offset": target.offset,
            "starts_at": target.starts_at.isoformat(),
        },
        next_attempt_at=now,
    )


def _confirmed_before(moment: datetime | None, deadline: datetime) -> bool:
    return moment is None or moment <= deadline


async def _event_reminders(now: datetime, horizon: datetime) -> list[OutboxMessage]:
    events = await Event.filter(
        Q(is_online=True) | Q(kind=EventKind.WEBINAR),
        status=EventStatus.PUBLISHED,
        starts_at__gt=now,
        starts_at__lte=horizon,
    )
    rows = []
    for event in events:
        offset = due_offset(starts_at=event.starts_at, offsets=event.reminder_offsets, now=now)
        if offset is None:
            continue
        target = _Target(f"event{event.id}", None, event.starts_at, offset)
        moment = event.starts_at - timedelta(minutes=offset)
        for registration in await Registration.filter(event_id=event.id, status=RegistrationStatus.CONFIRMED):
            if _confirmed_before(registration.confirmed_at, moment):
                rows.append(_reminder(target, registration, now))
    return rows


async def _session_reminders(now: datetime, horizon: datetime) -> list[OutboxMessage]:
    sessions = await (
        AgendaSession.filter(
            status=SessionStatus.PUBLISHED,
            starts_at__gt=now,
            starts_at__lte=horizon,
            event__status=EventStatus.PUBLISHED,
        )
        .exclude(online_url="")
        .prefetch_related("event")
    )
    rows = []
    for session in sessions:
        offset = due_offset(starts_at=session.starts_at, offsets=session.event.reminder_offsets, now=now)
        if offset is None:
            continue
        target = _Target(f"session{session.id}", int(session.id), session.starts_at, offset)
        moment = session.starts_at - timedelta(minutes=offset)
        if is_open_online(session):  # no sign-up: every confirmed attendee of the event
            for registration in await Registration.filter(
                event_id=session.event_id, status=RegistrationStatus.CONFIRMED  # type: ignore[attr-defined]
            ):
                if _confirmed_before(registration.confirmed_at, moment):
                    rows.append(_reminder(target, registration, now))
            continue
        picks = await SessionPick.filter(
            session_id=session.id, status=PickStatus.CONFIRMED, registration__status=RegistrationStatus.CONFIRMED
        ).prefetch_related("registration")
        for pick in picks:
            if _confirmed_before(pick.updated_at, moment):
                rows.append(_reminder(target, pick.registration, now))
    return rows


async def queue_due_reminders(*, now: datetime | None = None) -> int:
    """Queue every reminder due at ``now`` that is not queued yet; return how many were new."""
    now = now or utcnow()
    horizon = now + timedelta(minutes=MAX_OFFSET_MINUTES)
    rows = await _event_reminders(now, horizon) + await _session_reminders(now, horizon)
    queued = await queue_once(rows)
    if queued:
        log.info("queued %s reminder emails", queued)
    return queued
