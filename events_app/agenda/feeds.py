"""Calendar feeds of the agenda: the public one per event and the personal one per registration.

Public feed (``/events/{slug}/calendar.ics``): every published session and every
cancelled one (STATUS:CANCELLED, so subscribed calendars drop it), with the session's
public UID and SEQUENCE. No METHOD: a subscription is a published calendar, not an
invitation. Never a join link: not the sessions', not the event's. Built once per
agenda version and process (see agenda/public.py).

Personal feed (``/calendar/{token}.ics``, a secret revocable URL): the event itself
with the UID of the person's emailed invite (so the two merge into one entry), the
sessions the person holds a place in and the online sessions open to every attendee
(a plenary livestream), with their personal UIDs and SEQUENCE. Join links only for a
confirmed registration (the event's for an online event, a session's for a confirmed
pick or an open online session). A cancelled registration keeps its feed, with every
entry CANCELLED and no join link, so that subscribed calendars drop them. Built fresh
on every request.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

from icalendar import Event as VEvent
from tortoise.expressions import Q

from events_app.agenda.feed_tokens import find_registration_by_feed_token, revoke_feed
from events_app.agenda.join_links import is_open_online
from events_app.agenda.models import (
    AgendaSession,
    PickStatus,
    Room,
    SessionPick,
    SessionStatus,
    Speaker,
)
from events_app.agenda.public import PublicAgenda, PublicSession, get_public_agenda
from events_app.calendar.invite import invite_sequence, invite_uid, personal_join_url
from events_app.calendar.sessions import (
    google_calendar_link,
    new_calendar,
    outlook_calendar_link,
    personal_session_uid,
    public_session_uid,
    session_vevent,
    to_text,
)
from events_app.clock import utcnow
from events_app.errors import NotFound
from events_app.events.models import Event, EventStatus
from events_app.registration.models import Registration, RegistrationStatus
from events_app.settings import current_settings

_CACHE_SIZE = 32
FEED_FORMAT = 1  # part of every ETag: bump when the feed's layout changes


@dataclass(frozen=True, slots=True)
class FeedText:
    text: str
    etag: str  # quoted, for the ETag header
    last_modified: datetime
    filename: str


def event_url(event: Event) -> str:
    return f"{current_settings().base_url}/events/{event.slug}"


def session_url(event: Event, session: AgendaSession) -> str:
    return f"{event_url(event)}/sessions/{session.id}"


def public_feed_urls(event: Event) -> dict[str, str]:
    """Subscribe (``webcal``) and download (``https``, or http in development) URLs."""
    https = f"{event_url(event)}/calendar.ics"
    return {"https": https, "webcal": "webcal://" + https.split("://", 1)[1]}


def _speaker_names(speakers: list[Speaker] | tuple[Speaker, ...]) -> list[str]:
    return [f"{s.name} ({s.organisation})" if s.organisation else s.name for s in speakers]


def _public_vevent(agenda: PublicAgenda, item: PublicSession, now: datetime) -> VEvent:
    event = agenda.event
    return session_vevent(
        session=item.session,
        event=event,
        uid=public_session_uid(item.session, current_settings().host),
        sequence=item.session.ical_sequence,
        now=now,
        url=session_url(event, item.session),
        room_name=item.room.name if item.room else None,
        speakers=_speaker_names(item.speakers),
        cancelled=item.cancelled or event.status == EventStatus.CANCELLED,
    )


def _etag(*parts: object) -> str:
    text = "|".join(map(str, (FEED_FORMAT, current_settings().base_url, *parts)))
    digest = hashlib.sha256(text.encode()).hexdigest()[:24]
    return f'"{digest}"'


def _last_modified(agenda: PublicAgenda) -> datetime:
    moments = [agenda.event.updated_at, *(s.session.updated_at for s in agenda.sessions)]
    return max(m for m in moments if m is not None)


_feeds: OrderedDict[tuple[object, ...], FeedText] = OrderedDict()


def forget_feeds() -> None:
    _feeds.clear()


def render_public_feed(agenda: PublicAgenda, *, now: datetime | None = None) -> FeedText:
    """The text of the public feed of ``agenda`` (no queries)."""
    now = now or utcnow()
    event = agenda.event
    cal = new_calendar(
        event=event,
        name=f"{event.title}: agenda",
        moments=[s.session.starts_at for s in agenda.sessions] or None,
    )
    cal.add("x-wr-caldesc", f"The programme of {event.title}. Times in {event.timezone}.")
    cal.add("x-published-ttl", "PT1H")
    cal.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    for item in agenda.sessions:
        cal.add_component(_public_vevent(agenda, item, now))
    return FeedText(
        text=to_text(cal),
        etag=_etag("public", *agenda.key),
        last_modified=_last_modified(agenda),
        filename=f"{event.slug}-agenda.ics",
    )


async def get_public_feed(*, slug: str, use_cache: bool = True) -> FeedText:
    """The public feed of a published event (404 for a draft one); kept per agenda version."""
    agenda = await get_public_agenda(slug=slug, use_cache=use_cache)
    if use_cache and agenda.key in _feeds:
        _feeds.move_to_end(agenda.key)
        return _feeds[agenda.key]
    feed = render_public_feed(agenda)
    if use_cache:
        _feeds[agenda.key] = feed
        while len(_feeds) > _CACHE_SIZE:
            _feeds.popitem(last=False)
    return feed


async def get_session_ics(*, slug: str, session_id: int) -> FeedText:
    """One public session as a downloadable calendar (its public UID, METHOD:PUBLISH)."""
    agenda = await get_public_agenda(slug=slug)
    item = agenda.find(session_id)
    cal = new_calendar(event=agenda.event, method="PUBLISH", moments=[item.session.starts_at])
    cal.add_component(_public_vevent(agenda, item, utcnow()))
    return FeedText(
        text=to_text(cal),
        etag=_etag("session", item.id, *agenda.key),
        last_modified=max(agenda.event.updated_at, item.session.updated_at),
        filename=f"{agenda.event.slug}-session-{item.id}.ics",
    )


@dataclass(frozen=True, slots=True)
class CalendarLinks:
    google: str
    outlook: str


def calendar_links(agenda: PublicAgenda, item: PublicSession) -> CalendarLinks:
    """"Add to Google Calendar" and "Outlook" links of a public session (never a join URL)."""
    event = agenda.event
    location = ", ".join(
        p for p in (item.room.name if item.room else "", "" if event.is_online else event.venue_name,
                    "" if event.is_online else event.venue_address) if p
    ) or ("Online" if item.is_online or event.is_online else "")
    details = f"{event.title}: {session_url(event, item.session)}"
    return CalendarLinks(
        google=google_calendar_link(session=item.session, event=event, details=details, location=location),
        outlook=outlook_calendar_link(session=item.session, details=details, location=location),
    )


# --- the personal feed -------------------------------------------------------------------

def _event_vevent(event: Event, registration: Registration, now: datetime) -> VEvent:
    """The event as in the person's emailed invite (same UID and SEQUENCE), without iTIP parts."""
    zone = event.zone
    join_url = personal_join_url(event, registration, "REQUEST")
    vevent = VEvent()
    vevent.add("uid", invite_uid(event, registration, current_settings().host))
    vevent.add("sequence", invite_sequence(event, registration))
    vevent.add("dtstamp", now)
    vevent.add("dtstart", event.starts_at.astimezone(zone))
    vevent.add("dtend", event.ends_at.astimezone(zone))
    waiting = registration.status == RegistrationStatus.WAITLISTED
    vevent.add("summary", f"{event.title} (waiting list)" if waiting else event.title)
    if event.is_online:
        location = join_url or "Online"
    else:
        location = ", ".join(p for p in (event.venue_name, event.venue_address) if p)
    if location:
        vevent.add("location", location)
    parts = [f"Join online: {join_url}"] if join_url else []
    if waiting:
        parts.append("You are on the waiting list. We email you as soon as a place opens.")
    elif registration.status == RegistrationStatus.CANCELLED:
        parts.append("Your registration is cancelled.")
    if event.description.strip():
        parts.append(event.description.strip())
    parts.append(event_url(event))
    vevent.add("description", "\n\n".join(parts))
    vevent.add("url", event_url(event))
    if event.status == EventStatus.CANCELLED or registration.status == RegistrationStatus.CANCELLED:
        vevent.add("status", "CANCELLED")
    else:
        vevent.add("status", "TENTATIVE" if waiting else "CONFIRMED")
        vevent.add("transp", "OPAQUE")
    return vevent


