"""Finding clashes in an agenda (pure functions over plain values, no database).

Four kinds, each reported with what it clashes with:
- ``room_clash``: another session in the same room at an overlapping time;
- ``speaker_clash``: a speaker of this session speaks in another at the same time;
- ``outside_event``: the session is not within the event's dates (in its time zone);
- ``over_room_capacity``: the session's capacity is above its room's seats;
- ``below_places_taken``: its capacity is below the places attendees already hold.
Cancelled sessions clash with nothing. Touching sessions (one ends when the next
starts) do not overlap.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class Slot:
    """The values of a session that matter for clashes (draft values in the builder)."""

    id: int | None  # None: a session not yet stored
    title: str
    starts_at: datetime
    ends_at: datetime
    room_id: int | None
    speaker_ids: tuple[int, ...]
    capacity: int | None
    cancelled: bool = False
    taken: int = 0  # places attendees hold now


@dataclass(frozen=True, slots=True)
class EventFrame:
    """What a session is checked against: the event's dates, rooms and speakers."""

    starts_at: datetime
    ends_at: datetime
    timezone: str
    rooms: dict[int, tuple[str, int]]  # id -> (name, seats)
    speakers: dict[int, str] = field(default_factory=dict)  # id -> name


def overlaps(a: Slot, b: Slot) -> bool:
    return a.starts_at < b.ends_at and b.starts_at < a.ends_at


def session_ref(slot: Slot, frame: EventFrame, zone: ZoneInfo) -> dict[str, Any]:
    room = frame.rooms.get(slot.room_id) if slot.room_id is not None else None
    return {
        "id": slot.id,
        "title": slot.title,
        "starts_at": slot.starts_at.astimezone(zone).isoformat(),
        "ends_at": slot.ends_at.astimezone(zone).isoformat(),
        "room": room[0] if room else None,
        "local_time": f"{slot.starts_at.astimezone(zone):%a %d %b %H:%M}-{slot.ends_at.astimezone(zone):%H:%M}",
    }


def _own_conflicts(slot: Slot, frame: EventFrame, zone: ZoneInfo) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    first_day = frame.starts_at.astimezone(zone).date()
    last_day = frame.ends_at.astimezone(zone).date()
    start_day = slot.starts_at.astimezone(zone).date()
    end_day = slot.ends_at.astimezone(zone).date()
    if start_day < first_day or end_day > last_day:
        found.append({
            "type": "outside_event",
            "message": f"It is outside the event's dates ({first_day:%d %b %Y} to {last_day:%d %b %Y}).",
        })
    room = frame.rooms.get(slot.room_id) if slot.room_id is not None else None
    if room and slot.capacity is not None and slot.capacity > room[1]:
        found.append({
            "type": "over_room_capacity",
            "message": f"Its capacity ({slot.capacity}) is above the {_seats(room[1])} of {room[0]}.",
            "room": {"id": slot.room_id, "name": room[0], "seats": room[1]},
            "capacity": slot.capacity,
        })
    if slot.capacity is not None and slot.capacity < slot.taken:
        found.append({
            "type": "below_places_taken",
            "message": f"Its capacity ({slot.capacity}) is below the {slot.taken} places attendees already hold.",
            "capacity": slot.capacity,
            "taken": slot.taken,
        })
    return found


def _seats(count: int) -> str:
    return "1 seat" if count == 1 else f"{count} seats"


def _pair_conflicts(slot: Slot, other: Slot, frame: EventFrame, zone: ZoneInfo) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    ref = session_ref(other, frame, zone)
    if slot.room_id is not None and slot.room_id == other.room_id:
        room_name = frame.rooms.get(slot.room_id, ("this room", 0))[0]
        found.append({
            "type": "room_clash",
            "message": f"{room_name} is already used by \u201c{other.title}\u201d ({ref['local_time']}).",
            "session": ref,
        })
    for speaker_id in sorted(set(slot.speaker_ids) & set(other.speaker_ids)):
        name = frame.speakers.get(speaker_id, f"Speaker {speaker_id}")
        found.append({
            "type": "speaker_clash",
            "message": f"{name} also speaks in \u201c{other.title}\u201d ({ref['local_time']}).",
            "speaker": {"id": speaker_id, "name": name},
            "session": ref,
        })
    return found


def find_conflicts(slot: Slot, others: list[Slot], frame: EventFrame) -> list[dict[str, Any]]:
    """Every clash of ``slot`` with the event and with ``others`` (itself excluded).

    Parameters: the session to check, the event's other sessions, the event frame.
    Returns: a list of JSON-ready dicts, each with ``type`` and ``message``, and the
    other ``session`` for clashes between sessions. O(n) in the number of others.
    """
    if slot.cancelled:
        return []
    zone = ZoneInfo(frame.timezone)
    found = _own_conflicts(slot, frame, zone)
    for other in sorted(others, key=lambda s: (s.starts_at, s.id or 0)):
        if other.cancelled or (slot.id is not None and other.id == slot.id) or not overlaps(slot, other):
            continue
        found.extend(_pair_conflicts(slot, other, frame, zone))
    return found


def find_all_conflicts(slots: list[Slot], frame: EventFrame) -> dict[int, list[dict[str, Any]]]:
    """Session id -> its clashes, for a whole agenda (sweep by start time: O(n log n + clashes))."""
    zone = ZoneInfo(frame.timezone)
    result: dict[int, list[dict[str, Any]]] = defaultdict(list)
    live = sorted((s for s in slots if not s.cancelled and s.id is not None), key=lambda s: (s.starts_at, s.id))
    for slot in live:
        assert slot.id is not None
        own = _own_conflicts(slot, frame, zone)
        if own:
            result[slot.id].extend(own)
    active: list[Slot] = []
    for slot in live:
        assert slot.id is not None
        active = [a for a in active if a.ends_at > slot.starts_at]
        for other in active:
            assert other.id is not None
            result[slot.id].extend(_pair_conflicts(slot, other, frame, zone))
            result[other.id].extend(_pair_conflicts(other, slot, frame, zone))
        active.append(slot)
    return {sid: found for sid, found in result.items() if found}
