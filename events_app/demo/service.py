"""Demo data that looks like the network: a conference, a seminar, a webinar series, authorities."""

from __future__ import annotations

import unicodedata
from datetime import datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from events_app.agenda.models import SessionKind
from events_app.agenda.picks import set_session_picks
from events_app.agenda.schemas import RoomInput, SessionInput, SpeakerInput
from events_app.agenda.service import create_room, create_session, create_speaker, publish_agenda
from events_app.auth.models import Role, User
from events_app.auth.service import create_user
from events_app.clock import utcnow
from events_app.demo.twinning import seed_twinning
from events_app.events.models import Event, EventKind, EventStatus
from events_app.events.schemas import EventInput
from events_app.events.service import create_event
from events_app.organisations.models import OrganisationKind
from events_app.registration.models import BadgeRole, Registration
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


# --- the EcoProcura 2027 agenda ----------------------------------------------------------

ROOMS = [("Plenary hall", 400), ("Room Europa", 60), ("Room Atomium", 40), ("Room Manneken", 30)]
TRACKS = {
    "Clean vehicles": "#1b6ca8",
    "Circular procurement": "#2e7d32",
    "Food": "#b35c00",
    "Construction": "#7b1fa2",
}

# key: (name, organisation, country, short bio)
SPEAKERS = {
    "vandenbroeck": ("Els Van den Broeck", "City of Ghent", "BE", "Alderwoman for climate and public procurement."),
    "devries": ("Pieter de Vries", "City of Amsterdam", "NL", "Leads the city's circular procurement programme."),
    "solberg": ("Ingrid Solberg", "City of Oslo, Climate Agency", "NO", "Set up Oslo's zero-emission construction site requirements."),
    "lindqvist": ("Mikael Lindqvist", "City of Helsinki", "FI", "Buys food for 400 schools and day-care centres."),
    "carvalho": ("Rui Carvalho", "Porto Municipality", "PT", "Public works engineer working on low-carbon materials."),
    "rossi": ("Giulia Rossi", "Municipality of Milan, Food Policy Office", "IT", "Coordinates sustainable school meals in Milan."),
    "kowalczyk": ("Hanna Kowalczyk", "Public Procurement Office", "PL", "Monitors green public procurement across Poland."),
    "jensen": ("Lars Jensen", "City of Copenhagen", "DK", "Helped bring the city's canteens to 90% organic food."),
    "lambert": ("Sophie Lambert", "Brussels Environment", "BE", "Advises Brussels authorities on circular construction."),
    "horvath": ("Tomáš Horváth", "City of Bratislava", "SK", "Manages the renewal of the city's bus fleet."),
    "elamrani": ("Fatima El Amrani", "Brussels Mobility", "BE", "Project lead for electric buses and depots in Brussels."),
    "weber": ("Klaus Weber", "City of Vienna, ÖkoKauf Wien", "AT", "Chairs working groups on green criteria for Vienna's purchases."),
    "papadopoulou": ("Maria Papadopoulou", "Region of Central Macedonia", "GR", "Works with hospitals on food waste and catering."),
    "virtanen": ("Eero Virtanen", "Hansel Ltd (central purchasing body)", "FI", "Runs framework agreements for vehicles and charging."),
    "horvat": ("Nina Horvat", "City of Ljubljana", "SI", "Responsible for clean public transport tenders."),
    "puig": ("Jordi Puig", "Barcelona City Council", "ES", "Heads the city's sustainable and social procurement unit."),
    "nowak": ("Ewa Nowak", "City of Kraków", "PL", "Buys furniture and ICT for municipal offices."),
    "oconnor": ("Sarah O'Connor", "Office of Government Procurement", "IE", "Develops circular criteria for central government."),
    "andersson": ("Henrik Andersson", "National Agency for Public Procurement", "SE", "Works on criteria and monitoring at national level."),
    "bakker": ("Anneke Bakker", "Rijkswaterstaat", "NL", "Brings CO2 criteria into road and waterway works."),
    "ferri": ("Marco Ferri", "Consip", "IT", "Designs life-cycle costing tools for Italian buyers."),
    "nagy": ("Zsófia Nagy", "European Commission, DG Environment", "BE", "Policy officer for green public procurement."),
}


