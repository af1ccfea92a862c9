"""Building an agenda: rooms, tracks, speakers, sessions, conflicts and publishing.

Every agenda write locks the event row (the same lock as registration), so two
organisers editing at once cannot both slip a session into one free room. Edits
of a published session wait in ``pending`` until :func:`publish_agenda`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from events_app.agenda.conflicts import (
    EventFrame,
    Slot,
    find_all_conflicts,
    find_conflicts,
    session_ref,
)
from events_app.agenda.models import (
    AgendaPublication,
    AgendaSession,
    Room,
    SessionKind,
    SessionStatus,
    Speaker,
    Track,
)
from events_app.agenda.schemas import RoomInput, RoomPatch, SessionInput, SessionPatch, SpeakerInput
from events_app.clock import utcnow
from events_app.errors import AgendaConflict, Conflict, Invalid, NotFound
from events_app.events.models import Event
from events_app.registration.locking import lock_event

# Track colours given in turn to new tracks (readable with white text, distinct for colour-blind eyes).
TRACK_PALETTE = ("#1b6ca8", "#2e7d32", "#b35c00", "#7b1fa2", "#c62828", "#00796b", "#5d4037", "#455a64")
# Changes of these fields update attendees' calendar entries (and email them).
CALENDAR_FIELDS = ("starts_at", "ends_at", "room_id", "title", "online_url")
MOVE_FIELDS = ("starts_at", "ends_at", "room_id")
# What organiser edits and publishing write. Never the seat counters: only picks.py changes
# those, under the session row lock, so a save here cannot overwrite a sign-up made meanwhile.
EDIT_COLUMNS = (
    "title", "description", "kind", "starts_at", "ends_at", "room_id", "track_id", "capacity",
    "online_url", "speaker_ids", "status", "pending", "conflicts_allowed", "ical_sequence",
    "published_at", "updated_at",
)


@dataclass(frozen=True, slots=True)
class SessionDraft:
    """A session as the organiser currently sees it: published values with pending edits applied."""

    session: AgendaSession
    title: str
    description: str
    kind: SessionKind
    starts_at: datetime
    ends_at: datetime
    room_id: int | None
    track_id: int | None
    capacity: int | None
    online_url: str
    speaker_ids: tuple[int, ...]
    status: SessionStatus  # cancelled when a cancellation is pending
    has_pending: bool

    @property
    def id(self) -> int:
        return int(self.session.id)

    def slot(self) -> Slot:
        return Slot(
            id=self.id, title=self.title, starts_at=self.starts_at, ends_at=self.ends_at,
            room_id=self.room_id, speaker_ids=self.speaker_ids, capacity=self.capacity,
            cancelled=self.status == SessionStatus.CANCELLED, taken=self.session.confirmed_count,
        )


def _from_json(name: str, value: Any) -> Any:
    if name in ("starts_at", "ends_at") and isinstance(value, str):
        return datetime.fromisoformat(value).astimezone(UTC)  # UTC: see validation.Moment
    if name == "speaker_ids":
        return tuple(value or ())
    if name == "kind":
        return SessionKind(value)
    return value


def _to_json(name: str, value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if name == "speaker_ids":
        return list(value)
    return value


def draft_of(session: AgendaSession) -> SessionDraft:
    values: dict[str, Any] = {
        "title": session.title, "description": session.description, "kind": SessionKind(session.kind),
        "starts_at": session.starts_at, "ends_at": session.ends_at, "room_id": session.room_id,  # type: ignore[attr-defined]
        "track_id": session.track_id, "capacity": session.capacity,  # type: ignore[attr-defined]
        "online_url": session.online_url, "speaker_ids": tuple(session.speaker_ids or ()),
        "status": SessionStatus(session.status),
    }
    pending = session.pending or {}
    for name, value in pending.items():
        values[name] = SessionStatus(value) if name == "status" else _from_json(name, value)
    return SessionDraft(session=session, has_pending=bool(pending), **values)


@dataclass(slots=True)
class Agenda:
    """Everything the builder and the API need about one event's agenda (five queries)."""

    event: Event
    rooms: list[Room]
    tracks: list[Track]
    speakers: list[Speaker]
    drafts: list[SessionDraft]
    conflicts: dict[int, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def frame(self) -> EventFrame:
        return event_frame(self.event, self.rooms, self.speakers)


def event_frame(event: Event, rooms: list[Room], speakers: list[Speaker]) -> EventFrame:
    return EventFrame(
        starts_at=event.starts_at, ends_at=event.ends_at, timezone=event.timezone,
        rooms={int(r.id): (r.name, r.seats) for r in rooms},
        speakers={int(s.id): s.name for s in speakers},
    )


async def load_agenda(*, event: Event, conn: BaseDBAsyncClient | None = None) -> Agenda:
    """The whole agenda of ``event`` as the organiser sees it, with every clash found."""
    def q(model: Any) -> Any:
        query = model.filter(event_id=event.id)
        return query.using_db(conn) if conn else query

    rooms = list(await q(Room))
    tracks = list(await q(Track))
    speakers = list(await q(Speaker))
    sessions = list(await q(AgendaSession).order_by("starts_at", "id"))
    drafts = [draft_of(s) for s in sessions]
    drafts.sort(key=lambda d: (d.starts_at, d.id))
    agenda = Agenda(event, rooms, tracks, speakers, drafts)
    agenda.conflicts = find_all_conflicts([d.slot() for d in drafts], agenda.frame)
    return agenda


# --- rooms, tracks, speakers -------------------------------------------------------------

async def list_rooms(*, event: Event) -> list[Room]:
    return list(await Room.filter(event_id=event.id))


async def create_room(*, event: Event, data: RoomInput) -> Room:
    async with in_transaction() as conn:
        await lock_event(event.id, conn)
        if await Room.filter(event_id=event.id, name__iexact=data.name).using_db(conn).exists():
            raise Invalid("Some fields need attention.", fields={"name": "This event already has a room of that name."})
        position = await Room.filter(event_id=event.id).using_db(conn).count()
        room = await Room.create(event_id=event.id, name=data.name, seats=data.seats, position=position, using_db=conn)
        await _touch(event, conn)
    return room


async def update_room(*, event: Event, room_id: int, patch: RoomPatch) -> Room:
    async with in_transaction() as conn:
        await lock_event(event.id, conn)
        room = await Room.filter(id=room_id, event_id=event.id).using_db(conn).first()
        if room is None:
            raise NotFound("This event has no such room.")
        if patch.name is not None and patch.name.casefold() != room.name.casefold():
            if await Room.filter(event_id=event.id, name__iexact=patch.name).using_db(conn).exists():
                raise Invalid("Some fields need attention.", fields={"name": "This event already has a room of that name."})
        if patch.name is not None:
            room.name = patch.name
        if patch.seats is not None and patch.seats < room.seats:
            conflicts = await _sessions_above_seats(event, room, patch.seats, conn)
            if conflicts and not patch.allow_conflicts:
                _refuse_conflicts(conflicts, what="These seats are fewer than sessions in this room need")
        if patch.seats is not None:
            room.seats = patch.seats
        await room.save(using_db=conn)
        await _touch(event, conn)
    return room


async def _sessions_above_seats(event: Event, room: Room, seats: int, conn: BaseDBAsyncClient) -> list[dict[str, Any]]:
    """The live sessions of ``room`` whose capacity would be above ``seats``."""
    agenda = await load_agenda(event=event, conn=conn)
    frame = agenda.frame
    frame.rooms[int(room.id)] = (room.name, seats)
    found = []
    for draft in agenda.drafts:
        if draft.room_id == room.id and draft.status != SessionStatus.CANCELLED:
            for conflict in find_conflicts(draft.slot(), [], frame):
                if conflict["type"] == "over_room_capacity":
                    found.append({**conflict, "session": session_ref(draft.slot(), frame, event.zone)})
    return found


async def list_tracks(*, event: Event) -> list[Track]:
    return list(await Track.filter(event_id=event.id))


async def find_or_create_track(
    *, event: Event, name: str, colour: str | None = None, conn: BaseDBAsyncClient
) -> Track:
    track = await Track.filter(event_id=event.id, name__iexact=name).using_db(conn).first()
    if track is not None:
        if colour and colour.lower() != track.colour:
            track.colour = colour.lower()
            await track.save(using_db=conn)
        return track
    position = await Track.filter(event_id=event.id).using_db(conn).count()
    return await Track.create(
        event_id=event.id, name=name, colour=(colour or TRACK_PALETTE[position % len(TRACK_PALETTE)]).lower(),
        position=position, using_db=conn,
    )


async def list_speakers(*, event: Event) -> list[Speaker]:
    return list(await Speaker.filter(event_id=event.id))


async def create_speaker(*, event: Event, data: SpeakerInput) -> Speaker:
    async with in_transaction() as conn:
        speaker = await Speaker.create(event_id=event.id, **data.model_dump(), using_db=conn)
        await _touch(event, conn)
    return speaker


async def update_speaker(*, event: Event, speaker_id: int, data: SpeakerInput) -> Speaker:
    async with in_transaction() as conn:
        speaker = await Speaker.filter(id=speaker_id, event_id=event.id).using_db(conn).first()
        if speaker is None:
            raise NotFound("This event has no such speaker.")
        for name, value in data.model_dump().items():
            setattr(speaker, name, value)
        await speaker.save(using_db=conn)
        await _touch(event, conn)
    return speaker


async def _touch(event: Event, conn: BaseDBAsyncClient) -> None:
    """A detail the public agenda shows changed: move its cache key on."""
    from tortoise.expressions import F

    await Event.filter(id=event.id).using_db(conn).update(agenda_version=F("agenda_version") + 1)


# --- sessions ----------------------------------------------------------------------------

async def _resolve_room(event: Event, room: int | str | None, conn: BaseDBAsyncClient) -> int | None:
    if room is None:
        return None
    query = Room.filter(event_id=event.id).using_db(conn)
    found = await (query.filter(id=room) if isinstance(room, int) else query.filter(name__iexact=room)).first()
    if found is None:
        raise Invalid("Some fields need attention.", fields={"room": f"This event has no room {room!r}."})
    return int(found.id)


async def _check_speakers(event: Event, speaker_ids: list[int], conn: BaseDBAsyncClient) -> tuple[int, ...]:
    if speaker_ids:
        known = set(await Speaker.filter(event_id=event.id, id__in=speaker_ids).using_db(conn).values_list("id", flat=True))
        missing = [i for i in speaker_ids if i not in known]
        if missing:
            raise Invalid(
                "Some fields need attention.",
                fields={"speakers": f"This event has no speaker with id {', '.join(map(str, missing))}."},
            )
    return tuple(speaker_ids)


def _refuse_conflicts(conflicts: list[dict[str, Any]], what: str = "This session clashes") -> None:
    first = conflicts[0]["message"]
    first = first[:1].lower() + first[1:] if first.startswith("It") else first
    more = f" (and {len(conflicts) - 1} more)" if len(conflicts) > 1 else ""
    raise AgendaConflict(
        f"{what}: {first}{more} Send \"allow_conflicts\": true to store it anyway.",
        details={"conflicts": conflicts},
    )


@dataclass(frozen=True, slots=True)
class SessionResult:
    draft: SessionDraft
    conflicts: list[dict[str, Any]]


async def create_session(*, event: Event, data: SessionInput) -> SessionResult:
    """Add a draft session; refuse it (409, with the clashes) unless ``allow_conflicts``."""
    async with in_transaction() as conn:
        event = await lock_event(event.id, conn)
        room_id = await _resolve_room(event, data.room, conn)
        speaker_ids = await _check_speakers(event, data.speakers, conn)
        track = (
            await find_or_create_track(event=event, name=data.track, colour=data.track_colour, conn=conn)
            if data.track else None
        )
        agenda = await load_agenda(event=event, conn=conn)
        slot = Slot(None, data.title, data.starts_at, data.ends_at, room_id, speaker_ids, data.capacity)
        conflicts = find_conflicts(slot, [d.slot() for d in agenda.drafts], agenda.frame)
        if conflicts and not data.allow_conflicts:
            _refuse_conflicts(conflicts)
        session = await AgendaSession.create(
            uid=uuid.uuid4(), event_id=event.id, title=data.title, description=data.description,
            kind=data.kind, starts_at=data.starts_at, ends_at=data.ends_at, room_id=room_id,
            track_id=track.id if track else None, capacity=data.capacity, online_url=data.online_url,
            speaker_ids=list(speaker_ids), status=SessionStatus.DRAFT, conflicts_allowed=bool(conflicts),
            using_db=conn,
        )
    return SessionResult(draft_of(session), conflicts)


async def _locked_session(event: Event, session_id: int, conn: BaseDBAsyncClient) -> AgendaSession:
    session = (
        await AgendaSession.filter(id=session_id, event_id=event.id).using_db(conn).select_for_update().first()
    )
    if session is None:
        raise NotFound("This event has no such session.")
    return session


async def update_session(*, event: Event, session_id: int, patch: SessionPatch) -> SessionResult:
    """Change a session: at once for a draft, as pending changes for a published one."""
    async with in_transaction() as conn:
        event = await lock_event(event.id, conn)
        session = await _locked_session(event, session_id, conn)
        current = draft_of(session)
        if current.status == SessionStatus.CANCELLED:
            raise Conflict(
            "This session's cancellation is waiting to be published: discard the pending change first "
            "(Discard in the agenda builder) to change it."
            if session.status == SessionStatus.PUBLISHED
            else "This session is cancelled and cannot be changed."
        )
        sent = patch.model_fields_set - {"allow_conflicts", "track_colour"}
        changes: dict[str, Any] = {}
        for name in ("title", "description", "kind", "starts_at", "ends_at", "capacity", "online_url"):
            if name in sent:
                changes[name] = getattr(patch, name)
        if "room" in sent:
            changes["room_id"] = await _resolve_room(event, patch.room, conn)
        if "speakers" in sent:
            changes["speaker_ids"] = await _check_speakers(event, patch.speakers or [], conn)
        if "track" in sent:
            changes["track_id"] = (
                (await find_or_create_track(event=event, name=patch.track, colour=patch.track_colour, conn=conn)).id
                if patch.track else None
            )
        starts = changes.get("starts_at", current.starts_at)
        ends = changes.get("ends_at", current.ends_at)
        if ends <= starts:
            raise Invalid("Some fields need attention.", fields={"ends_at": "Must be after the start."})
        if (ends - starts).total_seconds() > 24 * 3600:
            raise Invalid("Some fields need attention.", fields={"ends_at": "A session lasts at most 24 hours."})
        agenda = await load_agenda(event=event, conn=conn)
        slot = Slot(
            session.id, changes.get("title", current.title), starts, ends,
            changes.get("room_id", current.room_id), tuple(changes.get("speaker_ids", current.speaker_ids)),
            changes.get("capacity", current.capacity), taken=session.confirmed_count,
        )
        conflicts = find_conflicts(slot, [d.slot() for d in agenda.drafts], agenda.frame)
        if conflicts and not patch.allow_conflicts:
            _refuse_conflicts(conflicts)
        _apply_changes(session, changes)
        session.conflicts_allowed = bool(conflicts)
        await session.save(using_db=conn, update_fields=EDIT_COLUMNS)
    return SessionResult(draft_of(session), conflicts)


def _apply_changes(session: AgendaSession, changes: dict[str, Any]) -> None:
    if session.status == SessionStatus.DRAFT:  # never published: the row is the draft
        for name, value in changes.items():
            setattr(session, name, list(value) if name == "speaker_ids" else value)
        return
    pending = dict(session.pending or {})
    for name, value in changes.items():
        live = getattr(session, name)
        if name == "speaker_ids":
            live = list(live or [])
        if _to_json(name, live) == _to_json(name, value):
            pending.pop(name, None)  # back to the published value: nothing pending
        else:
            pending[name] = _to_json(name, value)
    session.pending = pending or None


async def cancel_session(*, event: Event, session_id: int) -> SessionDraft | None:
    """Cancel a session: a never-published one is deleted (returns None); a published one
    is cancelled at the next publish (attendees who picked it then get METHOD:CANCEL)."""
    async with in_transaction() as conn:
        await lock_event(event.id, conn)
        session = await _locked_session(event, session_id, conn)
        if session.status == SessionStatus.DRAFT:
            await session.delete(using_db=conn)
            return None
        if session.status == SessionStatus.CANCELLED:
            return draft_of(session)
        session.pending = {**(session.pending or {}), "status": SessionStatus.CANCELLED.value}
        await session.save(using_db=conn, update_fields=EDIT_COLUMNS)
    return draft_of(session)


async def discard_session_changes(*, event: Event, session_id: int) -> SessionDraft:
    """Drop the unpublished edits (or pending cancellation) of a published session."""
    async with in_transaction() as conn:
        await lock_event(event.id, conn)
        session = await _locked_session(event, session_id, conn)
        session.pending = None
        await session.save(using_db=conn, update_fields=EDIT_COLUMNS)
    return draft_of(session)


# --- publishing --------------------------------------------------------------------------

def _describe(
    session: AgendaSession, rooms: dict[int, str], zone: Any, values: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Time (in the event's zone), room and title of a session, for the publish summary."""
    values = values or {}
    room_id = values.get("room_id", session.room_id)  # type: ignore[attr-defined]
    starts = values.get("starts_at", session.starts_at)
    ends = values.get("ends_at", session.ends_at)
    return {
        "starts_at": starts.astimezone(zone).isoformat(),
        "ends_at": ends.astimezone(zone).isoformat(),
        "room": rooms.get(room_id) if room_id is not None else None,
        "title": values.get("title", session.title),
    }


@dataclass(frozen=True, slots=True)
class PublishSummary:
    added: list[dict[str, Any]]
    moved: list[dict[str, Any]]
    cancelled: list[dict[str, Any]]
    changed: list[dict[str, Any]]
    emails_queued: int
    published_at: datetime

    @property
    def nothing_changed(self) -> bool:
        return not (self.added or self.moved or self.cancelled or self.changed)

    def as_json(self) -> dict[str, Any]:
        return {
            "added": self.added, "moved": self.moved, "cancelled": self.cancelled, "changed": self.changed,
            "emails_queued": self.emails_queued, "published_at": self.published_at.isoformat(),
        }


async def publish_agenda(*, event: Event, actor: str = "", now: datetime | None = None) -> PublishSummary:
    """Make every draft change public, in one transaction, and tell the people it affects.

    New sessions become published; pending edits are applied; pending cancellations
    cancel. A change of time, room, title or join link bumps the session's calendar
    SEQUENCE; everyone holding a place in a changed session gets one email for the
    whole publish (see notifications/agenda_emails.py). Returns what changed.
    """
    from events_app.agenda.picks import promote_session_waitlist
    from events_app.notifications.agenda_emails import queue_agenda_change_emails

    now = now or utcnow()
    async with in_transaction() as conn:
        event = await lock_event(event.id, conn)
        rooms = {int(r.id): r.name for r in await Room.filter(event_id=event.id).using_db(conn)}
        # Lock every session row in id order, as picks.py does, so a sign-up running now
        # waits for the publish instead of deadlocking with it.
        sessions = list(
            await AgendaSession.filter(event_id=event.id).using_db(conn).order_by("id").select_for_update()
        )
        sessions.sort(key=lambda s: (s.starts_at, s.id))
        added, moved, cancelled, changed = [], [], [], []
        calendar_changes: list[tuple[AgendaSession, str, dict[str, Any]]] = []
        for session in sessions:
            ref = {"id": session.id, "title": session.title}
            if session.status == SessionStatus.DRAFT:
                session.status = SessionStatus.PUBLISHED
                session.published_at = now
                await session.save(using_db=conn, update_fields=EDIT_COLUMNS)
                added.append({**ref, **_describe(session, rooms, event.zone)})
                continue
            if not session.pending:
                continue
            pending = {k: _from_json(k, v) for k, v in session.pending.items()}
            before = _describe(session, rooms, event.zone)
            if pending.get("status") == SessionStatus.CANCELLED.value:
                session.status = SessionStatus.CANCELLED
                session.pending = None
                session.ical_sequence += 1
                await session.save(using_db=conn, update_fields=EDIT_COLUMNS)
                cancelled.append({**ref, **before})
                calendar_changes.append((session, "cancelled", before))
                continue
            old_capacity = session.capacity
            fields_changed = sorted(pending)
            for name, value in pending.items():
                setattr(session, name, list(value) if name == "speaker_ids" else value)
            session.pending = None
            is_move = any(name in MOVE_FIELDS for name in pending)
            touches_calendar = any(name in CALENDAR_FIELDS for name in pending)
            if touches_calendar:
                session.ical_sequence += 1
            await session.save(using_db=conn, update_fields=EDIT_COLUMNS)
            entry = {**ref, "title": session.title, "from": before, "to": _describe(session, rooms, event.zone), "fields": fields_changed}
            (moved if is_move else changed).append(entry)
            if touches_calendar:
                calendar_changes.append((session, "moved" if is_move else "changed", before))
            if session.capacity is None or (old_capacity is not None and session.capacity > old_capacity):
                await promote_session_waitlist(session=session, event=event, conn=conn, now=now)
        emails = await queue_agenda_change_emails(event=event, changes=calendar_changes, conn=conn, now=now)
        event.agenda_version += 1
        await Event.filter(id=event.id).using_db(conn).update(agenda_version=event.agenda_version)
        summary = PublishSummary(added, moved, cancelled, changed, emails, now)
        await AgendaPublication.create(
            event_id=event.id, summary=summary.as_json(), published_at=now, published_by=actor, using_db=conn
        )
    return summary


async def unpublished_count(*, event: Event) -> int:
    """How many sessions have changes the public does not see yet."""
    drafts = await AgendaSession.filter(event_id=event.id, status=SessionStatus.DRAFT).count()
    pending = await AgendaSession.filter(event_id=event.id, pending__isnull=False).count()
    return drafts + pending


async def last_publication(*, event: Event) -> AgendaPublication | None:
    return await AgendaPublication.filter(event_id=event.id).first()
