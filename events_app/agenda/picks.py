"""Attendees' places in workshops, site visits and webinar sessions.

The same guarantee as event capacity: every change of a session's seats runs in
one transaction that first locks the rows it depends on, in a fixed order (the
registration, then the sessions by id), then counts and writes. A full session
gives a place at the end of its own FIFO waitlist; a freed seat goes to the head
of that waitlist. A set of picks is applied all-or-nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from events_app.agenda.conflicts import Slot, overlaps
from events_app.agenda.models import AgendaSession, PickStatus, SessionPick, SessionStatus
from events_app.clock import utcnow
from events_app.errors import Conflict, Invalid, SessionFull, SessionOverlap
from events_app.events.models import Event
from events_app.notifications.agenda_emails import queue_session_email
from events_app.registration.models import Registration, RegistrationStatus


@dataclass(frozen=True, slots=True)
class PickView:
    session: AgendaSession
    pick: SessionPick
    waitlist_position: int | None


@dataclass(frozen=True, slots=True)
class PicksOutcome:
    picks: list[PickView]  # the person's active picks (confirmed and waitlisted), by start
    added: list[int]
    dropped: list[int]


def _places(count: int | None) -> str:
    return "1 place" if count == 1 else f"{count} places"


def _when(session: AgendaSession, zone: ZoneInfo) -> str:
    return f"{session.starts_at.astimezone(zone):%a %d %b %H:%M}-{session.ends_at.astimezone(zone):%H:%M}"


def _slot(session: AgendaSession) -> Slot:
    return Slot(int(session.id), session.title, session.starts_at, session.ends_at, None, (), session.capacity)


def check_overlaps(sessions: list[AgendaSession], zone: ZoneInfo) -> None:
    """Refuse (409 ``session_overlap``) a set of sessions where two run at the same time."""
    ordered = sorted(sessions, key=lambda s: (s.starts_at, s.id))
    for earlier, later in zip(ordered, ordered[1:], strict=False):
        if overlaps(_slot(earlier), _slot(later)):
            raise SessionOverlap(
                f"\u201c{later.title}\u201d ({_when(later, zone)}) overlaps \u201c{earlier.title}\u201d "
                f"({_when(earlier, zone)}): you can be in only one of them. Pick one.",
                details={"sessions": [int(earlier.id), int(later.id)]},
            )


def _sessions_to_pick(event: Event, session_ids: list[int], sessions: dict[int, AgendaSession]) -> list[AgendaSession]:
    for session_id in session_ids:
        session = sessions.get(session_id)
        if session is None or session.event_id != event.id or session.status == SessionStatus.DRAFT:  # type: ignore[attr-defined]
            raise Invalid(
                "Some fields need attention.",
                fields={"session_ids": f"Session {session_id} is not on this event's agenda."},
            )
        if session.status == SessionStatus.CANCELLED:
            raise Conflict(f"\u201c{session.title}\u201d has been cancelled.")
        if not session.pickable:
            raise Invalid(
                "Some fields need attention.",
                fields={"session_ids": f"\u201c{session.title}\u201d is open to everyone: no sign-up needed."},
            )
    return [sessions[i] for i in session_ids]


async def _lock_sessions(session_ids: list[int], conn: BaseDBAsyncClient) -> dict[int, AgendaSession]:
    if not session_ids:
        return {}
    rows = await AgendaSession.filter(id__in=session_ids).using_db(conn).order_by("id").select_for_update()
    return {int(s.id): s for s in rows}


async def _save_counters(session: AgendaSession, conn: BaseDBAsyncClient) -> None:
    await AgendaSession.filter(id=session.id).using_db(conn).update(
        confirmed_count=session.confirmed_count,
        waitlisted_count=session.waitlisted_count,
        waitlist_last_seq=session.waitlist_last_seq,
    )


async def set_session_picks(
    *, registration: Registration, session_ids: list[int], waitlist: bool = True, now: datetime | None = None
) -> PicksOutcome:
    """Make the person's picks exactly ``session_ids``: all of it, or nothing.

    New picks get a seat when one is free, else the end of that session's waitlist
    (or 409 ``session_full`` when ``waitlist`` is false). Picks left out are
    dropped, and their seats go to the head of the waitlist. Overlapping sessions
    are refused (409 ``session_overlap``). Only a confirmed attendee picks.
    Emails: one to this person about the change, one to each person promoted.
    """
    now = now or utcnow()
    async with in_transaction() as conn:
        registration = (
            await Registration.filter(id=registration.id).using_db(conn).select_for_update().prefetch_related("event").get()
        )
        event = registration.event
        if registration.status != RegistrationStatus.CONFIRMED:
            raise Conflict("Only confirmed attendees can sign up for sessions.")
        current = {
            int(p.session_id): p  # type: ignore[attr-defined]
            for p in await SessionPick.filter(registration_id=registration.id).using_db(conn)
        }
        active = {sid for sid, p in current.items() if p.status != PickStatus.CANCELLED}
        wanted = set(session_ids)
        to_add = sorted(wanted - active)
        to_drop = sorted(active - wanted)
        # Lock every session involved, in one statement in id order (no deadlock between two people).
        locked = await _lock_sessions(sorted(wanted | active), conn)
        chosen = _sessions_to_pick(event, sorted(wanted), locked)
        check_overlaps(chosen, event.zone)
        added, dropped = [], []
        for session_id in to_add:
            session = locked[session_id]
            pick = current.get(session_id) or SessionPick(session_id=session_id, registration_id=registration.id)
            if pick.id is not None:
                pick.ical_sequence += 1  # it comes back: a newer version of the same calendar entry
            if session.capacity is None or session.confirmed_count < session.capacity:
                pick.status, pick.waitlist_seq = PickStatus.CONFIRMED, None
                session.confirmed_count += 1
            elif waitlist:
                session.waitlist_last_seq += 1
                pick.status, pick.waitlist_seq = PickStatus.WAITLISTED, session.waitlist_last_seq
                session.waitlisted_count += 1
            else:
                raise SessionFull(
                    f"\u201c{session.title}\u201d is full ({_places(session.capacity)}).",
                    details={"sessions": [session_id]},
                )
            await pick.save(using_db=conn)
            await _save_counters(session, conn)
            added.append(pick)
        for session_id in to_drop:
            session = locked[session_id]
            pick = current[session_id]
            was = await _drop_pick(pick, session, event, conn, now)
            dropped.append((pick, was))
        if added or dropped:
            await queue_session_email(
                kind="session_picks",
                registration=registration,
                confirmed=[int(p.session_id) for p in added if p.status == PickStatus.CONFIRMED],  # type: ignore[attr-defined]
                waitlisted=[int(p.session_id) for p in added if p.status == PickStatus.WAITLISTED],  # type: ignore[attr-defined]
                dropped=[int(p.session_id) for p, was in dropped if was == PickStatus.CONFIRMED],  # type: ignore[attr-defined]
                left_waitlist=[int(p.session_id) for p, was in dropped if was == PickStatus.WAITLISTED],  # type: ignore[attr-defined]
                conn=conn,
                now=now,
            )
        picks = await _active_picks(registration, conn)
    return PicksOutcome(picks, [int(p.session_id) for p in added], [int(p.session_id) for p, _ in dropped])  # type: ignore[attr-defined]


async def _drop_pick(
    pick: SessionPick, session: AgendaSession, event: Event, conn: BaseDBAsyncClient, now: datetime | None
) -> PickStatus:
    """Cancel one pick (its calendar entry gets a newer version), count the seat back and,
    for a seat, give it to the head of the waitlist. The caller holds the session lock.
    Returns the status the pick had."""
    was = pick.status
    pick.status, pick.waitlist_seq = PickStatus.CANCELLED, None
    pick.ical_sequence += 1
    await pick.save(using_db=conn)
    if was == PickStatus.CONFIRMED:
        session.confirmed_count -= 1
    else:
        session.waitlisted_count -= 1
    await _save_counters(session, conn)
    if was == PickStatus.CONFIRMED:
        await promote_session_waitlist(session=session, event=event, conn=conn, now=now)
    return PickStatus(was)


async def promote_session_waitlist(
    *, session: AgendaSession, event: Event, conn: BaseDBAsyncClient, now: datetime | None = None
) -> list[SessionPick]:
    """Give free seats of ``session`` to the head of its waitlist. The caller holds its row lock
    (or the event lock, for publishing). A waiting person whose other picks now overlap it
    (the organiser moved a session) is skipped, not promoted into a clash."""
    now = now or utcnow()
    session = await AgendaSession.filter(id=session.id).using_db(conn).select_for_update().get()
    promoted: list[SessionPick] = []
    if session.status != SessionStatus.PUBLISHED:
        return promoted
    waiting = list(
        await SessionPick.filter(session_id=session.id, status=PickStatus.WAITLISTED)
        .using_db(conn)
        .order_by("waitlist_seq", "id")
        .prefetch_related("registration")
    )
    for pick in waiting:
        if session.capacity is not None and session.confirmed_count >= session.capacity:
            break
        if pick.registration.status != RegistrationStatus.CONFIRMED:
            continue
        if await _clashes_with_a_place(pick, session, conn):
            continue  # stays waiting: a seat here would put them in two places at once
        pick.status, pick.waitlist_seq = PickStatus.CONFIRMED, None
        await pick.save(using_db=conn)
        session.confirmed_count += 1
        session.waitlisted_count -= 1
        promoted.append(pick)
        await queue_session_email(
            kind="session_promotion", registration=pick.registration, confirmed=[int(session.id)], conn=conn, now=now
        )
    if promoted:
        await _save_counters(session, conn)
    return promoted


async def _clashes_with_a_place(pick: SessionPick, session: AgendaSession, conn: BaseDBAsyncClient) -> bool:
    """Whether the person already holds a seat in another live session at the same time."""
    held = await SessionPick.filter(
        registration_id=pick.registration_id,  # type: ignore[attr-defined]
        status=PickStatus.CONFIRMED,
    ).exclude(session_id=session.id).using_db(conn).values_list("session_id", flat=True)
    if not held:
        return False
    return await AgendaSession.filter(
        id__in=list(held),
        status=SessionStatus.PUBLISHED,
        starts_at__lt=session.ends_at,
        ends_at__gt=session.starts_at,
    ).using_db(conn).exists()


async def release_picks_of(
    *, registration: Registration, conn: BaseDBAsyncClient, now: datetime | None = None
) -> list[tuple[int, int]]:
    """The person is no longer confirmed for the event: drop their picks and pass the seats on.

    Called inside the transaction that cancels the registration (no email of its own: the
    cancellation email says that their places are gone). Returns (session id, SEQUENCE) of
    each published session they held a confirmed place in, by start: the caller's email
    carries a METHOD:CANCEL for each of those personal calendar entries.
    """
    picks = list(
        await SessionPick.filter(registration_id=registration.id, status__not=PickStatus.CANCELLED).using_db(conn)
    )
    if not picks:
        return []
    locked = await _lock_sessions(sorted(int(p.session_id) for p in picks), conn)  # type: ignore[attr-defined]
    event = await Event.get(id=registration.event_id).using_db(conn)  # type: ignore[attr-defined]
    had_entries: list[tuple[AgendaSession, int]] = []
    for pick in picks:
        session = locked[int(pick.session_id)]  # type: ignore[attr-defined]
        was = await _drop_pick(pick, session, event, conn, now)
        if was == PickStatus.CONFIRMED and session.status == SessionStatus.PUBLISHED:
            had_entries.append((session, session.ical_sequence + pick.ical_sequence))
    had_entries.sort(key=lambda item: (item[0].starts_at, item[0].id))
    return [(int(session.id), sequence) for session, sequence in had_entries]


async def _active_picks(registration: Registration, conn: BaseDBAsyncClient | None = None) -> list[PickView]:
    query = SessionPick.filter(registration_id=registration.id, status__not=PickStatus.CANCELLED)
    picks = list(await (query.using_db(conn) if conn else query).prefetch_related("session"))
    views = []
    for pick in picks:
        position = None
        if pick.status == PickStatus.WAITLISTED and pick.waitlist_seq is not None:
            ahead = SessionPick.filter(
                session_id=pick.session_id,  # type: ignore[attr-defined]
                status=PickStatus.WAITLISTED,
                waitlist_seq__lte=pick.waitlist_seq,
            )
            position = await (ahead.using_db(conn) if conn else ahead).count()
        views.append(PickView(pick.session, pick, position))
    views.sort(key=lambda v: (v.session.starts_at, v.session.id))
    return views


async def list_picks(*, registration: Registration) -> list[PickView]:
    """The person's active picks, by start time, with their place in each waitlist."""
    return await _active_picks(registration)


async def list_pickable_sessions(*, event: Event) -> list[AgendaSession]:
    """Published sessions an attendee can sign up for, by start time."""
    sessions = await AgendaSession.filter(event_id=event.id, status=SessionStatus.PUBLISHED).order_by("starts_at", "id")
    return [s for s in sessions if s.pickable]


@dataclass(frozen=True, slots=True)
class SessionFill:
    session: AgendaSession
    confirmed: list[SessionPick]
    waitlisted: list[SessionPick]


async def session_fill(*, event: Event, session_id: int) -> SessionFill:
    """Who holds a place in a session and who waits, in order (for the organiser and the export)."""
    session = await AgendaSession.filter(id=session_id, event_id=event.id).first()
    if session is None:
        from events_app.errors import NotFound

        raise NotFound("This event has no such session.")
    picks = list(
        await SessionPick.filter(session_id=session.id, status__not=PickStatus.CANCELLED)
        .order_by("waitlist_seq", "created_at", "id")
        .prefetch_related("registration__organisation")
    )
    return SessionFill(
        session,
        [p for p in picks if p.status == PickStatus.CONFIRMED],
        [p for p in picks if p.status == PickStatus.WAITLISTED],
    )
