"""Webinar settings of an event (organiser page): reminder times and the recording link.

Saving a new recording link after the event has ended emails it to every confirmed
attendee, once per link: the Message-ID holds a hash of the link, so a double
submit (or saving the same link again) queues nothing more.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from tortoise.transactions import in_transaction

from events_app.agenda.models import AgendaSession, SessionStatus
from events_app.clock import utcnow
from events_app.errors import Invalid
from events_app.events.models import Event, EventKind, EventStatus
from events_app.events.service import get_event
from events_app.notifications.models import OutboxMessage
from events_app.notifications.reminders import MAX_OFFSET_MINUTES, MIN_OFFSET_MINUTES, queue_once
from events_app.registration.locking import lock_event
from events_app.registration.models import Registration, RegistrationStatus
from events_app.settings import current_settings

# The reminder times offered as checkboxes (minutes before the start), longest first.
REMINDER_CHOICES = {10080: "1 week before", 1440: "1 day (24 hours) before", 60: "1 hour before", 15: "15 minutes before"}
MAX_REMINDERS = 6
_UNITS = {"m": 1, "min": 1, "h": 60, "d": 1440, "w": 10080}
_TIME = re.compile(r"^(\d{1,5})\s*(m|mins?|minutes?|h|hrs?|hours?|d|days?|w|weeks?)$", re.IGNORECASE)
_BAD_TIMES = 'Write each time as a number and a unit, separated by commas, for example "2 hours, 30 minutes".'


@dataclass(frozen=True, slots=True)
class WebinarSettings:
    reminder_minutes: list[int]  # longest first; empty: no reminders
    recording_url: str


@dataclass(frozen=True, slots=True)
class WebinarOverview:
    event: Event
    online_sessions: int

    @property
    def is_webinar(self) -> bool:
        return self.event.is_online or self.event.kind == EventKind.WEBINAR


@dataclass(frozen=True, slots=True)
class WebinarSaved:
    event: Event
    recording_emails: int


def describe_minutes(minutes: int) -> str:
    """``1440`` -> ``1 day``, ``90`` -> ``90 minutes``."""
    for size, unit in ((10080, "week"), (1440, "day"), (60, "hour"), (1, "minute")):
        if minutes % size == 0:
            count = minutes // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{minutes} minutes"  # pragma: no cover  (every int is a whole number of minutes)


def _unit_minutes(unit: str) -> int:
    unit = unit.lower()
    return _UNITS["min" if unit.startswith("mi") or unit == "m" else unit[0]]


def parse_webinar_form(*, reminders: list[str], other_reminders: str, recording_url: str) -> WebinarSettings:
    """Read the form (checkbox values, free text like ``2 hours, 30 min``, a link); raise
    :class:`Invalid` naming each bad field."""
    errors: dict[str, str] = {}
    minutes: set[int] = set()
    for value in reminders:
        if not value.isascii() or not value.isdigit() or int(value[:9]) not in REMINDER_CHOICES:
            errors["reminders"] = "Choose reminder times from the list."
            break
        minutes.add(int(value))
    other = other_reminders.strip()
    if len(other) > 200 or any(ord(c) < 32 for c in other):
        errors["other_reminders"] = _BAD_TIMES
    elif other:
        for part in re.split(r"\s*(?:,|;|\band\b)\s*", other, flags=re.IGNORECASE):
            if not part:
                continue
            match = _TIME.match(part)
            if match is None:
                errors["other_reminders"] = f"\u201c{part[:40]}\u201d is not a time. {_BAD_TIMES}"
                break
            value = int(match.group(1)) * _unit_minutes(match.group(2))
            if not MIN_OFFSET_MINUTES <= value <= MAX_OFFSET_MINUTES:
                errors["other_reminders"] = (
                    f"Reminders can be sent from {MIN_OFFSET_MINUTES} minutes to "
                    f"{describe_minutes(MAX_OFFSET_MINUTES)} before the start."
                )
                break
            minutes.add(value)
    if len(minutes) > MAX_REMINDERS and "other_reminders" not in errors:
        errors["other_reminders"] = f"Choose at most {MAX_REMINDERS} reminder times."
    url = recording_url.strip()
    if url:
        parts = urlsplit(url) if len(url) <= 500 and url.isprintable() and " " not in url else None
        if parts is None or parts.scheme != "https" or not parts.hostname or parts.username or parts.password:
            errors["recording_url"] = (
                "Enter the full link of the recording, starting with https:// "
                "(for example https://video.example.org/recording-42), at most 500 characters."
            )
    if errors:
        raise Invalid("Some fields need attention.", fields=errors)
    return WebinarSettings(sorted(minutes, reverse=True), url)


async def webinar_overview(*, slug: str) -> WebinarOverview:
    event = await get_event(slug=slug)
    online_sessions = (
        await AgendaSession.filter(event_id=event.id, status=SessionStatus.PUBLISHED).exclude(online_url="").count()
    )
    return WebinarOverview(event, online_sessions)


def recording_message_id(registration: Registration, url: str) -> str:
    digest = hashlib.sha256(url.encode()).hexdigest()[:20]
    return f"<recording.{registration.uid}.{digest}@{current_settings().host}>"


async def save_webinar_settings(*, slug: str, data: WebinarSettings, now: datetime | None = None) -> WebinarSaved:
    """Store the reminder times and the recording link, all or nothing; a new link (after
    the event ended) is emailed to every confirmed attendee. Returns how many were queued."""
    now = now or utcnow()
    found = await get_event(slug=slug)
    async with in_transaction() as conn:
        event = await lock_event(found.id, conn)
        new_link = bool(data.recording_url) and data.recording_url != event.recording_url
        if new_link and event.status == EventStatus.CANCELLED:
            raise Invalid(
                "Some fields need attention.",
                fields={"recording_url": "This event was cancelled: there is no recording to share."},
            )
        if new_link and now < event.ends_at:
            ends = event.ends_at.astimezone(event.zone)
            raise Invalid(
                "Some fields need attention.",
                fields={
                    "recording_url": f"You can add the recording once the event has ended "
                    f"({ends:%a %d %b %Y, %H:%M}, {event.timezone} time)."
                },
            )
        event.reminder_minutes = data.reminder_minutes
        event.recording_url = data.recording_url
        await Event.filter(id=event.id).using_db(conn).update(
            reminder_minutes=data.reminder_minutes, recording_url=data.recording_url
        )
        queued = 0
        if new_link:
            registrations = await Registration.filter(event_id=event.id, status=RegistrationStatus.CONFIRMED).using_db(conn)
            queued = await queue_once(
                [
                    OutboxMessage(
                        message_id=recording_message_id(registration, data.recording_url),
                        kind="recording",
                        registration_id=registration.id,
                        to_email=registration.email,
                        to_name=registration.name,
                        payload={"recording_url": data.recording_url},
                        next_attempt_at=now,
                    )
                    for registration in registrations
                ],
                conn=conn,
            )
    return WebinarSaved(event, queued)
