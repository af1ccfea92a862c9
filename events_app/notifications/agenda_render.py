"""Subject, text, HTML and calendar invites of the agenda and webinar emails.

The sender renders them once, at send time, from the payload the change queued
(see agenda_emails.py, reminders.py and webinars.py) and the rows as they are then:

- ``session_picks``, ``session_promotion``, ``agenda_update``: about the person's places
  in sessions. Their invite entries (``{"session_id", "method", "sequence"}``) become
  VEVENTs with the person's own UID per session. All REQUEST entries go into one
  METHOD:REQUEST object, all CANCEL entries into one METHOD:CANCEL object, so one
  email carries every change however many sessions it touches.
- ``reminder``: a webinar (online event or online session) starts soon.
- ``recording``: the recording of an event that took place is online.

:func:`session_cancels` adds the person's session entries to the METHOD:CANCEL of a
registration's or an event's cancellation email (rendered in service.py).

A reminder or recording email that is no longer wanted when its turn comes (the
person cancelled, the session moved or was cancelled, the link changed) raises
:class:`NotNeeded`: the sender marks it done without sending anything.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from icalendar import Calendar
from icalendar import Event as VEvent

from events_app.agenda.join_links import is_open_online, open_join_url
from events_app.agenda.models import (
    AgendaSession,
    PickStatus,
    Room,
    SessionPick,
    SessionStatus,
    Speaker,
)
from events_app.calendar.invite import personal_join_url
from events_app.calendar.sessions import new_calendar, personal_session_uid, session_vevent, to_text
from events_app.events.models import Event, EventStatus
from events_app.registration.models import Registration, RegistrationStatus
from events_app.settings import current_settings
from events_app.web import jinja_env

AGENDA_KINDS = frozenset({"session_picks", "session_promotion", "agenda_update", "reminder", "recording"})
ORGANIZER_NAME = "EcoProcura network events"
# File names of the calendar attachments, by iTIP method.
CALENDAR_FILES = {"REQUEST": "invite.ics", "CANCEL": "cancel.ics"}


class NotNeeded(Exception):
    """The email is no longer wanted: the sender marks it done and sends nothing."""


@dataclass(frozen=True, slots=True)
class CalendarFile:
    method: str
    filename: str
    text: str

    def as_json(self) -> dict[str, str]:
        return {"method": self.method, "filename": self.filename, "ics": self.text}


@dataclass(frozen=True, slots=True)
class RenderedEmail:
    subject: str
    text: str
    html: str
    inline: CalendarFile | None  # the text/calendar alternative part
    calendars: list[CalendarFile]  # the .ics attachments


@dataclass(frozen=True, slots=True)
class SessionLine:
    """One session as an email lists it (times already in the event's zone)."""

    id: int
    title: str
    when: str
    room: str
    url: str
    join_url: str = ""
    waitlist_position: int | None = None
    change: str = ""  # agenda_update: moved, renamed, link (a new online link), cancelled
    before_title: str = ""
    before_when: str = ""
    before_room: str = ""
    waitlisted: bool = False


def session_page_url(event: Event, session: AgendaSession) -> str:
    return f"{current_settings().base_url}/events/{event.slug}/sessions/{session.id}"


def local_when(event: Event, starts_at: datetime, ends_at: datetime) -> str:
    """``Tue 12 May 2026, 10:00–11:30 (Europe/Brussels time)``."""
    zone = event.zone
    start, end = starts_at.astimezone(zone), ends_at.astimezone(zone)
    end_format = "%H:%M" if start.date() == end.date() else "%a %d %b %Y, %H:%M"
    return f"{start:%a %d %b %Y, %H:%M}\u2013{end.strftime(end_format)} ({event.timezone} time)"


def _parse_moment(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


@dataclass(slots=True)
class _Agenda:
    """What an email about some sessions needs: the sessions, rooms, speakers, the person's picks."""

    event: Event
    registration: Registration
    sessions: dict[int, AgendaSession]
    rooms: dict[int, str]
    speakers: dict[int, str]
    picks: dict[int, SessionPick]

    def room(self, session: AgendaSession) -> str:
        room_id = session.room_id  # type: ignore[attr-defined]
        return self.rooms.get(room_id, "") if room_id is not None else ""

    def confirmed_pick(self, session: AgendaSession) -> bool:
        pick = self.picks.get(int(session.id))
        return (
            pick is not None
            and pick.status == PickStatus.CONFIRMED
            and self.registration.status == RegistrationStatus.CONFIRMED
            and session.status == SessionStatus.PUBLISHED
        )

    def join_url(self, session: AgendaSession) -> str:
        """A session's join link, only for the person's own confirmed place in it."""
        return session.online_url if session.online_url and self.confirmed_pick(session) else ""

    def line(self, session_id: int, **extra: Any) -> SessionLine | None:
        session = self.sessions.get(session_id)
        if session is None:
            return None
        return SessionLine(
            id=session_id,
            title=session.title,
            when=local_when(self.event, session.starts_at, session.ends_at),
            room=self.room(session),
            url=session_page_url(self.event, session),
            join_url=self.join_url(session),
            **extra,
        )


async def _load_agenda(event: Event, registration: Registration, session_ids: set[int]) -> _Agenda:
    sessions = {int(s.id): s for s in await AgendaSession.filter(id__in=sorted(session_ids), event_id=event.id)}
    room_ids = {s.room_id for s in sessions.values() if s.room_id is not None}  # type: ignore[attr-defined]
    speaker_ids = {int(i) for s in sessions.values() for i in (s.speaker_ids or [])}
    rooms = {int(r.id): r.name for r in await Room.filter(id__in=sorted(room_ids))} if room_ids else {}
    speakers = (
        {int(p.id): p.name for p in await Speaker.filter(id__in=sorted(speaker_ids), event_id=event.id)}
        if speaker_ids else {}
    )
    picks = {
        int(p.session_id): p  # type: ignore[attr-defined]
        for p in await SessionPick.filter(registration_id=registration.id, session_id__in=sorted(sessions))
    } if sessions else {}
    return _Agenda(event, registration, sessions, rooms, speakers, picks)


async def _waitlist_position(pick: SessionPick | None) -> int | None:
    if pick is None or pick.status != PickStatus.WAITLISTED or pick.waitlist_seq is None:
        return None
    return await SessionPick.filter(
        session_id=pick.session_id,  # type: ignore[attr-defined]
        status=PickStatus.WAITLISTED,
        waitlist_seq__lte=pick.waitlist_seq,
    ).count()


def _vevents(agenda: _Agenda, method: str, group: list[tuple[AgendaSession, int]], now: datetime) -> list[VEvent]:
    """The person's own VEVENT (personal UID) of each session, for an iTIP object of ``method``."""
    settings = current_settings()
    return [
        session_vevent(
            session=session,
            event=agenda.event,
            uid=personal_session_uid(session, agenda.registration, settings.host),
            sequence=sequence,
            now=now,
            url=session_page_url(agenda.event, session),
            room_name=agenda.room(session) or None,
            speakers=[agenda.speakers[i] for i in session.speaker_ids or [] if i in agenda.speakers],
            join_url=agenda.join_url(session) if method == "REQUEST" else "",
            cancelled=method == "CANCEL",
            attendee=agenda.registration,
            organizer=(settings.mail_from, ORGANIZER_NAME),
        )
        for session, sequence in group
    ]


def _calendar_object(
    agenda: _Agenda, method: str, group: list[tuple[AgendaSession, int]], now: datetime
) -> str:
    cal = new_calendar(event=agenda.event, method=method, moments=[s.starts_at for s, _ in group])
    for vevent in _vevents(agenda, method, group, now):
        cal.add_component(vevent)
    return to_text(cal)


def _numbered_files(agenda: _Agenda, method: str, stem: str, group: list[tuple[AgendaSession, int]], now: datetime) -> list[CalendarFile]:
    """One single-UID object per session (as CalDAV servers and Outlook require): ``stem.ics``
    when there is one, else ``stem-1.ics``, ``stem-2.ics`` ..."""
    if len(group) == 1:
        return [CalendarFile(method, f"{stem}.ics", _calendar_object(agenda, method, group, now))]
    return [
        CalendarFile(method, f"{stem}-{number}.ics", _calendar_object(agenda, method, [item], now))
        for number, item in enumerate(group, start=1)
    ]


def _calendars(agenda: _Agenda, entries: list[dict[str, Any]], now: datetime) -> tuple[CalendarFile | None, list[CalendarFile]]:
    """The invite shown inline and the attached files.

    Inline (the text/calendar part, which mail clients act on): one METHOD:REQUEST object
    with every REQUEST entry (else the METHOD:CANCEL one), so one email updates them all
    in clients that read every VEVENT (Apple Mail, Thunderbird). Attached: one object per
    session, each with a single UID as CalDAV servers and Outlook require (invite.ics /
    cancel.ics when there is only one of a method), so every change can also be opened
    one by one.
    """
    inline: CalendarFile | None = None
    files: list[CalendarFile] = []
    for method, filename in CALENDAR_FILES.items():
        group = [
            (agenda.sessions[int(e["session_id"])], int(e.get("sequence") or 0))
            for e in entries
            if e.get("method") == method and int(e["session_id"]) in agenda.sessions
        ]
        if not group:
            continue
        inline = inline or CalendarFile(method, filename, _calendar_object(agenda, method, group, now))
        files += _numbered_files(agenda, method, filename.removesuffix(".ics"), group, now)
    return inline, files


def _render(
    kind: str,
    subject: str,
    context: dict[str, Any],
    calendars: tuple[CalendarFile | None, list[CalendarFile]] = (None, []),
) -> RenderedEmail:
    inline, files = calendars
    settings = current_settings()
    event: Event = context["event"]
    data = {
        "kind": kind,
        "event_url": f"{settings.base_url}/events/{event.slug}",
        "manage_url": None,
        "join_url": "",
        "has_invite": bool(files),
        "has_cancel": any(c.method == "CANCEL" for c in files),
        "has_request": any(c.method == "REQUEST" for c in files),
        **context,
    }
    text = jinja_env.get_template(f"emails/{kind}.txt").render(data)
    html = jinja_env.get_template(f"emails/{kind}.html").render(data)
    return RenderedEmail(subject, text, html, inline, files)


# --- session emails -------------------------------------------------------------------------

async def _render_session_picks(
    kind: str, payload: dict[str, Any], event: Event, registration: Registration, now: datetime
) -> RenderedEmail:
    lists = {name: [int(i) for i in payload.get(name) or []] for name in ("confirmed", "waitlisted", "dropped", "left_waitlist")}
    invites = list(payload.get("invites") or [])
    wanted = {i for ids in lists.values() for i in ids} | {int(e["session_id"]) for e in invites}
    agenda = await _load_agenda(event, registration, wanted)
    confirmed = [line for i in lists["confirmed"] if (line := agenda.line(i))]
    waitlisted = []
    for i in lists["waitlisted"]:
        position = await _waitlist_position(agenda.picks.get(i))
        if line := agenda.line(i, waitlist_position=position, waitlisted=True):
            waitlisted.append(line)
    dropped = [line for i in lists["dropped"] if (line := agenda.line(i))]
    left = [line for i in lists["left_waitlist"] if (line := agenda.line(i))]
    if kind == "session_promotion":
        title = confirmed[0].title if confirmed else "a session"
        subject = f"A place opened up in {title}"
    else:
        subject = f"Your sessions at {event.title}"
    context = {
        "event": event, "registration": registration,
        "confirmed": confirmed, "waitlisted": waitlisted, "dropped": dropped, "left_waitlist": left,
    }
    return _render(kind, subject, context, _calendars(agenda, invites, now))


def differences(before: dict[str, Any], session: AgendaSession, room_name: str) -> set[str]:
    """Which of ``time``, ``room`` and ``title`` of ``session`` (``room_name``: its room's name
    or "") differ from ``before`` (a session's values as a publish recorded them)."""
    found = set()
    starts, ends = _parse_moment(before.get("starts_at")), _parse_moment(before.get("ends_at"))
    if starts != session.starts_at or ends != session.ends_at:
        found.add("time")
    if str(before.get("room") or "") != room_name:
        found.add("room")
    if str(before.get("title") or session.title) != session.title:
        found.add("title")
    return found


def link_changed(entry: dict[str, Any]) -> bool:
    """Whether an agenda_update entry says the online link changed (entries queued before the
    flag existed: a "changed" entry that was not a rename)."""
    return bool(entry.get("link_changed", entry.get("change") == "changed"))


def _what_changed(entry: dict[str, Any], session: AgendaSession, room_name: str) -> str | None:
    """What the person is told about a session: cancelled, moved, renamed or link; None when
    it is back where they last heard it was (nothing to tell)."""
    if entry.get("change") == "cancelled":
        return "cancelled"
    found = differences(entry.get("before") or {}, session, room_name)
    if found & {"time", "room"}:
        return "moved"
    if "title" in found:
        return "renamed"
    return "link" if link_changed(entry) else None


_SUBJECT_VERBS = {"moved": "{} moved", "cancelled": "{} cancelled", "renamed": "{} renamed", "link": "new online link for {}"}


async def _render_agenda_update(
    payload: dict[str, Any], event: Event, registration: Registration, now: datetime
) -> RenderedEmail:
    entries = list(payload.get("changes") or [])
    agenda = await _load_agenda(event, registration, {int(e["session_id"]) for e in entries})
    lines, invites = [], []
    for entry in entries:
        session = agenda.sessions.get(int(entry["session_id"]))
        if session is None:
            continue
        change = _what_changed(entry, session, agenda.room(session))
        if change is None:
            continue  # moved back (or renamed back) before this email went out: no news, no invite
        before = entry.get("before") or {}
        starts, ends = _parse_moment(before.get("starts_at")), _parse_moment(before.get("ends_at"))
        line = agenda.line(
            int(session.id),
            change=change,
            before_title=str(before.get("title") or ""),
            before_when=local_when(event, starts, ends) if starts and ends else "",
            before_room=str(before.get("room") or ""),
            waitlisted=not entry.get("invite", True),
        )
        if line is not None:
            lines.append(line)
            if entry.get("invite", True):
                invites.append(entry)
    if not lines:
        raise NotNeeded("every session in it is back where the person last heard it was")
    if len(lines) == 1:
        only = lines[0]
        subject = "Agenda change: " + _SUBJECT_VERBS[only.change].format(only.before_title or only.title)
    else:
        subject = f"Agenda change: {len(lines)} of your sessions at {event.title}"
    context = {"event": event, "registration": registration, "changes": lines}
    return _render("agenda_update", subject, context, _calendars(agenda, invites, now))


# --- the event's own emails that also cancel the person's sessions ----------------------------

@dataclass(frozen=True, slots=True)
class SessionCancels:
    """What a cancellation email (of the registration or of the event) adds for the sessions the
    person held a place in: their lines for the text, the CANCEL VEVENTs for the inline object
    and one single-UID CANCEL file per session."""

    lines: list[SessionLine]
    inline: str
    files: list[CalendarFile]


async def session_cancels(
    *, event: Event, registration: Registration, entries: list[dict[str, Any]], event_ics: str, now: datetime
) -> SessionCancels:
    """Add METHOD:CANCEL entries for the person's sessions (``entries``: ``{"session_id",
    "sequence"}``) to the event's CANCEL object ``event_ics``: the inline object carries the
    event's VEVENT first (clients that read only one act on the event), then the sessions'."""
    agenda = await _load_agenda(event, registration, {int(e["session_id"]) for e in entries})
    group = [
        (agenda.sessions[int(e["session_id"])], int(e.get("sequence") or 0))
        for e in entries
        if int(e["session_id"]) in agenda.sessions
    ]
    if not group:
        return SessionCancels([], event_ics, [])
    cal = Calendar.from_ical(event_ics)
    for vevent in _vevents(agenda, "CANCEL", group, now):
        cal.add_component(vevent)
    # no join link in an email that takes the place away
    lines = [replace(line, join_url="") for session, _ in group if (line := agenda.line(int(session.id)))]
    return SessionCancels(lines, to_text(cal), _numbered_files(agenda, "CANCEL", "cancel", group, now))


# --- reminders and recordings ---------------------------------------------------------------

async def _render_reminder(
    payload: dict[str, Any], event: Event, registration: Registration, now: datetime
) -> RenderedEmail:
    if registration.status != RegistrationStatus.CONFIRMED:
        raise NotNeeded("the registration is no longer confirmed")
    if event.status != EventStatus.PUBLISHED:
        raise NotNeeded("the event is no longer published")
    planned = _parse_moment(payload.get("starts_at"))
    session_id = payload.get("session_id")
    session_line = None
    if session_id is not None:
        agenda = await _load_agenda(event, registration, {int(session_id)})
        session = agenda.sessions.get(int(session_id))
        open_to_all = session is not None and session.status == SessionStatus.PUBLISHED and is_open_online(session)
        if session is None or not (open_to_all or agenda.confirmed_pick(session)):
            raise NotNeeded("the person no longer holds a place in this session")
        starts_at, ends_at = session.starts_at, session.ends_at
        session_line = agenda.line(int(session_id))
        join_url = open_join_url(session, registration) if open_to_all else agenda.join_url(session)
        title = session.title
    else:
        starts_at, ends_at = event.starts_at, event.ends_at
        join_url = personal_join_url(event, registration, "REQUEST")
        title = event.title
    if planned is not None and planned != starts_at:
        raise NotNeeded("the start moved since this reminder was queued (a new one follows)")
    if now >= ends_at:
        raise NotNeeded("it is already over")
    local = starts_at.astimezone(event.zone)
    subject = f"Reminder: {title} starts {local:%a %d %b} at {local:%H:%M} ({event.timezone} time)"
    context = {
        "event": event,
        "registration": registration,
        "session": session_line,
        "title": title,
        "when": local_when(event, starts_at, ends_at),
        # the event's own join link shows in the "Where" line of the base layout
        "join_url": join_url if session_line is None else "",
        "session_join_url": join_url if session_line is not None else "",
    }
    return _render("reminder", subject, context)


async def _render_recording(payload: dict[str, Any], event: Event, registration: Registration) -> RenderedEmail:
    if registration.status != RegistrationStatus.CONFIRMED:
        raise NotNeeded("the registration is no longer confirmed")
    url = str(payload.get("recording_url") or "")
    if not url or url != event.recording_url:
        raise NotNeeded("the recording link changed since this email was queued")
    context = {"event": event, "registration": registration, "recording_url": url}
    return _render("recording", f"Recording of {event.title} is available", context)


async def render_agenda_email(
    *, kind: str, payload: dict[str, Any], event: Event, registration: Registration, now: datetime
) -> RenderedEmail:
    """Render one email of a kind in :data:`AGENDA_KINDS` (may raise :class:`NotNeeded`)."""
    if kind in ("session_picks", "session_promotion"):
        return await _render_session_picks(kind, payload, event, registration, now)
    if kind == "agenda_update":
        return await _render_agenda_update(payload, event, registration, now)
    if kind == "reminder":
        return await _render_reminder(payload, event, registration, now)
    if kind == "recording":
        return await _render_recording(payload, event, registration)
    raise ValueError(f"not an agenda email kind: {kind!r}")
