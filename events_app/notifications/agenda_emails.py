"""Emails about sessions of the agenda, queued in the caller's transaction.

Like every outbox email, only what the change knows goes in the payload; the
sender renders text, HTML and the calendar invites at send time. A person gets
one email per change they made (``session_picks``), per promotion from a
session waitlist (``session_promotion``) and per agenda publish that touched
any of their sessions (``agenda_update``, however many sessions changed).

Invite entries in a payload: ``{"session_id", "method": "REQUEST" | "CANCEL",
"sequence"}``; the UID of a person's entry for a session is stable
(calendar/sessions.py), the SEQUENCE is the session's counter plus the
pick's, so it grows with every change of either.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from datetime import datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from events_app.agenda.models import AgendaSession, PickStatus, SessionPick
from events_app.clock import utcnow
from events_app.events.models import Event
from events_app.notifications.models import OutboxMessage
from events_app.notifications.service import EmailKind
from events_app.registration.models import Registration, RegistrationStatus
from events_app.settings import current_settings


def _message_id(registration: Registration, kind: str, now: datetime) -> str:
    return f"<{registration.uid}.{kind}.{int(now.timestamp() * 1e6)}.{secrets.token_hex(6)}@{current_settings().host}>"


async def _queue(
    *, kind: EmailKind, registration: Registration, payload: dict[str, Any], conn: BaseDBAsyncClient, now: datetime
) -> OutboxMessage:
    return await OutboxMessage.create(
        message_id=_message_id(registration, kind.value, now),
        kind=kind.value,
        registration_id=registration.id,
        to_email=registration.email,
        to_name=registration.name,
        payload=payload,
        next_attempt_at=now,
        using_db=conn,
    )


async def _sequences(registration: Registration, session_ids: list[int], conn: BaseDBAsyncClient) -> dict[int, int]:
    if not session_ids:
        return {}
    sessions = {int(s.id): s.ical_sequence for s in await AgendaSession.filter(id__in=session_ids).using_db(conn)}
    picks = {
        int(p.session_id): p.ical_sequence  # type: ignore[attr-defined]
        for p in await SessionPick.filter(registration_id=registration.id, session_id__in=session_ids).using_db(conn)
    }
    return {sid: sessions.get(sid, 0) + picks.get(sid, 0) for sid in session_ids}


async def queue_session_email(
    *,
    kind: str,
    registration: Registration,
    conn: BaseDBAsyncClient,
    confirmed: list[int] | None = None,
    waitlisted: list[int] | None = None,
    dropped: list[int] | None = None,
    left_waitlist: list[int] | None = None,
    now: datetime | None = None,
) -> OutboxMessage:
    """One email about a change of the person's session places (``session_picks`` or
    ``session_promotion``): REQUEST invites for new seats, CANCEL for given-up seats."""
    now = now or utcnow()
    confirmed, waitlisted = confirmed or [], waitlisted or []
    dropped, left_waitlist = dropped or [], left_waitlist or []
    sequences = await _sequences(registration, confirmed + dropped, conn)
    invites = [{"session_id": sid, "method": "REQUEST", "sequence": sequences[sid]} for sid in confirmed]
    invites += [{"session_id": sid, "method": "CANCEL", "sequence": sequences[sid]} for sid in dropped]
    payload = {
        "confirmed": confirmed, "waitlisted": waitlisted, "dropped": dropped, "left_waitlist": left_waitlist,
        "invites": invites,
    }
    return await _queue(kind=EmailKind(kind), registration=registration, payload=payload, conn=conn, now=now)


async def queue_agenda_change_emails(
    *,
    event: Event,
    changes: list[tuple[AgendaSession, str, dict[str, Any]]],
    conn: BaseDBAsyncClient,
    now: datetime | None = None,
) -> int:
    """After a publish: one ``agenda_update`` email per person holding a place in any changed
    session, listing all of their changed sessions. ``changes`` holds (session, "moved" |
    "changed" | "cancelled", the values before). Waitlisted people hear about a cancellation
    (without invite: they never had the entry). Returns the number of emails queued."""
    now = now or utcnow()
    if not changes:
        return 0
    by_session = {int(s.id): (s, change, before) for s, change, before in changes}
    picks = list(
        await SessionPick.filter(session_id__in=list(by_session), status__not=PickStatus.CANCELLED)
        .using_db(conn)
        .order_by("registration_id", "session_id")
        .prefetch_related("registration")
    )
    per_person: dict[int, list[SessionPick]] = defaultdict(list)
    for pick in picks:
        if pick.registration.status != RegistrationStatus.CONFIRMED:
            continue
        _, change, _ = by_session[int(pick.session_id)]  # type: ignore[attr-defined]
        if pick.status == PickStatus.WAITLISTED and change != "cancelled":
            continue
        per_person[int(pick.registration_id)].append(pick)  # type: ignore[attr-defined]
    for person_picks in per_person.values():
        registration = person_picks[0].registration
        entries = []
        for pick in person_picks:
            session, change, before = by_session[int(pick.session_id)]  # type: ignore[attr-defined]
            entries.append({
                "session_id": int(session.id),
                "change": change,
                "before": before,
                "method": "CANCEL" if change == "cancelled" else "REQUEST",
                "sequence": session.ical_sequence + pick.ical_sequence,
                "invite": pick.status == PickStatus.CONFIRMED,
            })
        await _queue(
            kind=EmailKind.AGENDA_UPDATE, registration=registration, payload={"changes": entries}, conn=conn, now=now
        )
    return len(per_person)
