"""What the API returns: pydantic models (their JSON Schema goes into the OpenAPI document)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from events_app.events.models import EventKind, EventStatus
from events_app.events.service import EventSummary, registration_state
from events_app.organisations.models import OrganisationKind
from events_app.registration.models import Registration, RegistrationStatus
from events_app.registration.service import RegistrationOutcome, RegistrationPage


class Output(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EventOut(Output):
    """An event. Times carry the offset of the event's own time zone."""

    id: int
    slug: str
    title: str
    kind: EventKind
    description: str
    timezone: str = Field(description="IANA time zone the event is held in, e.g. Europe/Brussels")
    starts_at: datetime
    ends_at: datetime
    is_online: bool
    venue_name: str
    venue_address: str
    online_url: str | None = Field(default=None, description="Only in answers to organisers.")
    capacity: int
    registration_opens_at: datetime | None
    registration_closes_at: datetime | None
    status: EventStatus
    confirmed_count: int
    waitlisted_count: int
    places_left: int
    registration_state: str = Field(
        description="open, not_yet_open, closed, cancelled, draft or ended",
        json_schema_extra={"enum": ["open", "not_yet_open", "closed", "cancelled", "draft", "ended"]},
    )


class EventList(Output):
    items: list[EventOut]


class OrganisationOut(Output):
    name: str
    kind: OrganisationKind
    country: str = Field(description="ISO 3166-1 alpha-2 code")


class RegistrationOut(Output):
    id: int
    name: str
    email: str
    job_title: str
    organisation: OrganisationOut
    status: RegistrationStatus
    waitlist_position: int | None = Field(description="1-based place in the waitlist; null unless waitlisted")
    created_at: datetime


class RegistrationList(Output):
    items: list[RegistrationOut]
    total: int
    page: int
    per_page: int
    pages: int


class RegistrationResult(Output):
    """The answer to a registration: a seat, or a place on the waitlist."""

    id: int
    status: RegistrationStatus
    waitlist_position: int | None


class ErrorDetail(Output):
    code: str
    message: str
    fields: dict[str, str] = Field(description="Field name -> what is wrong with it")


class ErrorOut(Output):
    error: ErrorDetail


class HealthOut(Output):
    status: str


def event_json(summary: EventSummary, *, organiser: bool) -> dict[str, object]:
    """The event as JSON; ``online_url`` only for organisers."""
    event = summary.event
    zone = event.zone

    def local(value: datetime | None) -> datetime | None:
        return value.astimezone(zone) if value is not None else None

    out = EventOut(
        id=event.id,
        slug=event.slug,
        title=event.title,
        kind=event.kind,
        description=event.description,
        timezone=event.timezone,
        starts_at=event.starts_at.astimezone(zone),
        ends_at=event.ends_at.astimezone(zone),
        is_online=event.is_online,
        venue_name=event.venue_name,
        venue_address=event.venue_address,
        online_url=event.online_url if organiser else None,
        capacity=event.capacity,
        registration_opens_at=local(event.registration_opens_at),
        registration_closes_at=local(event.registration_closes_at),
        status=event.status,
        confirmed_count=summary.counts.confirmed,
        waitlisted_count=summary.counts.waitlisted,
        places_left=summary.places_left,
        registration_state=registration_state(event),
    )
    return out.model_dump(mode="json", exclude=None if organiser else {"online_url"})


def event_list_json(summaries: list[EventSummary], *, organiser: bool) -> dict[str, object]:
    return {"items": [event_json(s, organiser=organiser) for s in summaries]}


def registration_json(registration: Registration, *, position: int | None) -> dict[str, object]:
    """A registration for organisers; ``organisation`` must be fetched already."""
    organisation = registration.organisation
    return RegistrationOut(
        id=registration.id,
        name=registration.name,
        email=registration.email,
        job_title=registration.job_title,
        organisation=OrganisationOut(name=organisation.name, kind=organisation.kind, country=organisation.country),
        status=registration.status,
        waitlist_position=position,
        created_at=registration.created_at,
    ).model_dump(mode="json")


def registration_page_json(page: RegistrationPage, *, positions: dict[int, int]) -> dict[str, object]:
    return {
        "items": [registration_json(r, position=positions.get(r.id)) for r in page.items],
        "total": page.total,
        "page": page.page,
        "per_page": page.per_page,
        "pages": page.pages,
    }


def outcome_json(outcome: RegistrationOutcome) -> dict[str, object]:
    registration = outcome.registration
    return RegistrationResult(
        id=registration.id, status=registration.status, waitlist_position=outcome.waitlist_position
    ).model_dump(mode="json")
