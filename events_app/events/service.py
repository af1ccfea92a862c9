"""Events: create, change, list. Capacity changes promote from the waitlist."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.functions import Count
from tortoise.transactions import in_transaction

from events_app.clock import utcnow
from events_app.errors import Conflict, Invalid, NotFound
from events_app.events.models import Event, EventKind, EventStatus
from events_app.events.schemas import EventInput, EventPatch
from events_app.registration.models import Registration
from events_app.validation import parse


@dataclass(frozen=True, slots=True)
class EventCounts:
    confirmed: int = 0
    waitlisted: int = 0
    cancelled: int = 0


@dataclass(frozen=True, slots=True)
class EventSummary:
    event: Event
    counts: EventCounts

    @property
    def places_left(self) -> int:
        return max(0, self.event.capacity - self.counts.confirmed)


def registration_state(event: Event, *, now: datetime | None = None) -> str:
    """``open``, ``not_yet_open``, ``closed``, ``cancelled``, ``draft`` or ``ended``."""
    now = now or utcnow()
    if event.status == EventStatus.CANCELLED:
        return "cancelled"
    if event.status == EventStatus.DRAFT:
        return "draft"
    if event.ends_at <= now:
        return "ended"
    if event.registration_opens_at and now < event.registration_opens_at:
        return "not_yet_open"
    if event.registration_closes_at and now >= event.registration_closes_at:
        return "closed"
    return "open"


EVENT_MEMORY_SECONDS = 2.0
_recent_events: dict[str, tuple[float, Event]] = {}


async def remembered_event(*, slug: str) -> Event:
    """A published (or cancelled) event by slug, remembered for two seconds per process.

    For hot paths (registering, checking in) that read nothing decisive from it: the seat
    claim re-reads the event under its lock; a check-in only needs the id and time zone.
    """
    hit = _recent_events.get(slug)
    if hit is not None and time.monotonic() - hit[0] < EVENT_MEMORY_SECONDS:
        return hit[1]
    event = await get_event(slug=slug, public=True)
    if len(_recent_events) > 1000:
        _recent_events.clear()
    _recent_events[slug] = (time.monotonic(), event)
    return event


def forget_events() -> None:
    """Drop what this process remembers (tests empty the tables between tests)."""
    _recent_events.clear()


async def get_event(*, slug: str, public: bool = False) -> Event:
    if len(slug) > 80 or "\x00" in slug:  # cannot exist; the query would fail (length check, PG NUL)
        raise NotFound(f"No event called {slug[:80]!r}.")
    query = Event.filter(slug=slug)
    if public:
        query = query.exclude(status=EventStatus.DRAFT)
    event = await query.first()
    if event is None:
        raise NotFound(f"No event called {slug!r}.")
    return event


async def count_registrations(*, event_ids: Sequence[int]) -> dict[int, EventCounts]:
    rows = (
        await Registration.filter(event_id__in=list(event_ids))
        .annotate(n=Count("id"))
        .group_by("event_id", "status")
        .values("event_id", "status", "n")
    )
    tallies: dict[int, dict[str, int]] = {}
    for row in rows:
        tallies.setdefault(row["event_id"], {})[str(row["status"])] = row["n"]
    return {eid: EventCounts(**tallies.get(eid, {})) for eid in event_ids}


async def summarise_events(events: Sequence[Event]) -> list[EventSummary]:
    counts = await count_registrations(event_ids=[e.id for e in events])
    return [EventSummary(e, counts[e.id]) for e in events]


async def list_upcoming_events(*, now: datetime | None = None) -> list[EventSummary]:
    now = now or utcnow()
    events = await Event.filter(
        status__in=[EventStatus.PUBLISHED, EventStatus.CANCELLED], ends_at__gt=now
    ).exclude(kind=EventKind.STUDY_VISIT).order_by("starts_at", "id")  # twins' own visits are not public
    return await summarise_events(events)


async def list_all_events() -> list[EventSummary]:
    events = await Event.all().order_by("-starts_at", "id")
    return await summarise_events(events)


async def summarise_event(event: Event) -> EventSummary:
    return (await summarise_events([event]))[0]


async def create_event(*, data: EventInput) -> Event:
    if await Event.filter(slug=data.slug).exists():
        raise Invalid("Some fields need attention.", fields={"slug": "An event with this slug already exists."})
    try:
        return await Event.create(**data.model_dump())
    except IntegrityError:
        raise Invalid(
            "Some fields need attention.", fields={"slug": "An event with this slug already exists."}
        ) from None


_CALENDAR_FIELDS = {"starts_at", "ends_at", "timezone", "venue_name", "venue_address", "title", "is_online"}


async def update_event(*, slug: str, patch: EventPatch) -> Event:
    """Apply a partial change; the merged event must still be valid.

    Raising the capacity promotes people from the waitlist, in FIFO order, in
    the same transaction (and queues their emails).
    """
    from events_app.notifications.announcements import queue_event_change_emails
    from events_app.registration.locking import lock_event
    from events_app.registration.service import promote_from_waitlist

    changes = patch.model_dump(exclude_unset=True)
    if any(value is None for key, value in changes.items() if key not in {"registration_opens_at", "registration_closes_at"}):
        nulls = {k: "Must not be null." for k, v in changes.items() if v is None and k not in {"registration_opens_at", "registration_closes_at"}}
        raise Invalid("Some fields need attention.", fields=nulls)
    async with in_transaction() as conn:
        event = await Event.filter(slug=slug).using_db(conn).first()
        if event is None:
            raise NotFound(f"No event called {slug!r}.")
        event = await lock_event(event.id, conn)
        current = {name: getattr(event, name) for name in EventInput.model_fields}
        merged = parse(EventInput, {**current, **changes})
        if merged.slug != event.slug and await Event.filter(slug=merged.slug).using_db(conn).exists():
            raise Invalid("Some fields need attention.", fields={"slug": "An event with this slug already exists."})
        if event.status == EventStatus.CANCELLED and merged.status != EventStatus.CANCELLED:
            raise Conflict("A cancelled event cannot be reopened; create a new event instead.")
        calendar_changed = any(getattr(event, k) != getattr(merged, k) for k in _CALENDAR_FIELDS)
        previous_status = event.status
        for name, value in merged.model_dump().items():
            setattr(event, name, value)
        cancelling = event.status == EventStatus.CANCELLED and previous_status != EventStatus.CANCELLED
        if calendar_changed or cancelling:
            event.ical_sequence += 1  # a cancellation is a calendar change too (METHOD:CANCEL)
        await event.save(using_db=conn)
        await queue_event_change_emails(
            event=event, previous_status=previous_status, calendar_changed=calendar_changed, conn=conn
        )
        if event.status == EventStatus.PUBLISHED:
            await promote_from_waitlist(event=event, conn=conn)
    return event
