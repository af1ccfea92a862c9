"""Calendar objects for agenda sessions: the public feed, personal feeds and invites.

Two UIDs per session, both stable for its life:
- the public one, ``session-<uid>@host``, in the event's public feed (anyone may subscribe);
- a personal one per attendee, ``session-<uid>-registration-<uid>@host``, in that person's
  invites and personal feed. It differs from the public one so that someone subscribed
  to both sees one entry for the public session and one for their own place, and so
  that a CANCEL of their place never touches the public entry.
SEQUENCE: public = the session's ``ical_sequence``; personal = session's + pick's.
Join links appear only where the caller passes them (personal objects of a confirmed place).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from icalendar import Calendar, vCalAddress, vText
from icalendar import Event as VEvent

from events_app.agenda.models import AgendaSession
from events_app.calendar.vtimezone import build_vtimezone
from events_app.events.models import Event
from events_app.registration.models import Registration

PRODID = "-//events_app//EcoProcura network events//EN"


def public_session_uid(session: AgendaSession, host: str) -> str:
    return f"session-{session.uid}@{host}"


def personal_session_uid(session: AgendaSession, registration: Registration, host: str) -> str:
    return f"session-{session.uid}-registration-{registration.uid}@{host}"


def new_calendar(*, event: Event, method: str | None = None, name: str | None = None, moments: list[datetime] | None = None) -> Calendar:
    """An empty VCALENDAR with PRODID, VERSION, optional METHOD and calendar name, and the
    event zone's rule-based VTIMEZONE (covering the years of ``moments``, default the event's)."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    if name:
        cal.add("x-wr-calname", name)
        cal.add("x-wr-timezone", event.timezone)
    years: dict[int, datetime] = {}
    for moment in moments or [event.starts_at]:
        years.setdefault(moment.year, moment)
    # One VTIMEZONE per zone: its yearly rules come from the first year (the usual case
    # is one year; rules rarely change between two years of one agenda).
    cal.add_component(build_vtimezone(event.timezone, min(years.values())))
    return cal


def session_vevent(
    *,
    session: AgendaSession,
    event: Event,
    uid: str,
    sequence: int,
    now: datetime,
    url: str,
    room_name: str | None = None,
    speakers: list[str] | None = None,
    join_url: str = "",
    cancelled: bool = False,
    attendee: Registration | None = None,
    organizer: tuple[str, str] | None = None,
) -> VEvent:
    """One VEVENT for ``session`` in the event's zone (TZID), with DTSTAMP.

    ``join_url`` goes into LOCATION/DESCRIPTION only when given (a confirmed person's own
    object); ``attendee`` and ``organizer`` (email, name) make it an iTIP invite entry.
    """
    zone = event.zone
    vevent = VEvent()
    vevent.add("uid", uid)
    vevent.add("sequence", sequence)
    vevent.add("dtstamp", now)
    vevent.add("dtstart", session.starts_at.astimezone(zone))
    vevent.add("dtend", session.ends_at.astimezone(zone))
    vevent.add("summary", session.title)
    places = [p for p in (room_name, event.venue_name if not event.is_online else "") if p]
    location = ", ".join(places)
    if join_url:
        location = f"{location} / {join_url}" if location else join_url
    elif session.online_url and not location:
        location = "Online"
    if location:
        vevent.add("location", location)
    parts: list[str] = []
    if join_url:
        parts.append(f"Join online: {join_url}")
    if speakers:
        parts.append("Speakers: " + ", ".join(speakers))
    if session.description.strip():
        parts.append(session.description.strip())
    parts.append(f"{event.title}: {url}")
    vevent.add("description", "\n\n".join(parts))
    vevent.add("url", url)
    vevent.add("categories", [str(session.kind)])
    if organizer is not None:
        organizer_address = vCalAddress(f"mailto:{organizer[0]}")
        organizer_address.params["cn"] = vText(organizer[1])
        vevent.add("organizer", organizer_address)
    if attendee is not None:
        address = vCalAddress(f"mailto:{attendee.email}")
        address.params["cn"] = vText(attendee.name)
        address.params["role"] = vText("REQ-PARTICIPANT")
        address.params["partstat"] = vText("ACCEPTED")
        address.params["rsvp"] = vText("FALSE")
        vevent.add("attendee", address)
    vevent.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if not cancelled:
        vevent.add("transp", "OPAQUE")
    return vevent


def to_text(cal: Calendar) -> str:
    return cal.to_ical().decode()


def google_calendar_link(*, session: AgendaSession, event: Event, details: str, location: str) -> str:
    """"Add to Google Calendar" template link (times in UTC, the event's zone as ctz)."""
    fmt = "%Y%m%dT%H%M%SZ"
    query: dict[str, Any] = {
        "action": "TEMPLATE",
        "text": session.title,
        "dates": f"{session.starts_at.astimezone(UTC):{fmt}}/{session.ends_at.astimezone(UTC):{fmt}}",
        "details": details,
        "location": location,
        "ctz": event.timezone,
    }
    return "https://calendar.google.com/calendar/render?" + urlencode(query)


def outlook_calendar_link(*, session: AgendaSession, details: str, location: str) -> str:
    """"Add to Outlook" deep link (Outlook on the web, ISO times with offset)."""
    query = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": session.title,
        "startdt": session.starts_at.astimezone(UTC).isoformat(),
        "enddt": session.ends_at.astimezone(UTC).isoformat(),
        "body": details,
        "location": location,
    }
    return "https://outlook.office.com/calendar/0/deeplink/compose?" + urlencode(query)

