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

Publishes that follow each other before the sender runs do not pile up: a person's
agenda_update still waiting unrendered is merged into the next one and retired
(marked sent, last_error "superseded by a later update").
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from datetime import datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q

from events_app.agenda.models import AgendaSession, PickStatus, Room, SessionPick
from events_app.clock import utcnow
from events_app.events.models import Event
from events_app.notifications.agenda_render import differences, link_changed
from events_app.notifications.models import OutboxMessage, OutboxStatus
from events_app.notifications.service import EmailKind
from events_app.registration.models import Registration, RegistrationStatus
from events_app.settings import current_settings

# last_error of an agenda_update merged into a later one before it was sent
SUPERSEDED = "superseded by a later update"


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


def _entry(session: AgendaSession, change: str, before: dict[str, Any], pick: SessionPick, room_name: str) -> dict[str, Any]:
    return {
        "session_id": int(session.id),
        "change": change,
        "before": before,
        "method": "CANCEL" if change == "cancelled" else "REQUEST",
        "sequence": session.ical_sequence + pick.ical_sequence,
        "invite": pick.status == PickStatus.CONFIRMED,
        # a "changed" session that kept its title: its online link changed (the publish does
        # not record the old link, so a merge must remember this)
        "link_changed": change == "changed" and "title" not in differences(before, session, room_name),
    }


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
    (without invite: they never had the entry).

    A person's earlier agenda_update that is still waiting, unrendered, is merged into the new
    one and retired (see :func:`_merge`), so they get one email that compares with what they
    last heard, and none if everything is back where it was. Returns the number queued."""
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
    if not per_person:
        return 0
    rooms = {int(r.id): r.name for r in await Room.filter(event_id=event.id).using_db(conn)}
    waiting = await _unsent_updates(list(per_person), conn, now)
    queued = 0
    for registration_id, person_picks in per_person.items():
        registration = person_picks[0].registration
        entries = []
        for pick in person_picks:
            session, change, before = by_session[int(pick.session_id)]  # type: ignore[attr-defined]
            entries.append(_entry(session, change, before, pick, _room_of(session, rooms)))
        older = waiting.get(registration_id, [])
        if older:
            entries = await _merge(older, entries, registration, rooms, conn)
            await OutboxMessage.filter(id__in=[m.id for m in older]).using_db(conn).update(
                status=OutboxStatus.SENT, locked_until=None, last_error=SUPERSEDED
            )
        if entries:
            await _queue(
                kind=EmailKind.AGENDA_UPDATE, registration=registration, payload={"changes": entries}, conn=conn, now=now
            )
            queued += 1
    return queued


def _room_of(session: AgendaSession, rooms: dict[int, str]) -> str:
    room_id = session.room_id  # type: ignore[attr-defined]
    return rooms.get(int(room_id), "") if room_id is not None else ""


async def _unsent_updates(
    registration_ids: list[int], conn: BaseDBAsyncClient, now: datetime
) -> dict[int, list[OutboxMessage]]:
    """The people's agenda_update emails not rendered yet and not held by a sender, oldest first
    (locked on PostgreSQL: a sender skips them until this transaction ends)."""
    query = (
        OutboxMessage.filter(
            kind=EmailKind.AGENDA_UPDATE.value,
            status=OutboxStatus.PENDING,
            rendered_at__isnull=True,
            registration_id__in=registration_ids,
        )
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .order_by("id")
        .using_db(conn)
    )
    if conn.capabilities.dialect == "postgres":
        query = query.select_for_update()
    found: dict[int, list[OutboxMessage]] = defaultdict(list)
    for message in await query:
        found[int(message.registration_id)].append(message)  # type: ignore[attr-defined]
    return found


async def _merge(
    older: list[OutboxMessage],
    entries: list[dict[str, Any]],
    registration: Registration,
    rooms: dict[int, str],
    conn: BaseDBAsyncClient,
) -> list[dict[str, Any]]:
    """The entries of one email replacing the unsent ``older`` ones and the new ``entries``.

    Per session: the earliest "before" (what the person last heard), the newest change,
    method and sequence. A session carried over from an older email only gets the current
    sequence and stays only while the person still holds their place (or waits for it, if
    cancelled). A session back at its earliest time, room and title, not cancelled and
    with no new online link drops out.
    """
    earliest: dict[int, dict[str, Any]] = {}
    newest: dict[int, dict[str, Any]] = {}
    link: dict[int, bool] = defaultdict(bool)
    for entry in [e for m in older for e in (m.payload or {}).get("changes") or []] + entries:
        sid = int(entry["session_id"])
        earliest.setdefault(sid, entry)
        newest[sid] = entry
        link[sid] = link[sid] or link_changed(entry)
    fresh = {int(e["session_id"]) for e in entries}
    carried = sorted(set(newest) - fresh)
    sessions = {int(s.id): s for s in await AgendaSession.filter(id__in=sorted(newest)).using_db(conn)}
    picks = {
        int(p.session_id): p  # type: ignore[attr-defined]
        for p in await SessionPick.filter(registration_id=registration.id, session_id__in=carried).using_db(conn)
    } if carried else {}
    merged = []
    for sid in sorted(newest):
        session = sessions.get(sid)
        if session is None:
            continue
        entry = {**newest[sid], "before": earliest[sid].get("before") or {}, "link_changed": link[sid]}
        if sid not in fresh:
            pick = picks.get(sid)
            if pick is None or pick.status == PickStatus.CANCELLED:
                continue
            if pick.status == PickStatus.WAITLISTED and entry.get("change") != "cancelled":
                continue
            entry["sequence"] = session.ical_sequence + pick.ical_sequence
            entry["invite"] = pick.status == PickStatus.CONFIRMED
        back = not differences(entry["before"], session, _room_of(session, rooms))
        if entry.get("change") != "cancelled" and back and not entry["link_changed"]:
            continue
        merged.append(entry)
    return merged
