"""The public agenda of an event: published (and cancelled) sessions, never drafts.

Reading an agenda costs five queries whatever its size: the event, then its rooms,
tracks, speakers and public sessions in bulk. The built view is kept per process,
keyed by the event's id and ``agenda_version`` (which every publish and every public
detail change moves on) and its ``updated_at`` (any change of the event itself), so
a warm read costs one query: the event row, to learn its current key.

Only published values are read: a published session's unpublished edits (``pending``)
stay invisible, and no join URL is ever part of this view.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from events_app.agenda.builder_service import assign_lanes
from events_app.agenda.models import AgendaSession, Room, SessionKind, SessionStatus, Speaker, Track
from events_app.errors import NotFound
from events_app.events.models import Event, EventStatus
from events_app.events.service import get_event

KIND_LABELS = {
    SessionKind.PLENARY: "Plenary",
    SessionKind.WORKSHOP: "Workshop",
    SessionKind.SITE_VISIT: "Site visit",
    SessionKind.NETWORKING: "Networking",
    SessionKind.BREAK: "Break",
    SessionKind.WEBINAR: "Webinar",
}
ROW_MINUTES = 5  # one grid row of the wide-screen agenda
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_CACHE_SIZE = 64


@dataclass(frozen=True, slots=True)
class PublicSession:
    """A session as the public sees it (its published values)."""

    session: AgendaSession
    room: Room | None
    track: Track | None
    speakers: tuple[Speaker, ...]
    local_start: datetime
    local_end: datetime

    @property
    def id(self) -> int:
        return int(self.session.id)

    @property
    def cancelled(self) -> bool:
        return self.session.status == SessionStatus.CANCELLED

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(SessionKind(self.session.kind), str(self.session.kind))

    @property
    def is_online(self) -> bool:
        return bool(self.session.online_url)


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a session sits in its day's wide-screen grid (1-based CSS grid lines)."""

    row_start: int
    row_end: int
    col_start: int
    col_end: int


@dataclass(frozen=True, slots=True)
class DayColumn:
    """A column of a day's grid: a room, or "No room / elsewhere" (``room`` None). It is
    ``span`` grid columns wide, one lane per session that overlaps another in it."""

    room: Room | None
    label: str
    col: int  # its first grid column (column 1 holds the times)
    span: int


@dataclass(slots=True)
class AgendaDay:
    day: date
    number: int  # 1-based, for ids and class names
    sessions: list[PublicSession]
    columns: list[DayColumn] = field(default_factory=list)
    placements: dict[int, Placement] = field(default_factory=dict)
    times: list[tuple[str, int]] = field(default_factory=list)  # ("09:30", grid row) labels

    @property
    def width(self) -> int:
        """Grid columns after the times: every lane of every column."""
        return max(1, sum(c.span for c in self.columns))


@dataclass(slots=True)
class PublicAgenda:
    event: Event
    rooms: list[Room]
    tracks: list[Track]
    sessions: list[PublicSession]  # by start time, cancelled ones included
    days: list[AgendaDay]
    key: tuple[Any, ...]
    kinds: list[SessionKind] = field(init=False)  # the kinds present, in the enum's order
    used_tracks: list[Track] = field(init=False)  # the tracks with a public session

    @property
    def version_tag(self) -> str:
        """Short and opaque: names this version of the agenda in asset URLs."""
        return hashlib.sha256(repr(self.key).encode()).hexdigest()[:12]

    def __post_init__(self) -> None:
        # Worked out once per build: the page asks for them on every request.
        present = {SessionKind(s.session.kind) for s in self.sessions}
        self.kinds = [k for k in SessionKind if k in present]
        used = {int(s.track.id) for s in self.sessions if s.track is not None}
        self.used_tracks = [t for t in self.tracks if int(t.id) in used]

    @property
    def event_cancelled(self) -> bool:
        return self.event.status == EventStatus.CANCELLED

    def find(self, session_id: int) -> PublicSession:
        for item in self.sessions:
            if item.id == session_id:
                return item
        raise NotFound("This event has no such session on its agenda.")


@dataclass(frozen=True, slots=True)
class AgendaFilter:
    """The visitor's choice of track (a track id) and kind; None shows all."""

    track: int | None = None
    kind: SessionKind | None = None

    @property
    def active(self) -> bool:
        return self.track is not None or self.kind is not None

    def keeps(self, item: PublicSession) -> bool:
        if self.track is not None and (item.track is None or int(item.track.id) != self.track):
            return False
        return self.kind is None or SessionKind(item.session.kind) == self.kind


