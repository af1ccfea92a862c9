"""The organiser's forms: submitted strings in, validated schemas (or field errors) out.

The event form sends its times from ``datetime-local`` inputs, which carry no
offset: they are read as wall-clock times in the time zone chosen in the same
form, then validated as a whole :class:`EventInput`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, available_timezones

from events_app.errors import Invalid
from events_app.events.models import Event, EventKind, EventStatus
from events_app.events.schemas import EventInput, as_naive_local
from events_app.registration.models import RegistrationStatus
from events_app.validation import parse

TEXT_FIELDS = (
    "slug",
    "title",
    "kind",
    "description",
    "timezone",
    "venue_name",
    "venue_address",
    "online_url",
    "capacity",
    "status",
)
DATETIME_FIELDS = ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at")
OPTIONAL_DATETIMES = frozenset({"registration_opens_at", "registration_closes_at"})
MAX_VALUE = 20_000

KIND_LABELS = {kind.value: kind.value.replace("_", " ").capitalize() for kind in EventKind}
STATUS_LABELS = {status.value: status.value.capitalize() for status in EventStatus}

# Zones outside Europe/ that European members use (Portuguese and Spanish islands, Faroe, Iceland).
_EUROPEAN_EXTRA = (
    "Atlantic/Azores",
    "Atlantic/Canary",
    "Atlantic/Faroe",
    "Atlantic/Madeira",
    "Atlantic/Reykjavik",
)
_REGIONS = (
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Indian",
    "Pacific",
)


@lru_cache(maxsize=1)
def _all_zones() -> frozenset[str]:
    return frozenset(available_timezones())


@lru_cache(maxsize=1)
def time_zone_groups() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(European zones, every other canonical zone), each sorted by name."""
    zones = _all_zones()
    european = sorted(z for z in zones if z.startswith("Europe/") or z in _EUROPEAN_EXTRA)
    others = sorted(
        z
        for z in zones
        if z not in european and (z == "UTC" or ("/" in z and z.split("/", 1)[0] in _REGIONS))
    )
    return tuple(european), tuple(others)


def event_form_values(form: Mapping[str, Any]) -> dict[str, str]:
    """The submitted event form as strings, as they are shown again next to errors."""
    values = {
        name: str(form.get(name, "") or "")[:MAX_VALUE] for name in TEXT_FIELDS + DATETIME_FIELDS
    }
    values["is_online"] = "yes" if form.get("is_online") == "yes" else ""
    return values


def event_values(event: Event) -> dict[str, str]:
    """An existing event as the strings its edit form starts from."""
    values = {name: str(getattr(event, name)) for name in TEXT_FIELDS}
    values["kind"] = event.kind.value
    values["status"] = event.status.value
    for name in DATETIME_FIELDS:
        values[name] = as_naive_local(getattr(event, name), event.timezone)
    values["is_online"] = "yes" if event.is_online else ""
    return values


def blank_event_values() -> dict[str, str]:
    values = {name: "" for name in TEXT_FIELDS + DATETIME_FIELDS}
    values.update(
        kind=EventKind.SEMINAR.value,
        status=EventStatus.DRAFT.value,
        timezone="Europe/Brussels",
        is_online="",
    )
    return values


def _local_time(raw: str, zone: ZoneInfo) -> datetime:
    """A ``datetime-local`` value read in ``zone``; ValueError names what is wrong."""
    try:
        naive = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError("Enter a date and time, for example 2027-03-14 09:30.") from None
    if naive.tzinfo is not None:
        raise ValueError("Enter the local time without a UTC offset.")
    if not 2000 <= naive.year <= 2199:
        raise ValueError("Enter a year between 2000 and 2199.")
    aware = naive.replace(tzinfo=zone)
    if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive:
        raise ValueError(
            "This time does not exist in the chosen time zone (the clocks go forward then)."
        )
    return aware


def parse_event_form(values: Mapping[str, str]) -> EventInput:
    """Validate the event form or raise :class:`Invalid` with one message per field."""
    errors: dict[str, str] = {}
    zone_name = values.get("timezone", "").strip()
    # With an unknown zone the times are read as UTC only so that they are checked too;
    # the time zone field itself carries the error.
    zone = ZoneInfo(zone_name) if zone_name in _all_zones() else ZoneInfo("UTC")
    data: dict[str, Any] = {name: values.get(name, "") for name in TEXT_FIELDS}
    if not data["capacity"].strip():
        del data["capacity"]  # reported as "required", not as "not an integer"
    data["is_online"] = values.get("is_online") == "yes"
    for name in DATETIME_FIELDS:
        raw = values.get(name, "").strip()
        if not raw:
            if name in OPTIONAL_DATETIMES:
                data[name] = None
            continue
        try:
            data[name] = _local_time(raw, zone)
        except ValueError as exc:
            errors[name] = str(exc)
    try:
        result = parse(EventInput, data)
    except Invalid as exc:
        raise Invalid(exc.message, fields={**exc.fields, **errors}) from None
    if errors:
        raise Invalid("Some fields need attention.", fields=errors)
    return result


STATUS_FILTERS = ("all", *(status.value for status in RegistrationStatus))


@dataclass(frozen=True, slots=True)
class ListQuery:
    """Search, status filter and page of the registrations table (from a query string or form)."""

    q: str = ""
    status: str = "all"
    page: int = 1

    @property
    def status_filter(self) -> RegistrationStatus | None:
        return None if self.status == "all" else RegistrationStatus(self.status)

    def query_string(self, **changes: Any) -> str:
        params = {"q": self.q, "status": self.status, "page": self.page, **changes}
        kept = {
            key: value
            for key, value in params.items()
            if value not in ("", None)
            and not (key == "status" and value == "all")
            and not (key == "page" and value == 1)
        }
        return urlencode(kept)


def list_query(source: Mapping[str, Any]) -> ListQuery:
    raw = "".join(c for c in str(source.get("q", "") or "") if c.isprintable())
    q = " ".join(raw.split())[:200]
    status = str(source.get("status", "") or "all")
    if status not in STATUS_FILTERS:
        status = "all"
    try:
        page = int(str(source.get("page", "1") or "1"))
    except ValueError:
        page = 1
    return ListQuery(q=q, status=status, page=max(1, min(page, 1_000_000)))
