"""What the agenda API returns: pydantic models (their JSON Schema goes into the OpenAPI document).

Organisers see a session as they are building it (draft values, pending edits
applied) beside what the public sees (``published``). Attendees see only
published values, and a join link only for a session they hold a seat in or, when
their registration is confirmed, an online session open to every attendee.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import Field

from events_app.agenda.models import (
    AgendaSession,
    PickStatus,
    Room,
    SessionKind,
    SessionStatus,
    Speaker,
    Track,
)
from events_app.agenda.picks import PickView
from events_app.agenda.service import Agenda, SessionDraft
from events_app.api.serializers import ErrorDetail, Output
from events_app.events.models import Event
from events_app.registration.models import Registration, RegistrationStatus

# --- models ------------------------------------------------------------------------------


class RoomOut(Output):
    id: int
    name: str
    seats: int


class RoomList(Output):
    items: list[RoomOut]


class SpeakerOut(Output):
    id: int
    name: str
    organisation: str
    country: str = Field(description="ISO 3166-1 alpha-2 code, or empty")
    bio: str
    photo_url: str


class SpeakerList(Output):
    items: list[SpeakerOut]


class SpeakerRef(Output):
    id: int
    name: str
    organisation: str
    country: str


class TrackRef(Output):
    name: str
    colour: str = Field(description="#rrggbb")


class SessionRef(Output):
    """The other session of a clash."""

    id: int | None
    title: str
    starts_at: str
    ends_at: str
    room: str | None
    local_time: str = Field(description="Day and times in the event's time zone, for people")


class SpeakerName(Output):
    id: int
    name: str


class ConflictOut(Output):
    type: str = Field(json_schema_extra={"enum": [
        "room_clash", "speaker_clash", "outside_event", "over_room_capacity", "below_places_taken",
    ]})
    message: str
    session: SessionRef | None = Field(
        default=None, description="The other session (room and speaker clashes), or the session concerned (room seats)"
    )
    speaker: SpeakerName | None = Field(default=None, description="The speaker in two places at once")
    room: RoomOut | None = Field(default=None, description="The room whose seats the capacity exceeds")
    capacity: int | None = None
    taken: int | None = Field(default=None, description="Places attendees hold (below_places_taken)")


class Fill(Output):
    confirmed: int
    waitlisted: int


class SessionValues(Output):
    """The values of a session that organisers edit."""

    title: str
    description: str
    kind: SessionKind
    starts_at: datetime
    ends_at: datetime
    room: RoomOut | None
    track: TrackRef | None
    capacity: int | None
    online_url: str
    speakers: list[SpeakerRef]
    status: SessionStatus


class SessionOut(SessionValues):
    """A session as the organiser is building it. Times carry the offset of the event's time zone."""

    id: int
    uid: str = Field(description="Stable part of the calendar UID")
    timezone: str = Field(description="IANA time zone of the event")
    pending_changes: bool = Field(description="Edits (or a cancellation) wait for the next publish")
    published: SessionValues | None = Field(description="What the public sees now; null until first published")
    conflicts: list[ConflictOut]
    fill: Fill


class SessionList(Output):
    items: list[SessionOut]


class PublishedPlace(Output):
    title: str
    starts_at: str
    ends_at: str
    room: str | None


class PublishedSessionRef(PublishedPlace):
    id: int


class PublishedChange(Output):
    id: int
    title: str
    from_: PublishedPlace = Field(alias="from")
    to: PublishedPlace
    fields: list[str] = Field(description="Names of the changed fields, e.g. starts_at, room_id")


class PublishSummaryOut(Output):
    """What one publish changed, and how many people were emailed about it."""

    added: list[PublishedSessionRef]
    moved: list[PublishedChange]
    cancelled: list[PublishedSessionRef]
    changed: list[PublishedChange]
    emails_queued: int
    published_at: str


class AgendaErrorDetail(ErrorDetail):
    conflicts: list[ConflictOut] | None = Field(default=None, description="Each clash (code `agenda_conflict`)")


class AgendaErrorOut(Output):
    error: AgendaErrorDetail


class PicksErrorDetail(ErrorDetail):
    sessions: list[int] | None = Field(
        default=None, description="Ids of the sessions concerned (codes `session_full`, `session_overlap`)"
    )


class PicksErrorOut(Output):
    error: PicksErrorDetail


class AttendeeRoom(Output):
    id: int
    name: str


