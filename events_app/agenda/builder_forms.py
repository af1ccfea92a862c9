"""The agenda builder's forms: submitted strings in, validated agenda schemas (or field errors) out.

A session's time is entered as a day of the event, a start and an end time
(``<input type="time">``), read as wall-clock times in the event's time zone.
A time the clocks skip (the spring change) is refused, as in the event form.
Field errors are reported under the form's own names (``start``, ``end``, ...).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from events_app.agenda.models import SessionKind, Track
from events_app.agenda.schemas import RoomInput, RoomPatch, SessionInput, SessionPatch, SpeakerInput
from events_app.agenda.service import SessionDraft
from events_app.errors import Invalid
from events_app.events.models import Event
from events_app.organiser.forms import _local_time
from events_app.validation import parse

SESSION_TEXT_FIELDS = (
    "title", "kind", "description", "day", "start", "end", "room", "track", "capacity", "online_url",
)
MOVE_FIELDS = ("day", "start", "end", "room")
ROOM_FIELDS = ("name", "seats")
SPEAKER_FIELDS = ("name", "organisation", "country", "bio", "photo_url")
MAX_VALUE = 20_000
MAX_SPEAKERS_SENT = 200

KIND_LABELS = {
    SessionKind.PLENARY.value: "Plenary",
    SessionKind.WORKSHOP.value: "Workshop",
    SessionKind.SITE_VISIT.value: "Site visit",
    SessionKind.NETWORKING.value: "Networking",
    SessionKind.BREAK.value: "Break",
    SessionKind.WEBINAR.value: "Webinar",
}
# Schema field -> the builder form field that carries it.
_FORM_NAMES = {"starts_at": "start", "ends_at": "end", "track_colour": "track"}
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)(:[0-5]\d)?$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(slots=True)
class SessionEditor:
    """The state of the session form: new or editing, what was typed, what went wrong."""

    session_id: int | None = None
    title: str = ""  # the session's current title, for the heading
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    message: str = ""
    conflicts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def editing(self) -> bool:
        return self.session_id is not None


def event_days(event: Event) -> list[date]:
    """Every calendar day of the event in its own time zone."""
    first = event.local_start.date()
    end = event.local_end
    last = end.date()
    if end.time() == datetime.min.time() and last > first:
        last -= timedelta(days=1)  # ends at midnight: that day is not part of it
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def day_label(day: date) -> str:
    return day.strftime("%a %d %b %Y")


def day_options(event: Event, *extra: str) -> dict[str, str]:
    """ISO date -> label of the event's days, plus ``extra`` days a session is on already."""
    options = {day.isoformat(): day_label(day) for day in event_days(event)}
    for raw in extra:
        if raw and raw not in options and _DAY.match(raw):
            try:
                options[raw] = f"{day_label(date.fromisoformat(raw))} (outside the event)"
            except ValueError:
                continue
    return dict(sorted(options.items()))


def form_names(fields: Mapping[str, str]) -> dict[str, str]:
    """Schema or service field errors keyed by the form's field names."""
    result: dict[str, str] = {}
    for name, message in fields.items():
        base = name.split(".", 1)[0]
        result.setdefault(_FORM_NAMES.get(base, base), message)
    return result


# --- sessions ------------------------------------------------------------------------------

def session_form_values(form: Mapping[str, Any], getlist: Any = None) -> dict[str, Any]:
    """The submitted session form as strings (and the list of ticked speaker ids)."""
    values: dict[str, Any] = {
        name: str(form.get(name, "") or "")[:MAX_VALUE] for name in SESSION_TEXT_FIELDS
    }
    speakers = getlist("speakers") if getlist else []
    values["speakers"] = [str(s)[:20] for s in speakers[:MAX_SPEAKERS_SENT]]
    return values


def blank_session_values(event: Event) -> dict[str, Any]:
    values: dict[str, Any] = {name: "" for name in SESSION_TEXT_FIELDS}
    values.update(kind=SessionKind.WORKSHOP.value, day=event_days(event)[0].isoformat(), speakers=[])
    return values


def draft_values(draft: SessionDraft, event: Event, tracks: Mapping[int, Track]) -> dict[str, Any]:
    """A session's current (draft) values as the strings its edit form starts from."""
    zone = event.zone
    start = draft.starts_at.astimezone(zone)
    end = draft.ends_at.astimezone(zone)
    track = tracks.get(draft.track_id) if draft.track_id is not None else None
    return {
        "title": draft.title,
        "kind": draft.kind.value,
        "description": draft.description,
        "day": start.date().isoformat(),
        "start": start.strftime("%H:%M"),
        "end": end.strftime("%H:%M"),
        "room": str(draft.room_id) if draft.room_id is not None else "",
        "track": track.name if track else "",
        "capacity": str(draft.capacity) if draft.capacity is not None else "",
        "online_url": draft.online_url,
        "speakers": [str(i) for i in draft.speaker_ids],
    }