def parse_filter(agenda: PublicAgenda, *, track: str | None, kind: str | None) -> AgendaFilter:
    """Read ``?track=&kind=``; unknown values show everything (links outlive tracks)."""
    track_id = None
    if track and track.isascii() and track.isdigit() and len(track) < 10:
        if any(int(t.id) == int(track) for t in agenda.tracks):
            track_id = int(track)
    chosen_kind = None
    if kind and kind in {k.value for k in SessionKind}:
        chosen_kind = SessionKind(kind)
    return AgendaFilter(track_id, chosen_kind)


def filtered_days(agenda: PublicAgenda, chosen: AgendaFilter) -> list[AgendaDay]:
    """The agenda's days with only the sessions ``chosen`` keeps (placements unchanged)."""
    if not chosen.active:
        return agenda.days
    days = []
    for day in agenda.days:
        kept = [s for s in day.sessions if chosen.keeps(s)]
        days.append(AgendaDay(day.day, day.number, kept, day.columns, day.placements, day.times))
    return days


def zone_label(event: Event) -> str:
    """"Brussels time (CET/CEST, Europe/Brussels)": the city, its abbreviations, the IANA name."""
    zone = ZoneInfo(event.timezone)
    year = event.starts_at.year
    names: list[str] = []
    for month in (1, 7):
        name = datetime(year, month, 15, 12, tzinfo=zone).tzname() or ""
        if name and name[0] in "+-":  # zones without letters: "+03" -> "UTC+03"
            name = f"UTC{name}"
        if name and name not in names:
            names.append(name)
    city = event.timezone.rsplit("/", 1)[-1].replace("_", " ")
    return f"{city} time ({'/'.join(names)}, {event.timezone})" if names else f"{event.timezone} time"


def zone_at(event: Event, moment: datetime) -> str:
    """"Brussels time (CEST, Europe/Brussels)": the zone as in force at ``moment``."""
    name = moment.astimezone(event.zone).tzname() or ""
    if name[:1] in "+-":
        name = f"UTC{name}"
    city = event.timezone.rsplit("/", 1)[-1].replace("_", " ")
    return f"{city} time ({name}, {event.timezone})"


# --- building ----------------------------------------------------------------------------