class AttendeeSession(Output):
    """A published session. ``join_url`` only for a confirmed registration: with a confirmed
    seat in it, or in an online session open to every attendee."""

    id: int
    title: str
    description: str
    kind: SessionKind
    starts_at: datetime
    ends_at: datetime
    room: AttendeeRoom | None
    track: TrackRef | None
    speakers: list[SpeakerRef]
    capacity: int | None
    status: SessionStatus
    is_online: bool
    join_url: str | None


class PickOut(Output):
    session: AttendeeSession
    status: PickStatus
    waitlist_position: int | None = Field(description="1-based place in the session's waitlist")


class PickableSession(AttendeeSession):
    fill: Fill
    places_left: int | None = Field(description="null: no limit")
    picked: PickStatus | None = Field(description="This person's pick of it, if any")


class ManageRegistration(Output):
    id: int
    name: str
    email: str
    status: RegistrationStatus
    waitlist_position: int | None


class ManageEvent(Output):
    slug: str
    title: str
    timezone: str
    starts_at: datetime
    ends_at: datetime
    is_online: bool
    venue_name: str
    venue_address: str
    join_url: str | None = Field(description="The online event's link, only for confirmed registrations")


class CalendarLinks(Output):
    https: str
    webcal: str


class ManageOut(Output):
    """The attendee's own view through their manage link."""

    registration: ManageRegistration
    event: ManageEvent
    can_pick: bool = Field(description="Only confirmed attendees sign up for sessions")
    picks: list[PickOut]
    sessions: list[PickableSession] = Field(description="Published sessions that need a sign-up")
    online_sessions: list[AttendeeSession] = Field(
        description="Published online sessions open to every attendee, no sign-up needed (a plenary "
        "livestream, for example); their join_url only for a confirmed registration"
    )
    calendar: CalendarLinks | None = Field(description="Personal calendar feed; null once cancelled")


# --- organiser side ----------------------------------------------------------------------


def room_json(room: Room) -> dict[str, Any]:
    return RoomOut(id=room.id, name=room.name, seats=room.seats).model_dump(mode="json")


def room_list_json(rooms: Iterable[Room]) -> dict[str, Any]:
    return {"items": [room_json(r) for r in rooms]}


def speaker_json(speaker: Speaker) -> dict[str, Any]:
    return SpeakerOut(
        id=speaker.id, name=speaker.name, organisation=speaker.organisation, country=speaker.country,
        bio=speaker.bio, photo_url=speaker.photo_url,
    ).model_dump(mode="json")


def speaker_list_json(speakers: Iterable[Speaker]) -> dict[str, Any]:
    return {"items": [speaker_json(s) for s in speakers]}


class _Lookup:
    """Rooms, tracks and speakers of one event by id."""

    def __init__(self, rooms: Iterable[Room], tracks: Iterable[Track], speakers: Iterable[Speaker]) -> None:
        self.rooms = {int(r.id): r for r in rooms}
        self.tracks = {int(t.id): t for t in tracks}
        self.speakers = {int(s.id): s for s in speakers}

    def room(self, room_id: int | None) -> RoomOut | None:
        room = self.rooms.get(room_id) if room_id is not None else None
        return RoomOut(id=room.id, name=room.name, seats=room.seats) if room else None

    def track(self, track_id: int | None) -> TrackRef | None:
        track = self.tracks.get(track_id) if track_id is not None else None
        return TrackRef(name=track.name, colour=track.colour) if track else None

    def speaker_refs(self, ids: Iterable[int]) -> list[SpeakerRef]:
        return [
            SpeakerRef(id=s.id, name=s.name, organisation=s.organisation, country=s.country)
            for s in (self.speakers.get(int(i)) for i in ids)
            if s is not None
        ]


def _published_values(session: AgendaSession, lookup: _Lookup, zone: ZoneInfo) -> SessionValues | None:
    if session.status == SessionStatus.DRAFT:
        return None
    return SessionValues(
        title=session.title, description=session.description, kind=session.kind,
        starts_at=session.starts_at.astimezone(zone), ends_at=session.ends_at.astimezone(zone),
        room=lookup.room(session.room_id),  # type: ignore[attr-defined]
        track=lookup.track(session.track_id),  # type: ignore[attr-defined]
        capacity=session.capacity, online_url=session.online_url,
        speakers=lookup.speaker_refs(session.speaker_ids or ()), status=session.status,
    )