@dataclass(frozen=True, slots=True)
class PersonalFeed:
    registration: Registration
    text: str
    filename: str


@dataclass(frozen=True, slots=True)
class _Entry:
    session: AgendaSession
    pick: SessionPick | None  # None: an open online session (no sign-up)


async def _personal_entries(registration: Registration, event: Event) -> list[_Entry]:
    """The sessions of the person's feed: their confirmed places and, when confirmed, the
    event's open online sessions. Once cancelled: every session they ever held a place in
    and those open sessions, so that subscribed calendars mark them all cancelled.
    Two queries: the picks, then their sessions and the open ones together."""
    status = registration.status
    picks_query = SessionPick.filter(registration_id=registration.id)
    if status != RegistrationStatus.CANCELLED:
        picks_query = picks_query.filter(status=PickStatus.CONFIRMED)
    pick_of = {int(p.session_id): p for p in await picks_query.order_by("id")}  # type: ignore[attr-defined]
    with_open = status in (RegistrationStatus.CONFIRMED, RegistrationStatus.CANCELLED)
    wanted = []
    if pick_of:
        wanted.append(Q(id__in=sorted(pick_of)))
    if with_open:
        wanted.append(Q(status__in=[SessionStatus.PUBLISHED, SessionStatus.CANCELLED]) & ~Q(online_url=""))
    if not wanted:
        return []
    sessions = await AgendaSession.filter(Q(*wanted, join_type=Q.OR), event_id=event.id)
    entries = [
        _Entry(session, pick_of.get(int(session.id)))
        for session in sessions
        if session.status != SessionStatus.DRAFT
        and (int(session.id) in pick_of or (with_open and is_open_online(session)))
    ]
    return sorted(entries, key=lambda e: (e.session.starts_at, e.session.id))