def _times(values: Mapping[str, Any], event: Event, errors: dict[str, str]) -> tuple[datetime, datetime] | None:
    day = str(values.get("day", "")).strip()
    start = str(values.get("start", "")).strip()
    end = str(values.get("end", "")).strip()
    if not _DAY.match(day):
        errors["day"] = "Choose a day."
    else:
        try:
            date.fromisoformat(day)
        except ValueError:
            errors["day"] = "Choose a day."
    for name, raw in (("start", start), ("end", end)):
        if not raw:
            errors[name] = "This field is required."
        elif not _TIME.match(raw):
            errors[name] = "Enter a time such as 09:30."
    if errors.keys() & {"day", "start", "end"}:
        return None
    moments: list[datetime] = []
    for name, raw in (("start", start), ("end", end)):
        try:
            moments.append(_local_time(f"{day}T{raw[:5]}", event.zone))
        except ValueError as exc:
            errors[name] = str(exc)
    if len(moments) != 2:
        return None
    return moments[0], moments[1]


def _optional_id(raw: str, name: str, errors: dict[str, str], message: str) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 10:
        errors[name] = message
        return None
    return int(raw)


def parse_session_form(
    values: Mapping[str, Any], event: Event, *, fields: tuple[str, ...] | None = None, allow_conflicts: bool = False
) -> SessionInput | SessionPatch:
    """Validate the session form: a :class:`SessionInput` for a new session (``fields`` None),
    else a :class:`SessionPatch` of only ``fields``. Raises :class:`Invalid` keyed by form names."""
    errors: dict[str, str] = {}
    sent = set(fields if fields is not None else (*SESSION_TEXT_FIELDS, "speakers"))
    data: dict[str, Any] = {"allow_conflicts": allow_conflicts}
    for name in ("title", "kind", "description", "online_url"):
        if name in sent:
            data[name] = values.get(name, "")
    times_failed = False
    if sent & {"day", "start", "end"}:
        times = _times(values, event, errors)
        if times:
            data["starts_at"], data["ends_at"] = times
        else:
            times_failed = True
    if "room" in sent:
        data["room"] = _optional_id(str(values.get("room", "")), "room", errors, "Choose a room from the list.")
    if "track" in sent:
        data["track"] = str(values.get("track", "")).strip() or None
    if "capacity" in sent:
        raw = str(values.get("capacity", "")).strip()
        data["capacity"] = raw or None
    if "speakers" in sent:
        ids = []
        for raw in values.get("speakers") or []:
            speaker_id = _optional_id(str(raw), "speakers", errors, "Choose speakers from the list.")
            if speaker_id is not None:
                ids.append(speaker_id)
        data["speakers"] = ids
    schema: type[SessionInput] | type[SessionPatch] = SessionInput if fields is None else SessionPatch
    try:
        result = parse(schema, data)
    except Invalid as exc:
        schema_errors = form_names(exc.fields)
        if times_failed:
            # the times never reached the schema: its "required" on start or end would be false
            schema_errors = {k: v for k, v in schema_errors.items() if k not in {"day", "start", "end"}}
        raise Invalid(exc.message, fields={**schema_errors, **errors}) from None
    if errors:
        raise Invalid("Some fields need attention.", fields=errors)
    return result


# --- rooms and speakers ---------------------------------------------------------------------

def room_form_values(form: Mapping[str, Any]) -> dict[str, str]:
    return {name: str(form.get(name, "") or "").strip()[:200] for name in ROOM_FIELDS}


def parse_room_form(values: Mapping[str, str]) -> RoomInput:
    return parse(RoomInput, {name: values.get(name, "") for name in ROOM_FIELDS})


def parse_room_patch(values: Mapping[str, str]) -> RoomPatch:
    return RoomPatch(**parse_room_form(values).model_dump())


def speaker_form_values(form: Mapping[str, Any]) -> dict[str, str]:
    return {name: str(form.get(name, "") or "")[:MAX_VALUE] for name in SPEAKER_FIELDS}


def parse_speaker_form(values: Mapping[str, str]) -> SpeakerInput:
    return parse(SpeakerInput, {name: values.get(name, "") for name in SPEAKER_FIELDS})
