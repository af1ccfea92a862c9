"""iCalendar invites for a registration (RFC 5545 + iTIP, RFC 5546).

One VEVENT per registration and event, with a UID that never changes, so that
every later REQUEST updates the entry already in the person's calendar and a
CANCEL removes it. SEQUENCE grows with every invite we send for it.
"""

from __future__ import annotations

from datetime import datetime

from icalendar import Calendar, vCalAddress, vText
from icalendar import Event as VEvent

from events_app.calendar.vtimezone import build_vtimezone
from events_app.events.models import Event
from events_app.registration.models import Registration


def invite_uid(event: Event, registration: Registration, host: str) -> str:
    return f"event-{event.id}-registration-{registration.uid}@{host}"


def personal_join_url(event: Event, registration: Registration, method: str | None) -> str:
    """The online join link, only for a confirmed attendee's own invite or email."""
    if event.is_online and event.online_url and method == "REQUEST" and registration.status == "confirmed":
        return event.online_url
    return ""


def invite_sequence(event: Event, registration: Registration) -> int:
    """Both counters only grow, so their sum grows with every change to either."""
    return registration.ical_sequence + event.ical_sequence


def build_invite(
    *,
    event: Event,
    registration: Registration,
    method: str,
    organizer_email: str,
    organizer_name: str,
    host: str,
    event_url: str,
    now: datetime,
    sequence: int | None = None,
) -> str:
    """Return the text of a METHOD:REQUEST or METHOD:CANCEL calendar for one attendee.

    ``sequence`` defaults to the current one (registration + event); the outbox passes
    the value from the moment the change was made.
    """
    if method not in {"REQUEST", "CANCEL"}:
        raise ValueError(f"unsupported iTIP method {method!r}")
    cal = Calendar()
    cal.add("prodid", "-//events_app//EcoProcura network events//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    zone = event.zone
    cal.add_component(build_vtimezone(event.timezone, event.starts_at))

    vevent = VEvent()
    vevent.add("uid", invite_uid(event, registration, host))
    vevent.add("sequence", invite_sequence(event, registration) if sequence is None else sequence)
    vevent.add("dtstamp", now)
    vevent.add("dtstart", event.starts_at.astimezone(zone))
    vevent.add("dtend", event.ends_at.astimezone(zone))
    vevent.add("summary", event.title)
    join_url = personal_join_url(event, registration, method)
    location = (join_url or "Online") if event.is_online else ", ".join(p for p in (event.venue_name, event.venue_address) if p)
    if location:
        vevent.add("location", location)
    description = event.description.strip()
    if join_url:
        description = f"Join online: {join_url}\n\n{description}".strip()
    # The private manage link stays in the email: calendars are often shared or delegated.
    vevent.add("description", description or event.title)
    vevent.add("url", event_url)
    organizer = vCalAddress(f"mailto:{organizer_email}")
    organizer.params["cn"] = vText(organizer_name)
    vevent.add("organizer", organizer)
    attendee = vCalAddress(f"mailto:{registration.email}")
    attendee.params["cn"] = vText(registration.name)
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    attendee.params["partstat"] = vText("ACCEPTED")
    attendee.params["rsvp"] = vText("FALSE")
    vevent.add("attendee", attendee)
    if method == "CANCEL":
        vevent.add("status", "CANCELLED")
    else:
        vevent.add("status", "CONFIRMED")
        vevent.add("transp", "OPAQUE")
    cal.add_component(vevent)
    return cal.to_ical().decode()