async def get_personal_feed(*, token: str, now: datetime | None = None) -> PersonalFeed:
    """The person's feed: the event, their confirmed places and the open online sessions
    (join links for a confirmed registration only); cancelled sessions as CANCELLED. For a
    cancelled registration every entry is CANCELLED. 404 for a revoked or forged token.
    Six queries, however many sessions."""
    now = now or utcnow()
    registration = await find_registration_by_feed_token(token=token)
    event: Event = registration.event
    entries = await _personal_entries(registration, event)
    sessions = [e.session for e in entries]
    room_ids = {s.room_id for s in sessions if s.room_id}  # type: ignore[attr-defined]
    speaker_ids = {i for s in sessions for i in s.speaker_ids or ()}
    rooms = {int(r.id): r.name for r in await Room.filter(id__in=list(room_ids))} if room_ids else {}
    speakers = (
        {int(s.id): s for s in await Speaker.filter(event_id=event.id, id__in=list(speaker_ids))}
        if speaker_ids else {}
    )
    host = current_settings().host
    confirmed = registration.status == RegistrationStatus.CONFIRMED
    withdrawn = registration.status == RegistrationStatus.CANCELLED
    cal = new_calendar(
        event=event, name=f"{event.title}: my agenda", moments=[event.starts_at, *(s.starts_at for s in sessions)]
    )
    cal.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")
    cal.add_component(_event_vevent(event, registration, now))
    event_cancelled = event.status == EventStatus.CANCELLED
    for entry in entries:
        session = entry.session
        cancelled = session.status == SessionStatus.CANCELLED or event_cancelled or withdrawn
        join_url = session.online_url if (confirmed and not cancelled and session.online_url) else ""
        # a place's sequence grows with the pick (dropped when the registration was cancelled);
        # an open session has no pick: one more once the person is no longer registered
        sequence = session.ical_sequence + (entry.pick.ical_sequence if entry.pick else int(withdrawn))
        names = [speakers[i] for i in session.speaker_ids or () if i in speakers]
        cal.add_component(
            session_vevent(
                session=session,
                event=event,
                uid=personal_session_uid(session, registration, host),
                sequence=sequence,
                now=now,
                url=session_url(event, session),
                room_name=rooms.get(session.room_id) if session.room_id else None,  # type: ignore[attr-defined]
                speakers=_speaker_names(names),
                join_url=join_url,
                cancelled=cancelled,
            )
        )
    return PersonalFeed(registration, to_text(cal), f"{event.slug}-my-agenda.ics")


async def revoke_personal_feed(*, slug: str, registration_id: int) -> Registration:
    """Kill the current personal feed URL of a registration of the event ``slug``."""
    if not await Registration.filter(id=registration_id, event__slug=slug).exists():
        raise NotFound("This event has no such registration.")
    return await revoke_feed(registration_id=registration_id)