def _wall_minutes(moment: datetime, midnight: datetime) -> int:
    """Minutes of wall-clock time from ``midnight`` to ``moment`` (both local; DST-proof)."""
    return int((moment.replace(tzinfo=None) - midnight).total_seconds() // 60)


ELSEWHERE = "No room / elsewhere"


def _lay_out(day: AgendaDay, rooms: list[Room]) -> None:
    """Grid lines for each session: rows of ROW_MINUTES from the first start (row 1 holds the
    column names), column 1 the times, then one column per room used that day (in the
    event's order) and, if needed, one for sessions without a room (site visits, online).
    Sessions that overlap in one column get side-by-side lanes, as in the builder."""
    if not day.sessions:
        return
    midnight = datetime.combine(day.day, datetime.min.time())
    first = min(_wall_minutes(s.local_start, midnight) for s in day.sessions)
    origin = first - first % 30
    rows: dict[int, tuple[int, int]] = {}
    members: dict[int | None, list[PublicSession]] = {int(r.id): [] for r in rooms}
    members[None] = []
    times: dict[str, int] = {}
    for item in day.sessions:
        start = _wall_minutes(item.local_start, midnight)
        end = max(start + ROW_MINUTES, _wall_minutes(item.local_end, midnight))
        row_start = (start - origin) // ROW_MINUTES + 2
        rows[item.id] = (row_start, max(row_start + 1, -(-(end - origin) // ROW_MINUTES) + 2))
        key = int(item.room.id) if item.room is not None and int(item.room.id) in members else None
        members[key].append(item)
        times.setdefault(f"{item.local_start:%H:%M}", row_start)
    col = 2
    for room in [*rooms, None]:
        items = members[int(room.id) if room is not None else None]
        if not items:
            continue
        lanes, count = assign_lanes([(n, *rows[s.id]) for n, s in enumerate(items)])
        day.columns.append(DayColumn(room, room.name if room is not None else ELSEWHERE, col, count))
        for n, item in enumerate(items):
            row_start, row_end = rows[item.id]
            day.placements[item.id] = Placement(row_start, row_end, col + lanes[n], col + lanes[n] + 1)
        col += count
    day.times = sorted(times.items(), key=lambda pair: pair[1])


def build_public_agenda(
    event: Event, rooms: list[Room], tracks: list[Track], speakers: list[Speaker], sessions: list[AgendaSession]
) -> PublicAgenda:
    """Assemble the view from rows already read (no queries)."""
    zone = event.zone
    room_by_id = {int(r.id): r for r in rooms}
    track_by_id = {int(t.id): t for t in tracks}
    speaker_by_id = {int(s.id): s for s in speakers}
    items: list[PublicSession] = []
    for session in sessions:
        if session.status == SessionStatus.DRAFT:
            continue
        items.append(
            PublicSession(
                session=session,
                room=room_by_id.get(session.room_id) if session.room_id else None,  # type: ignore[attr-defined]
                track=track_by_id.get(session.track_id) if session.track_id else None,  # type: ignore[attr-defined]
                speakers=tuple(speaker_by_id[i] for i in session.speaker_ids or () if i in speaker_by_id),
                local_start=session.starts_at.astimezone(zone),
                local_end=session.ends_at.astimezone(zone),
            )
        )
    items.sort(key=lambda s: (s.local_start, s.room.position if s.room else -1, s.id))
    by_day: dict[date, list[PublicSession]] = {}
    for item in items:
        by_day.setdefault(item.local_start.date(), []).append(item)
    days = []
    for number, (day, day_items) in enumerate(sorted(by_day.items()), start=1):
        agenda_day = AgendaDay(day, number, day_items)
        _lay_out(agenda_day, rooms)
        days.append(agenda_day)
    return PublicAgenda(event, rooms, tracks, items, days, _key(event))


def _key(event: Event) -> tuple[Any, ...]:
    return (int(event.id), event.slug, event.agenda_version, event.updated_at, event.created_at)


_cache: OrderedDict[tuple[Any, ...], PublicAgenda] = OrderedDict()


def forget_public_agendas() -> None:
    """Empty this process's memory of built agendas (tests, and anyone who needs a cold read)."""
    _cache.clear()


async def read_public_agenda(*, event: Event) -> PublicAgenda:
    """Read the public agenda of ``event`` from the database: four queries, any size."""
    statuses = [SessionStatus.PUBLISHED, SessionStatus.CANCELLED]
    rooms = list(await Room.filter(event_id=event.id))
    tracks = list(await Track.filter(event_id=event.id))
    speakers = list(await Speaker.filter(event_id=event.id))
    sessions = list(
        await AgendaSession.filter(event_id=event.id, status__in=statuses).order_by("starts_at", "id")
    )
    return build_public_agenda(event, rooms, tracks, speakers, sessions)


async def get_public_agenda(*, slug: str, use_cache: bool = True) -> PublicAgenda:
    """The public agenda of a published (or cancelled) event; a draft event is 404.

    Cold: five queries; warm (the same agenda version in this process): one.
    """
    event = await get_event(slug=slug, public=True)
    key = _key(event)
    if use_cache and key in _cache:
        _cache.move_to_end(key)
        return _cache[key]
    agenda = await read_public_agenda(event=event)
    if use_cache:
        _cache[key] = agenda
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return agenda


@dataclass(frozen=True, slots=True)
class SessionPage:
    agenda: PublicAgenda
    item: PublicSession
    confirmed: int  # read fresh: seats change without a new agenda version
    waitlisted: int

    @property
    def places_left(self) -> int | None:
        capacity = self.item.session.capacity
        return None if capacity is None else max(0, capacity - self.confirmed)


async def get_public_session(*, slug: str, session_id: int) -> SessionPage:
    """One public session with its room, track, speakers and current fill; drafts are 404."""
    agenda = await get_public_agenda(slug=slug)
    item = agenda.find(session_id)
    counts = await AgendaSession.filter(id=item.id).values("confirmed_count", "waitlisted_count")
    if not counts:
        raise NotFound("This event has no such session on its agenda.")
    return SessionPage(agenda, item, int(counts[0]["confirmed_count"]), int(counts[0]["waitlisted_count"]))


# --- the per-event stylesheet --------------------------------------------------------------

def agenda_stylesheet(agenda: PublicAgenda) -> str:
    """Track colours and wide-screen grid placements as classes (CSP allows no style="")."""
    lines = [f"/* {agenda.event.slug} agenda, version {agenda.event.agenda_version} */"]
    for track in agenda.tracks:
        if _COLOUR.match(track.colour or ""):
            lines.append(f".track-{int(track.id)}{{--track:{track.colour.lower()}}}")
    lines.append("@media (min-width: 48rem) {")
    for day in agenda.days:
        lines.append(
            f".agenda-day-{day.number} .agenda-grid{{grid-template-columns:4rem repeat({day.width},minmax(7.5rem,1fr))}}"
        )
        for column in day.columns:
            lines.append(
                f".agenda-day-{day.number} .room-col-{column.col}{{grid-column:{column.col}/span {column.span}}}"
            )
        for col in range(2, day.width + 2):
            lines.append(f".agenda-day-{day.number} .agenda-col-{col}{{grid-column:{col}}}")
        for label, row in day.times:
            lines.append(f".agenda-day-{day.number} .time-{label.replace(':', '')}{{grid-row:{row}}}")
        for session_id, p in day.placements.items():
            lines.append(f".slot-{session_id}{{grid-row:{p.row_start}/{p.row_end}}}")
    lines.append("}")
    return "\n".join(lines) + "\n"
