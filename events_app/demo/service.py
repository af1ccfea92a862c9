"""Demo data that looks like the network: a conference, a seminar, a webinar series, authorities."""

from __future__ import annotations

import unicodedata
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from events_app.auth.models import Role, User
from events_app.auth.service import create_user
from events_app.clock import utcnow
from events_app.events.models import Event, EventKind, EventStatus
from events_app.events.schemas import EventInput
from events_app.events.service import create_event
from events_app.organisations.models import OrganisationKind
from events_app.registration.schemas import RegistrationInput
from events_app.registration.service import register_attendee

DEMO_ORGANISER = ("organiser@example.org", "ecoprocura-demo")
DEMO_CHECKIN = ("checkin@example.org", "ecoprocura-checkin")

AUTHORITIES = [
    ("Anna Jansen", "City of Ghent", OrganisationKind.MUNICIPALITY, "BE", "Sustainable procurement officer"),
    ("Luca Bianchi", "Metropolitan City of Turin", OrganisationKind.REGION, "IT", "Head of green procurement"),
    ("Marta Kowalska", "City of Warsaw", OrganisationKind.MUNICIPALITY, "PL", "Procurement specialist"),
    ("Jonas Berg", "Adda Central Purchasing Body", OrganisationKind.CENTRAL_PURCHASING_BODY, "SE", "Category manager"),
    ("Élise Moreau", "Région Île-de-France", OrganisationKind.REGION, "FR", "Chargée de mission achats durables"),
    ("Sofia Ferreira", "Lisbon Municipality", OrganisationKind.MUNICIPALITY, "PT", "Circular economy lead"),
    ("Jan Novák", "Ministry of the Environment", OrganisationKind.MINISTRY_OR_AGENCY, "CZ", "Policy officer"),
    ("Katrin Müller", "Stadtwerke München", OrganisationKind.PUBLIC_COMPANY, "DE", "Einkaufsleiterin"),
    ("Oksana Shevchenko", "Kyiv City State Administration", OrganisationKind.MUNICIPALITY, "UA", "Procurement adviser"),
    ("Ana Marić", "City of Zagreb", OrganisationKind.MUNICIPALITY, "HR", "Public procurement officer"),
]


def _at(day: datetime, hour: int, minute: int, zone: str) -> datetime:
    return datetime.combine(day.date(), time(hour, minute), tzinfo=ZoneInfo(zone))


async def seed_demo(*, now: datetime | None = None) -> bool:
    """Load the demo when the database has no events; return whether it did."""
    if await Event.exists():
        return False
    now = now or utcnow()
    brussels, vienna = "Europe/Brussels", "Europe/Vienna"
    conference_day = now + timedelta(days=150)
    seminar_day = now + timedelta(days=60)
    events = [
        EventInput(
            slug="ecoprocura-2027",
            title="EcoProcura 2027",
            kind=EventKind.CONFERENCE,
            description=(
                "The international conference on sustainable and innovation procurement. Three days of plenaries, "
                "parallel workshops, site visits and networking with public buyers from across Europe and beyond."
                "\n\nThemes this year: circular procurement, zero-emission construction sites, clean vehicles and "
                "sustainable food in public canteens."
            ),
            timezone=brussels,
            starts_at=_at(conference_day, 9, 0, brussels),
            ends_at=_at(conference_day + timedelta(days=2), 17, 30, brussels),
            venue_name="ICC Ghent",
            venue_address="Van Rysselberghedreef 2, 9000 Ghent, Belgium",
            capacity=400,
            registration_closes_at=_at(conference_day - timedelta(days=7), 23, 59, brussels),
            status=EventStatus.PUBLISHED,
        ),
        EventInput(
            slug="network-seminar-2027",
            title="Annual network seminar 2027",
            kind=EventKind.SEMINAR,
            description=(
                "The yearly meeting of the network's participants: practitioners, experts and policy makers "
                "exchange on what worked, what did not, and what to tackle together next year."
            ),
            timezone=vienna,
            starts_at=_at(seminar_day, 9, 30, vienna),
            ends_at=_at(seminar_day, 17, 0, vienna),
            venue_name="Vienna City Hall",
            venue_address="Friedrich-Schmidt-Platz 1, 1010 Vienna, Austria",
            capacity=120,
            status=EventStatus.PUBLISHED,
        ),
    ]
    webinar_topics = [
        ("clean-vehicles", "Buying clean buses and waste collection trucks"),
        ("circular-furniture", "Circular procurement of office furniture"),
        ("sustainable-food", "Sustainable food and catering services"),
    ]
    for number, (slug, topic) in enumerate(webinar_topics, start=1):
        day = now + timedelta(days=14 * number)
        events.append(
            EventInput(
                slug=f"webinar-{slug}",
                title=f"Webinar {number}/3: {topic}",
                kind=EventKind.WEBINAR,
                description=f"Part {number} of the autumn webinar series. Practitioners share tenders, criteria and results.",
                timezone=brussels,
                starts_at=_at(day, 10, 0, brussels),
                ends_at=_at(day, 11, 30, brussels),
                is_online=True,
                online_url="https://meet.example.org/ecoprocura-webinar",
                capacity=300,
                status=EventStatus.PUBLISHED,
            )
        )
    for data in events:
        await create_event(data=data)
    for index, (name, org, kind, country, job) in enumerate(AUTHORITIES):
        ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
        email = ascii_name.lower().replace(" ", ".") + "@example.org"
        for slug in ("ecoprocura-2027", "network-seminar-2027") if index % 2 == 0 else ("ecoprocura-2027", "webinar-clean-vehicles"):
            await register_attendee(
                slug=slug,
                data=RegistrationInput(
                    name=name, email=email, job_title=job, organisation=org,
                    organisation_kind=kind, country=country, consent=True,
                ),
                now=now,
            )
    if not await User.filter(email=DEMO_ORGANISER[0]).exists():
        await create_user(email=DEMO_ORGANISER[0], password=DEMO_ORGANISER[1], role=Role.ORGANISER, name="Demo organiser")
        await create_user(email=DEMO_CHECKIN[0], password=DEMO_CHECKIN[1], role=Role.CHECKIN, name="Demo check-in desk")
    return True