class DemoSession(NamedTuple):
    """One session of the demo agenda, at local times of the conference's day ``day``."""

    key: str
    day: int  # 0, 1 or 2
    start: str
    end: str
    kind: SessionKind
    title: str
    room: str | None = None
    track: str | None = None
    capacity: int | None = None
    speakers: tuple[str, ...] = ()
    description: str = ""
    online_url: str = ""


P, W, V, N, B, WEB = (
    SessionKind.PLENARY, SessionKind.WORKSHOP, SessionKind.SITE_VISIT,
    SessionKind.NETWORKING, SessionKind.BREAK, SessionKind.WEBINAR,
)
HALL, EUROPA, ATOMIUM, MANNEKEN = (name for name, _ in ROOMS)
CLEAN, CIRCULAR, FOOD, BUILD = TRACKS

AGENDA = [
    # Day 1
    DemoSession("opening", 0, "09:00", "10:30", P, "Opening plenary: buying for a climate-neutral Europe", HALL,
                speakers=("vandenbroeck", "andersson", "puig"),
                description="Welcome by the host city, then three authorities on what their purchasing changed in ten years."),
    DemoSession("coffee-1a", 0, "10:30", "11:00", B, "Coffee break"),
    DemoSession("buses", 0, "11:00", "12:30", W, "Zero-emission buses: tendering with life-cycle costs", EUROPA, CLEAN, 60,
                ("horvath", "horvat"), "How Bratislava and Ljubljana compared diesel, battery and hydrogen buses over 12 years."),
    DemoSession("furniture", 0, "11:00", "12:30", W, "Circular office furniture: refurbish before you buy", ATOMIUM, CIRCULAR, 40,
                ("devries", "nowak"), "Furniture-as-a-service and refurbishment contracts: tender texts, prices and results."),
    DemoSession("school-food", 0, "11:00", "12:30", W, "Organic and seasonal food in school canteens", MANNEKEN, FOOD, 30,
                ("jensen", "rossi"), "Menus, lots for small producers and award criteria that raised the organic share."),
    DemoSession("lunch-1", 0, "12:30", "14:00", B, "Lunch"),
    DemoSession("zero-sites", 0, "14:00", "15:30", W, "Zero-emission construction sites: what to ask in the tender", EUROPA, BUILD, 60,
                ("solberg", "bakker"), "Requirements for electric machinery, and how contractors met them."),
    DemoSession("textiles", 0, "14:00", "15:30", W, "Circular textiles and workwear", ATOMIUM, CIRCULAR, 40,
                ("weber", "oconnor"), "Recycled fibres, repair services and take-back of uniforms."),
    DemoSession("hospital-food", 0, "14:00", "15:30", W, "Less food waste in hospital catering", MANNEKEN, FOOD, 30,
                ("lindqvist", "papadopoulou"), "Measuring waste, portion sizes and contract clauses that reward less waste."),
    DemoSession("visit-housing", 0, "14:00", "17:00", V, "Site visit: circular renovation of a social housing block", None, BUILD, 25,
                ("lambert",), "A renovation site in Brussels that reuses bricks, doors and tiles. The coach leaves from the main "
                "entrance at 14:00. Wear closed shoes; helmets and vests are provided."),
    DemoSession("coffee-1b", 0, "15:30", "16:00", B, "Coffee break"),
    DemoSession("lcc-debate", 0, "16:00", "17:30", P, "Plenary debate: life-cycle costing in everyday tenders", HALL,
                speakers=("ferri", "virtanen", "kowalczyk")),
    DemoSession("reception", 0, "18:30", "21:00", N, "Welcome reception at Brussels City Hall",
                description="Drinks and a walking dinner, offered by the City of Brussels. Grand-Place, 10 minutes on foot."),
    # Day 2
    DemoSession("keynote", 1, "09:00", "10:00", P, "Keynote: the revised EU green public procurement criteria", HALL,
                speakers=("nagy",)),
    DemoSession("coffee-2a", 1, "10:00", "10:30", B, "Coffee break"),
    DemoSession("ev-joint", 1, "10:30", "12:00", W, "Joint procurement of electric vehicles and charging points", EUROPA, CLEAN, 60,
                ("virtanen", "horvat"), "Framework agreements that let small municipalities buy with the big ones."),
    DemoSession("ict", 1, "10:30", "12:00", W, "Circular ICT: refurbished laptops and smartphones", ATOMIUM, CIRCULAR, 40,
                ("oconnor", "nowak"), "Warranties, data wiping and longer use: what worked in two tenders."),
    DemoSession("concrete", 1, "10:30", "12:00", W, "Low-carbon concrete and CO2 criteria in road works", MANNEKEN, BUILD, 30,
                ("bakker", "carvalho"), "CO2 performance ladders, environmental cost indicators and the market's answer."),
    DemoSession("lunch-2", 1, "12:00", "13:30", B, "Lunch"),
    DemoSession("plant-menus", 1, "13:30", "15:00", W, "Plant-rich menus: criteria for catering contracts", EUROPA, FOOD, 60,
                ("rossi", "jensen"), "Protein shifts without complaints: menu rules, tasting panels and cooks' training."),
    DemoSession("waste-trucks", 1, "13:30", "15:00", W, "Clean waste collection trucks: results of a market dialogue", ATOMIUM, CLEAN, 40,
                ("horvath", "puig"), "What manufacturers can deliver today, and how to write it into the specifications."),
    DemoSession("pcp", 1, "13:30", "15:00", W, "Pre-commercial procurement for circular solutions", MANNEKEN, CIRCULAR, 30,
                ("devries", "ferri"), "Buying research and development when no product on the market fits yet."),
    DemoSession("visit-depot", 1, "13:30", "17:00", V, "Site visit: electric bus depot in Brussels", None, CLEAN, 25,
                ("elamrani",), "The depot charges 90 electric buses overnight. The coach leaves from the main entrance at 13:30. "
                "Please bring an identity card for the security check."),
    DemoSession("coffee-2b", 1, "15:00", "15:30", B, "Coffee break"),
    DemoSession("biobased", 1, "15:30", "17:00", W, "Buying bio-based building materials", EUROPA, BUILD, 60,
                ("solberg", "weber"), "Timber, straw and hemp in public buildings: fire rules, insurance and tender criteria."),
    DemoSession("short-chains", 1, "15:30", "17:00", W, "Short supply chains: small farmers in public tenders", ATOMIUM, FOOD, 40,
                ("papadopoulou", "lindqvist"), "Splitting lots and simplifying documents so that local producers can bid."),
    DemoSession("monitoring", 1, "15:30", "16:30", WEB, "Online session: monitoring and reporting green purchases",
                speakers=("kowalczyk", "andersson"),
                description="For colleagues who cannot travel: how two national bodies collect data on green tenders. "
                "Join online; questions in the chat.",
                online_url="https://meet.example.org/ecoprocura-2027-monitoring"),
    DemoSession("dinner", 1, "19:00", "22:00", N, "Conference dinner",
                description="At the Royal Museums of Art and History, Parc du Cinquantenaire. Seated dinner, vegetarian by default."),
    # Day 3
    DemoSession("social", 2, "09:00", "10:30", P, "Plenary: socially responsible procurement and fair supply chains", HALL,
                speakers=("puig", "carvalho")),
    DemoSession("coffee-3a", 2, "10:30", "11:00", B, "Coffee break"),
    DemoSession("cvd", 2, "11:00", "12:30", W, "Clean Vehicles Directive: reporting your first results", EUROPA, CLEAN, 60,
                ("nagy", "horvath"), "What to count, how to report it and where buyers get stuck."),
    DemoSession("reuse", 2, "11:00", "12:30", W, "Reuse platforms between public bodies", ATOMIUM, CIRCULAR, 40,
                ("weber", "nowak"), "Sharing surplus furniture and equipment between authorities instead of buying new."),
    DemoSession("machinery", 2, "11:00", "12:30", W, "Zero-emission machinery on road maintenance sites", MANNEKEN, BUILD, 30,
                ("solberg", "bakker"), "Electric excavators and rollers: hire, charging on site and costs."),
    DemoSession("lunch-3", 2, "12:30", "13:30", B, "Lunch"),
    DemoSession("vending", 2, "13:30", "15:00", W, "Sustainable vending machines and catering services", ATOMIUM, FOOD, 40,
                ("jensen", "lindqvist"), "Healthier offers, less packaging and energy-efficient machines."),
    DemoSession("twinning", 2, "13:30", "15:00", N, "Twinning: find a partner authority", EUROPA,
                description="Meet authorities that want to learn what you know, or know what you want to learn. "
                "Tables by topic; the twinning team helps to form pairs."),
    DemoSession("coffee-3b", 2, "15:00", "15:30", B, "Coffee break"),
    DemoSession("closing", 2, "15:30", "17:00", P, "Closing plenary: commitments for 2030", HALL,
                speakers=("vandenbroeck", "nagy", "andersson")),
    DemoSession("farewell", 2, "17:00", "17:30", N, "Farewell drinks"),
]

