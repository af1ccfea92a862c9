"""Read helpers of the organiser's agenda builder: the day-by-room grid, publication summaries,
a session's fill and its CSV export.

The grid is laid out here, not in the template: each day of the event (in its
time zone) is a CSS grid with one column per room (several lanes when sessions
in that room overlap, so a clash is visible rather than hidden), a "No room"
column, and one row per quarter of an hour. Blocks are placed with the utility
classes of static/css/agenda-builder.css (the CSP forbids style attributes).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from events_app.agenda.builder_forms import day_label, event_days
from events_app.agenda.models import (
    PICKABLE_KINDS,
    AgendaPublication,
    AgendaSession,
    Room,
    SessionPick,
    SessionStatus,
    Speaker,
    Track,
)
from events_app.agenda.picks import session_fill
from events_app.agenda.service import (
    TRACK_PALETTE,
    Agenda,
    SessionDraft,
    draft_of,
    last_publication,
    load_agenda,
    unpublished_count,
)
from events_app.errors import NotFound
from events_app.events.models import Event
from events_app.events.service import get_event
from events_app.organiser.service import CSV_TIME_FORMAT, CsvExport, neutralise

SLOT_MINUTES = 15
SLOTS_PER_HOUR = 60 // SLOT_MINUTES
SLOTS_PER_DAY = 24 * SLOTS_PER_HOUR
DEFAULT_FIRST_HOUR, DEFAULT_LAST_HOUR = 9, 18
MAX_LANES = 40  # columns the stylesheet has classes for; beyond that a day is shown as a list
HEADER_ROWS = 1


@dataclass(frozen=True, slots=True)
class GridColumn:
    room: Room | None
    label: str
    col: int
    span: int


@dataclass(frozen=True, slots=True)
class GridBlock:
    draft: SessionDraft
    row: int
    span: int
    col: int
    room_label: str
    time_label: str


@dataclass(slots=True)
class DayGrid:
    day: date
    outside: bool  # not one of the event's days (a session placed there anyway)
    columns: list[GridColumn] = field(default_factory=list)
    blocks: list[GridBlock] = field(default_factory=list)
    hours: list[tuple[int, str]] = field(default_factory=list)  # (grid row, "09:00")
    lanes: int = 0
    cancelled: list[GridBlock] = field(default_factory=list)  # cancelled sessions, listed apart

    @property
    def anchor(self) -> str:
        return f"day-{self.day.isoformat()}"

    @property
    def label(self) -> str:
        return day_label(self.day)

    @property
    def as_grid(self) -> bool:
        return 0 < self.lanes <= MAX_LANES


@dataclass(frozen=True, slots=True)
class PublicationView:
    """One publication, in readable lines (times in the event's zone)."""

    published_at: datetime
    published_by: str
    added: list[str]
    moved: list[str]
    cancelled: list[str]
    changed: list[str]
    emails_queued: int

    @property
    def nothing_changed(self) -> bool:
        return not (self.added or self.moved or self.cancelled or self.changed)


@dataclass(slots=True)
class BuilderView:
    agenda: Agenda
    days: list[DayGrid]
    unpublished: int
    last_publication: PublicationView | None
    rooms: dict[int, Room]
    tracks: dict[int, Track]
    speakers: dict[int, Speaker]

    @property
    def event(self) -> Event:
        return self.agenda.event

    def track_class(self, track_id: int | None) -> str:
        track = self.tracks.get(track_id) if track_id is not None else None
        return track_class(track.colour) if track else ""

    def conflicts(self, session_id: int) -> list[dict[str, Any]]:
        return self.agenda.conflicts.get(session_id, [])


def track_class(colour: str) -> str:
    """The palette class closest to ``colour`` (the stylesheet has one class per palette colour)."""
    def rgb(value: str) -> tuple[int, int, int]:
        value = value.lstrip("#")
        return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)

    try:
        target = rgb(colour)
    except ValueError:
        return "track-0"
    distances = [sum((a - b) ** 2 for a, b in zip(target, rgb(p), strict=True)) for p in TRACK_PALETTE]
    return f"track-{distances.index(min(distances))}"


def time_range(draft: SessionDraft, zone: ZoneInfo) -> str:
    start = draft.starts_at.astimezone(zone)
    end = draft.ends_at.astimezone(zone)
    if start.date() == end.date():
        return f"{start:%H:%M}\u2013{end:%H:%M}"
    return f"{start:%H:%M}\u2013{end:%a %d %b %H:%M}"


def is_pickable(draft: SessionDraft) -> bool:
    return draft.kind in PICKABLE_KINDS or draft.capacity is not None


# --- the grid ----------------------------------------------------------------------------

