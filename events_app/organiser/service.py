"""Read-side helpers of the organiser pages: waitlist positions and the CSV export."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from events_app.checkin.models import CheckIn
from events_app.events.models import Event
from events_app.events.service import EventSummary, get_event, summarise_event
from events_app.organisations.models import ORGANISATION_KIND_LABELS
from events_app.registration.models import Registration, RegistrationStatus
from events_app.registration.service import (
    RegistrationPage,
    list_all_registrations,
    list_registrations,
    waitlist_positions,
)

# A spreadsheet reads a cell that starts with one of these as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CSV_TIME_FORMAT = "%Y-%m-%d %H:%M"


@dataclass(frozen=True, slots=True)
class RegistrationsView:
    """What the registrations page shows: the event with its counts, one page of people."""

    summary: EventSummary
    page: RegistrationPage
    positions: dict[int, int]
    checkins: dict[int, CheckIn]  # registration id -> its check-in (people on this page)

    @property
    def event(self) -> Event:
        return self.summary.event


async def view_registrations(
    *, slug: str, search: str = "", status: RegistrationStatus | None = None, page: int = 1
) -> RegistrationsView:
    event = await get_event(slug=slug)
    found = await list_registrations(event=event, search=search, status=status, page=page)
    return RegistrationsView(
        summary=await summarise_event(event),
        page=found,
        positions=await waitlist_positions(event_id=event.id),
        checkins=await _checkins([r.id for r in found.items]),
    )


async def _checkins(registration_ids: list[int] | None = None, *, event_id: int | None = None) -> dict[int, CheckIn]:
    query = CheckIn.filter(event_id=event_id) if event_id is not None else CheckIn.filter(
        registration_id__in=registration_ids or [])
    return {c.registration_id: c for c in await query}  # type: ignore[attr-defined]


def neutralise(value: object) -> object:
    """Make a text cell inert in Excel/LibreOffice: prefix a would-be formula with ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _local(value: datetime | None, zone: str) -> str:
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(zone)).strftime(CSV_TIME_FORMAT)


def csv_header(event: Event) -> list[str]:
    return [
        "ID",
        "Status",
        "Waitlist position",
        "Name",
        "Email",
        "Job title",
        "Organisation",
        "Organisation kind",
        "Country",
        f"Registered at ({event.timezone})",
        "Consent version",
        f"Consent at ({event.timezone})",
        "Badge role",
        f"Checked in at ({event.timezone})",
        "Check-in desk",
    ]


def registrations_csv(
    *,
    event: Event,
    registrations: Iterable[Registration],
    positions: Mapping[int, int],
    checkins: Mapping[int, CheckIn] | None = None,
    delimiter: str = ",",
) -> bytes:
    """Every registration as CSV for Excel: UTF-8 with BOM, CRLF rows, formulas neutralised.

    ``registrations`` must have their organisation loaded.
    """
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, dialect="excel", delimiter=delimiter)
    writer.writerow(csv_header(event))
    checkins = checkins or {}
    for r in registrations:
        organisation = r.organisation
        checkin = checkins.get(r.id)
        row: list[object] = [
            r.id,
            r.status.value,
            positions.get(r.id, ""),
            r.name,
            r.email,
            r.job_title,
            organisation.name,
            ORGANISATION_KIND_LABELS.get(organisation.kind, str(organisation.kind)),
            organisation.country,
            _local(r.created_at, event.timezone),
            r.consent_version,
            _local(r.consent_at, event.timezone),
            r.badge_role.value if hasattr(r.badge_role, "value") else str(r.badge_role),
            _local(checkin.checked_in_at, event.timezone) if checkin else "",
            checkin.desk if checkin else "",
        ]
        writer.writerow([neutralise(cell) for cell in row])
    return buffer.getvalue().encode("utf-8-sig")


@dataclass(frozen=True, slots=True)
class CsvExport:
    filename: str
    content: bytes


async def export_registrations(*, slug: str, delimiter: str = ",") -> CsvExport:
    """The CSV of every registration of event ``slug`` (any status), oldest first.

    ``delimiter=";"`` suits Excel in most continental European locales, where the
    comma is the decimal separator.
    """
    event = await get_event(slug=slug)
    registrations = await list_all_registrations(event=event)
    positions = await waitlist_positions(event_id=event.id)
    content = registrations_csv(
        event=event, registrations=registrations, positions=positions,
        checkins=await _checkins(event_id=event.id), delimiter=delimiter,
    )
    return CsvExport(filename=f"{event.slug}-registrations.csv", content=content)