# Demo attendees (by their index in AUTHORITIES) and the sessions they signed up for.
DEMO_PICKS = {
    0: ("buses", "visit-housing", "ev-joint", "cvd"),
    1: ("school-food", "plant-menus", "short-chains", "vending"),
    2: ("furniture", "zero-sites", "ict", "reuse"),
    3: ("buses", "visit-depot", "machinery"),
    4: ("textiles", "pcp", "biobased", "machinery"),
    5: ("furniture", "visit-housing", "monitoring"),
    6: ("hospital-food", "concrete", "monitoring"),
}


async def seed_agenda(*, event: Event, attendees: list[Registration], now: datetime) -> None:
    """Give the conference a published agenda, and some demo attendees their picks."""
    for name, seats in ROOMS:
        await create_room(event=event, data=RoomInput(name=name, seats=seats))
    speaker_ids = {}
    for key, (name, organisation, country, bio) in SPEAKERS.items():
        speaker = await create_speaker(
            event=event, data=SpeakerInput(name=name, organisation=organisation, country=country, bio=bio)
        )
        speaker_ids[key] = int(speaker.id)
    first_day = event.starts_at.astimezone(ZoneInfo(event.timezone))
    session_ids = {}
    for item in AGENDA:
        day = first_day + timedelta(days=item.day)
        (h1, m1), (h2, m2) = (map(int, item.start.split(":")), map(int, item.end.split(":")))
        result = await create_session(
            event=event,
            data=SessionInput(
                title=item.title, kind=item.kind, description=item.description,
                starts_at=_at(day, h1, m1, event.timezone), ends_at=_at(day, h2, m2, event.timezone),
                room=item.room, track=item.track, track_colour=TRACKS[item.track] if item.track else None,
                capacity=item.capacity, speakers=[speaker_ids[k] for k in item.speakers], online_url=item.online_url,
            ),
        )
        session_ids[item.key] = result.draft.id
    await publish_agenda(event=event, actor=DEMO_ORGANISER[0], now=now)
    for index, keys in DEMO_PICKS.items():
        if index < len(attendees):
            await set_session_picks(
                registration=attendees[index], session_ids=[session_ids[k] for k in keys], now=now
            )


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
            venue_name="SQUARE Brussels Convention Centre",
            venue_address="Mont des Arts, 1000 Brussels, Belgium",
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
    attendees: list[Registration] = []
    for index, (name, org, kind, country, job) in enumerate(AUTHORITIES):
        ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
        email = ascii_name.lower().replace(" ", ".") + "@example.org"
        for slug in ("ecoprocura-2027", "network-seminar-2027") if index % 2 == 0 else ("ecoprocura-2027", "webinar-clean-vehicles"):
            outcome = await register_attendee(
                slug=slug,
                data=RegistrationInput(
                    name=name, email=email, job_title=job, organisation=org,
                    organisation_kind=kind, country=country, consent=True,
                ),
                now=now,
            )
            if slug == "ecoprocura-2027":
                attendees.append(outcome.registration)
    conference = await Event.get(slug="ecoprocura-2027")
    await seed_agenda(event=conference, attendees=attendees, now=now)
    # badges: a few roles other than participant, so the ribbons show
    for registration, role in zip(attendees, (BadgeRole.ORGANISER, BadgeRole.SPEAKER, BadgeRole.SPEAKER,
                                              BadgeRole.PRESS, BadgeRole.STAFF), strict=False):
        await Registration.filter(id=registration.id).update(badge_role=role)
    await seed_twinning(now=now)
    if not await User.filter(email=DEMO_ORGANISER[0]).exists():
        await create_user(email=DEMO_ORGANISER[0], password=DEMO_ORGANISER[1], role=Role.ORGANISER, name="Demo organiser")
        await create_user(email=DEMO_CHECKIN[0], password=DEMO_CHECKIN[1], role=Role.CHECKIN, name="Demo check-in desk")
    return True