def _slots(draft: SessionDraft, zone: ZoneInfo, day: date) -> tuple[int, int]:
    """First and past-the-end quarter-hour of ``draft`` on ``day`` (its start day)."""
    start = draft.starts_at.astimezone(zone)
    end = draft.ends_at.astimezone(zone)
    first = (start.hour * 60 + start.minute) // SLOT_MINUTES
    if end.date() > day:
        last = SLOTS_PER_DAY
    else:
        last = -(-(end.hour * 60 + end.minute) // SLOT_MINUTES)
    return first, max(last, first + 1)


def assign_lanes(intervals: list[tuple[int, int, int]]) -> tuple[dict[int, int], int]:
    """Greedy interval partitioning: (index, first, last) -> lane of each index, number of lanes.

    Also lays out the public agenda (agenda/public.py): overlapping sessions of one
    column get side-by-side lanes there too."""
    lane_ends: list[int] = []
    lanes: dict[int, int] = {}
    for index, first, last in sorted(intervals, key=lambda t: (t[1], t[2], t[0])):
        for lane, busy_until in enumerate(lane_ends):
            if busy_until <= first:
                lane_ends[lane] = last
                lanes[index] = lane
                break
        else:
            lanes[index] = len(lane_ends)
            lane_ends.append(last)
    return lanes, max(len(lane_ends), 1)


def _day_grid(day: date, outside: bool, drafts: list[SessionDraft], rooms: list[Room], zone: ZoneInfo) -> DayGrid:
    grid = DayGrid(day=day, outside=outside)
    live = [d for d in drafts if d.session.status != SessionStatus.CANCELLED]
    room_names = {int(r.id): r.name for r in rooms}
    slots = {d.id: _slots(d, zone, day) for d in live}
    first_slot = min([DEFAULT_FIRST_HOUR * SLOTS_PER_HOUR, *(s[0] for s in slots.values())])
    last_slot = max([DEFAULT_LAST_HOUR * SLOTS_PER_HOUR, *(s[1] for s in slots.values())])
    first_slot -= first_slot % SLOTS_PER_HOUR
    last_slot = min(SLOTS_PER_DAY, -(-last_slot // SLOTS_PER_HOUR) * SLOTS_PER_HOUR)
    keys: list[int | None] = [int(r.id) for r in rooms]
    keys.append(None)
    # A session in a room this event no longer has goes to "No room".
    by_column: dict[int | None, list[SessionDraft]] = {key: [] for key in keys}
    for draft in live:
        by_column[draft.room_id if draft.room_id in room_names else None].append(draft)
    col = 2  # column 1 holds the hours
    for room, key in zip([*rooms, None], keys, strict=True):
        members = by_column[key]
        lanes, count = assign_lanes([(i, *slots[d.id]) for i, d in enumerate(members)])
        label = room.name if room else "No room"
        grid.columns.append(GridColumn(room=room, label=label, col=col, span=count))
        for i, draft in enumerate(members):
            first, last = slots[draft.id]
            grid.blocks.append(GridBlock(
                draft=draft, row=HEADER_ROWS + 1 + first - first_slot, span=last - first,
                col=col + lanes[i], room_label=label, time_label=time_range(draft, zone),
            ))
        col += count
    grid.lanes = col - 2
    grid.blocks.sort(key=lambda b: (b.draft.starts_at, b.col, b.draft.id))
    grid.hours = [
        (HEADER_ROWS + 1 + slot - first_slot, f"{slot // SLOTS_PER_HOUR:02d}:00")
        for slot in range(first_slot, last_slot, SLOTS_PER_HOUR)
    ]
    for draft in drafts:
        if draft.session.status == SessionStatus.CANCELLED:
            label = room_names.get(draft.room_id, "No room") if draft.room_id else "No room"
            grid.cancelled.append(GridBlock(draft, 0, 0, 0, label, time_range(draft, zone)))
    return grid


def build_days(agenda: Agenda) -> list[DayGrid]:
    """The event's days (plus any other day a session is on), each laid out as a grid."""
    zone = agenda.event.zone
    days = event_days(agenda.event)
    by_day: dict[date, list[SessionDraft]] = {day: [] for day in days}
    for draft in agenda.drafts:
        by_day.setdefault(draft.starts_at.astimezone(zone).date(), []).append(draft)
    known = set(days)
    return [_day_grid(day, day not in known, by_day[day], agenda.rooms, zone) for day in sorted(by_day)]


# --- publications ------------------------------------------------------------------------

def _when(entry: dict[str, Any], zone: ZoneInfo) -> str:
    try:
        start = datetime.fromisoformat(entry["starts_at"]).astimezone(zone)
        end = datetime.fromisoformat(entry["ends_at"]).astimezone(zone)
    except (KeyError, TypeError, ValueError):
        return ""
    text = f"{start:%a %d %b %H:%M}\u2013{end:%H:%M}"
    return f"{text}, {entry['room']}" if entry.get("room") else text


def publication_view(publication: AgendaPublication, zone: ZoneInfo) -> PublicationView:
    summary = publication.summary or {}

    def title(entry: dict[str, Any]) -> str:
        return f"\u201c{entry.get('title', '')}\u201d"

    return PublicationView(
        published_at=publication.published_at,
        published_by=publication.published_by,
        added=[f"{title(e)}: {_when(e, zone)}" for e in summary.get("added", [])],
        moved=[
            f"{title(e)}: from {_when(e.get('from', {}), zone)} to {_when(e.get('to', {}), zone)}"
            for e in summary.get("moved", [])
        ],
        cancelled=[f"{title(e)}: {_when(e, zone)}" for e in summary.get("cancelled", [])],
        changed=[
            f"{title(e)}: {', '.join(f.replace('_id', '').replace('_', ' ') for f in e.get('fields', []))}"
            for e in summary.get("changed", [])
        ],
        emails_queued=int(summary.get("emails_queued", 0) or 0),
    )


async def load_builder(*, slug: str) -> BuilderView:
    """Everything the builder page shows for event ``slug``."""
    event = await get_event(slug=slug)
    agenda = await load_agenda(event=event)
    publication = await last_publication(event=event)
    return BuilderView(
        agenda=agenda,
        days=build_days(agenda),
        unpublished=await unpublished_count(event=event),
        last_publication=publication_view(publication, event.zone) if publication else None,
        rooms={int(r.id): r for r in agenda.rooms},
        tracks={int(t.id): t for t in agenda.tracks},
        speakers={int(s.id): s for s in agenda.speakers},
    )


async def get_session_draft(*, event: Event, session_id: int) -> SessionDraft:
    session = await AgendaSession.filter(id=session_id, event_id=event.id).first()
    if session is None:
        raise NotFound("This event has no such session.")
    return draft_of(session)


# --- fill and export ---------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class FillView:
    event: Event
    draft: SessionDraft
    room: str
    confirmed: list[SessionPick]
    waitlisted: list[SessionPick]

    @property
    def session(self) -> AgendaSession:
        return self.draft.session


async def view_session_fill(*, slug: str, session_id: int) -> FillView:
    """Who holds a place in a session (in sign-up order) and who waits (in waitlist order)."""
    event = await get_event(slug=slug)
    fill = await session_fill(event=event, session_id=session_id)
    draft = draft_of(fill.session)
    room = await Room.filter(id=draft.room_id, event_id=event.id).first() if draft.room_id else None
    return FillView(
        event=event, draft=draft, room=room.name if room else "",
        confirmed=sorted(fill.confirmed, key=lambda p: (p.created_at, p.id)),
        waitlisted=sorted(fill.waitlisted, key=lambda p: (p.waitlist_seq or 0, p.id)),
    )


def _local(value: datetime | None, zone: ZoneInfo) -> str:
    return value.astimezone(zone).strftime(CSV_TIME_FORMAT) if value else ""


def session_fill_csv(view: FillView, *, delimiter: str = ",") -> CsvExport:
    """The people of one session as CSV for Excel: UTF-8 with BOM, formulas neutralised."""
    event, zone = view.event, view.event.zone
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, dialect="excel", delimiter=delimiter)
    writer.writerow([
        "Status", "Waitlist position", "Name", "Email", "Job title", "Organisation", "Country",
        f"Signed up at ({event.timezone})",
    ])
    rows = [(p, "") for p in view.confirmed] + [(p, n) for n, p in enumerate(view.waitlisted, 1)]
    for pick, position in rows:
        person = pick.registration
        organisation = person.organisation
        row: list[object] = [
            pick.status.value, position, person.name, person.email, person.job_title,
            organisation.name, organisation.country, _local(pick.created_at, zone),
        ]
        writer.writerow([neutralise(cell) for cell in row])
    start = view.draft.starts_at.astimezone(zone)
    return CsvExport(
        filename=f"{event.slug}-session-{view.session.id}-{start:%Y%m%d-%H%M}.csv",
        content=buffer.getvalue().encode("utf-8-sig"),
    )


def unpublished_of(draft: SessionDraft) -> str:
    """The badge a session needs: draft, pending cancellation, unpublished changes, cancelled."""
    if draft.session.status == SessionStatus.DRAFT:
        return "draft"
    if draft.session.status == SessionStatus.CANCELLED:
        return "cancelled"
    if draft.status == SessionStatus.CANCELLED:
        return "cancellation-pending"
    return "changed" if draft.has_pending else ""