def session_json(draft: SessionDraft, agenda: Agenda) -> dict[str, Any]:
    """One session for organisers: draft values, published values, clashes and fill."""
    zone = agenda.event.zone
    lookup = _Lookup(agenda.rooms, agenda.tracks, agenda.speakers)
    session = draft.session
    out = SessionOut(
        id=draft.id, uid=str(session.uid), timezone=agenda.event.timezone,
        title=draft.title, description=draft.description, kind=draft.kind,
        starts_at=draft.starts_at.astimezone(zone), ends_at=draft.ends_at.astimezone(zone),
        room=lookup.room(draft.room_id), track=lookup.track(draft.track_id), capacity=draft.capacity,
        online_url=draft.online_url, speakers=lookup.speaker_refs(draft.speaker_ids), status=draft.status,
        pending_changes=draft.has_pending, published=_published_values(session, lookup, zone),
        conflicts=[ConflictOut.model_validate(c) for c in agenda.conflicts.get(draft.id, [])],
        fill=Fill(confirmed=session.confirmed_count, waitlisted=session.waitlisted_count),
    )
    data = out.model_dump(mode="json")
    data["conflicts"] = [c.model_dump(mode="json", exclude_unset=True) for c in out.conflicts]
    return data


def session_list_json(agenda: Agenda) -> dict[str, Any]:
    return {"items": [session_json(d, agenda) for d in agenda.drafts]}


def find_draft(agenda: Agenda, session_id: int) -> SessionDraft | None:
    return next((d for d in agenda.drafts if d.id == session_id), None)


# --- attendee side -----------------------------------------------------------------------


def _attendee_session(
    session: AgendaSession, lookup: _Lookup, zone: ZoneInfo, *, seated: bool, model: type[AttendeeSession], **extra: Any
) -> AttendeeSession:
    room = lookup.rooms.get(session.room_id) if session.room_id is not None else None  # type: ignore[attr-defined]
    return model(
        id=session.id, title=session.title, description=session.description, kind=session.kind,
        starts_at=session.starts_at.astimezone(zone), ends_at=session.ends_at.astimezone(zone),
        room=AttendeeRoom(id=room.id, name=room.name) if room else None,
        track=lookup.track(session.track_id),  # type: ignore[attr-defined]
        speakers=lookup.speaker_refs(session.speaker_ids or ()), capacity=session.capacity,
        status=session.status, is_online=bool(session.online_url),
        join_url=session.online_url if seated and session.online_url and session.status == SessionStatus.PUBLISHED else None,
        **extra,
    )


def manage_json(
    *,
    registration: Registration,
    event: Event,
    position: int | None,
    picks: list[PickView],
    pickable: list[AgendaSession],
    open_online: list[AgendaSession],
    rooms: Iterable[Room],
    tracks: Iterable[Track],
    speakers: Iterable[Speaker],
    calendar: dict[str, str] | None,
) -> dict[str, Any]:
    """The attendee's view: their registration, the event, their picks and what they can pick."""
    zone = event.zone
    lookup = _Lookup(rooms, tracks, speakers)
    confirmed = registration.status == RegistrationStatus.CONFIRMED
    mine = {int(v.session.id): v.pick.status for v in picks}

    def seated(session_id: int) -> bool:
        return confirmed and mine.get(session_id) == PickStatus.CONFIRMED

    out = ManageOut(
        registration=ManageRegistration(
            id=registration.id, name=registration.name, email=registration.email,
            status=registration.status, waitlist_position=position,
        ),
        event=ManageEvent(
            slug=event.slug, title=event.title, timezone=event.timezone,
            starts_at=event.starts_at.astimezone(zone), ends_at=event.ends_at.astimezone(zone),
            is_online=event.is_online, venue_name=event.venue_name, venue_address=event.venue_address,
            join_url=event.online_url if confirmed and event.is_online and event.online_url else None,
        ),
        can_pick=confirmed,
        picks=[
            PickOut(
                session=_attendee_session(v.session, lookup, zone, seated=seated(v.session.id), model=AttendeeSession),
                status=v.pick.status,
                waitlist_position=v.waitlist_position,
            )
            for v in picks
        ],
        sessions=[
            _attendee_session(
                s, lookup, zone, seated=seated(s.id), model=PickableSession,
                fill=Fill(confirmed=s.confirmed_count, waitlisted=s.waitlisted_count),
                places_left=None if s.capacity is None else max(0, s.capacity - s.confirmed_count),
                picked=mine.get(int(s.id)),
            )
            for s in pickable
        ],
        online_sessions=[
            _attendee_session(s, lookup, zone, seated=confirmed, model=AttendeeSession) for s in open_online
        ],
        calendar=CalendarLinks(**calendar) if calendar else None,
    )
    return out.model_dump(mode="json")
