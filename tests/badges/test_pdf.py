"""Badge and ticket PDFs, read back with pdftotext, pdftoppm and zbarimg (acceptance 1)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from io import BytesIO
from typing import Any

import pytest
from PIL import Image
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics

from events_app.agenda.picks import set_session_picks
from events_app.agenda.schemas import RoomInput, SessionInput
from events_app.agenda.service import create_room, create_session, publish_agenda
from events_app.badges.layouts import LAYOUTS
from events_app.badges.models import BadgeSettings
from events_app.badges.pdf import Badge, BadgeEvent
from events_app.badges.service import (
    get_badge_settings,
    mark_printed,
    render_badges,
    render_ticket,
    select_badges,
    surname_key,
)
from events_app.badges.text import BOLD, REGULAR, fit_text, register_fonts
from events_app.badges.tickets import ticket_code
from events_app.errors import Conflict, Invalid
from events_app.events.models import Event
from events_app.registration.models import Registration, RegistrationStatus
from events_app.registration.service import cancel_registration
from tests.conftest import EventFactory, RegisterFactory
from tests.pdf_tools import pdf_pages, pdf_text, qr_codes, squeeze

PEOPLE = [
    # name, organisation, country
    ("Zoë Ångström-Łukasiewicz", "Miasto Stołeczne Warszawa", "PL"),
    ("Αλέξανδρος Παπαδόπουλος", "Δήμος Θεσσαλονίκης", "GR"),
    ("Светлана Иванова", "Столична община", "BG"),
    ("Þórunn Guðmundsdóttir", "Reykjavíkurborg", "IS"),
    ("María Fernanda de los Santos García-Villalobos y Montenegro", "Ayuntamiento de Málaga", "ES"),
    ("Hubert Wolfeschlegelsteinhausenbergerdorff", "Landeshauptstadt München – Referat für Klima- und Umweltschutz", "DE"),
    ("Ana Ruiz", "Ajuntament de Barcelona", "ES"),
    ("Jan Peeters", "Stad Gent", "BE"),
]


async def _event_with_people(make_event: EventFactory, register: RegisterFactory,
                             people: list[tuple[str, str, str]] = PEOPLE, **event: Any) -> tuple[Event, list[Registration]]:
    made = await make_event(capacity=50, **event)
    registrations = []
    for name, organisation, country in people:
        outcome = await register(made, name=name, organisation=organisation, country=country)
        registrations.append(outcome.registration)
    return made, registrations


async def _codes_of(event: Event) -> set[str]:
    rows = await Registration.filter(event_id=event.id, status=RegistrationStatus.CONFIRMED)
    return {ticket_code(r) for r in rows}


# --- acceptance 1: every layout ----------------------------------------------------------------


@pytest.mark.parametrize("layout", LAYOUTS)
async def test_names_survive_and_qr_codes_are_the_tickets(layout: str, make_event: EventFactory,
                                                          register: RegisterFactory) -> None:
    extra = [("Cancelled Person", "Gone Municipality", "FR")]
    event, registrations = await _event_with_people(make_event, register, PEOPLE + extra)
    await cancel_registration(registration_id=registrations[-1].id)

    badges = await select_badges(event)
    pdf = render_badges(badges, await get_badge_settings(event), layout)

    assert pdf.startswith(b"%PDF-")
    assert pdf_pages(pdf) == {"a6": len(PEOPLE), "a4-4up": 2, "fold": 4}[layout]
    text = squeeze(pdf_text(pdf))
    for name, organisation, _country in PEOPLE:
        assert squeeze(name) in text, name
        assert squeeze(organisation) in text, organisation
    assert "Greece" in text and "Bulgaria" in text and "Iceland" in text  # country names, not codes
    assert "CancelledPerson" not in text  # a cancelled registration gets no badge

    decoded = qr_codes(pdf)
    expected = await _codes_of(event)
    assert len(expected) == len(PEOPLE)
    assert set(decoded) == expected
    # the fold layout prints the code on both sides (badges turn round on a lanyard)
    assert sorted(decoded) == sorted(list(expected) * (2 if layout == "fold" else 1))
    cancelled = await Registration.get(id=registrations[-1].id)
    assert cancelled.ticket_secret is None or ticket_code(cancelled) not in decoded


async def test_codes_are_stable_between_renders(make_event: EventFactory, register: RegisterFactory) -> None:
    event, _ = await _event_with_people(make_event, register, PEOPLE[:2])
    first = await select_badges(event)
    again = await select_badges(event)
    assert [b.code for b in first] == [b.code for b in again]
    assert all(b.code.startswith("EA1-") and len(b.code) == 36 for b in first)


# --- selection -------------------------------------------------------------------------------


async def test_sorted_by_surname_then_name(make_event: EventFactory, register: RegisterFactory) -> None:
    people = [("Zed Adams", "A", "BE"), ("anna berg", "B", "BE"), ("Carl Berg", "C", "BE"),
              ("Ben Adams", "D", "BE"), ("Mononym", "E", "BE")]
    event, _ = await _event_with_people(make_event, register, people)
    names = [b.name for b in await select_badges(event)]
    assert names == ["Ben Adams", "Zed Adams", "anna berg", "Carl Berg", "Mononym"]
    assert surname_key("Zoë Ångström-Łukasiewicz") == ("ångström-łukasiewicz", "zoë ångström-łukasiewicz")


async def test_filters_role_not_printed_since(make_event: EventFactory, register: RegisterFactory) -> None:
    people = [(f"Person {letter}", "City of Ghent", "BE") for letter in "ABCDE"]
    event, regs = await _event_with_people(make_event, register, people)
    await Registration.filter(id__in=[regs[0].id, regs[1].id]).update(badge_role="speaker")
    await Registration.filter(id=regs[2].id).update(badge_role="press")
    old = datetime(2020, 1, 10, 12, tzinfo=UTC)
    await Registration.filter(id__in=[regs[0].id, regs[3].id]).update(confirmed_at=old, created_at=old)

    def names(badges: list[Badge]) -> list[str]:
        return [b.name for b in badges]

    assert names(await select_badges(event, role="speaker")) == ["Person A", "Person B"]
    assert [b.role for b in await select_badges(event, role="press")] == ["press"]
    assert names(await select_badges(event, since=date(2021, 1, 1))) == ["Person B", "Person C", "Person E"]
    # a date is midnight in the event's zone (Brussels: 23:00 UTC the day before in winter)
    assert len(await select_badges(event, since=date(2020, 1, 10))) == 5
    assert len(await select_badges(event, since=date(2020, 1, 11))) == 3
    assert names(await select_badges(event, role="speaker", since=date(2021, 1, 1))) == ["Person B"]

    changed = await mark_printed([regs[1].id, regs[2].id, regs[2].id])
    assert changed == 2
    assert names(await select_badges(event, not_printed=True)) == ["Person A", "Person D", "Person E"]
    assert names(await select_badges(event, not_printed=True, role="speaker")) == ["Person A"]
    printed = await Registration.get(id=regs[1].id)
    assert printed.badge_printed_at is not None
    with pytest.raises(Invalid) as bad:
        await select_badges(event, role="vip")
    assert "role" in bad.value.fields


async def test_waitlisted_and_cancelled_get_no_badge(make_event: EventFactory, register: RegisterFactory) -> None:
    event = await make_event(capacity=1)
    seated = (await register(event, name="Seated Person")).registration
    waiting = (await register(event, name="Waiting Person")).registration
    assert waiting.status == RegistrationStatus.WAITLISTED
    assert [b.name for b in await select_badges(event)] == ["Seated Person"]
    await cancel_registration(registration_id=seated.id)  # the waitlisted person moves up
    assert [b.name for b in await select_badges(event)] == ["Waiting Person"]


async def test_mark_printed_of_nothing_is_harmless(settings: Any) -> None:
    assert await mark_printed([]) == 0


# --- what shows --------------------------------------------------------------------------------


def _png_logo() -> bytes:
    out = BytesIO()
    Image.new("RGBA", (120, 60), (200, 30, 30, 255)).save(out, "PNG")
    return out.getvalue()


async def test_settings_choose_fields_colours_and_logo(make_event: EventFactory, register: RegisterFactory) -> None:
    event, _ = await _event_with_people(make_event, register, PEOPLE[:2])
    await register(event, name="Job Holder", job_title="Head of Procurement")
    defaults = await get_badge_settings(event)
    assert defaults.id is None and defaults.show_qr and defaults.show_organisation and not defaults.show_job_title

    row = await BadgeSettings.create(event=event, accent_colour="#fce94f", ribbon_colours={"participant": "nonsense"},
                                     show_organisation=False, show_country=False, show_job_title=True,
                                     show_qr=False, logo=_png_logo(), logo_type="image/png")
    assert (await get_badge_settings(event)).id == row.id
    badges = await select_badges(event)
    for layout in LAYOUTS:
        pdf = render_badges(badges, row, layout)
        text = squeeze(pdf_text(pdf))
        assert squeeze(PEOPLE[0][0]) in text and "HeadofProcurement" in text
        assert squeeze(PEOPLE[1][1]) not in text and "Greece" not in text
        assert qr_codes(pdf) == []
        assert b"/Subtype /Image" in pdf or b"/Subtype/Image" in pdf

    row.logo = b"\x89PNG\r\n\x1a\nnot really a png"
    pdf = render_badges(badges, row, "a6")  # a broken logo is left out, the badges still print
    assert squeeze(PEOPLE[0][0]) in squeeze(pdf_text(pdf))


async def test_unknown_layout_and_empty_selection(make_event: EventFactory) -> None:
    event = await make_event()
    with pytest.raises(Invalid) as bad:
        render_badges([], None, "a3")
    assert "layout" in bad.value.fields
    assert await select_badges(event) == []
    pdf = render_badges([], None, "a6")
    assert "No badges match" in pdf_text(pdf)


async def test_fold_back_lists_the_confirmed_sessions_in_the_events_zone(
        make_event: EventFactory, register: RegisterFactory) -> None:
    start = datetime(2031, 6, 2, 7, 0, tzinfo=UTC)  # 09:00 in Brussels (CEST)
    event = await make_event(capacity=10, starts_at=start, ends_at=start + timedelta(days=1, hours=9), kind="conference")
    room = await create_room(event=event, data=RoomInput(name="Salle Horta", seats=30))
    picked, full, dropped = [
        (await create_session(event=event, data=SessionInput(
            title=title, kind="workshop", starts_at=start + timedelta(hours=hours),
            ends_at=start + timedelta(hours=hours + 1), room=room.id, capacity=capacity))).draft.id
        for title, hours, capacity in (("Circular furniture tenders", 1, 10), ("Full workshop", 3, 1),
                                       ("Dropped workshop", 5, 10))
    ]
    await publish_agenda(event=event)
    first = (await register(event, name="Eva Novak")).registration
    other = (await register(event, name="Zack Other")).registration
    await set_session_picks(registration=other, session_ids=[full])
    await set_session_picks(registration=first, session_ids=[picked, full, dropped])
    await set_session_picks(registration=first, session_ids=[picked, full])  # drops one

    badges = await select_badges(event)
    eva = next(b for b in badges if b.name == "Eva Novak")
    assert [s.title for s in eva.sessions] == ["Circular furniture tenders"]  # waitlisted and dropped: no
    assert [s.title for s in next(b for b in badges if b.name == "Zack Other").sessions] == ["Full workshop"]
    text = squeeze(pdf_text(render_badges([eva], None, "fold")))  # the back is upside down: words come apart
    for expected in ("Your sessions", "Circular furniture tenders", "10:00–11:00", "Salle Horta", "CEST"):
        assert squeeze(expected) in text, expected
    assert "Fullworkshop" not in text and "Droppedworkshop" not in text


# --- tickets -----------------------------------------------------------------------------------


async def test_ticket_pdf_reads_back(make_event: EventFactory, register: RegisterFactory) -> None:
    start = datetime(2031, 3, 10, 8, 30, tzinfo=UTC)  # 09:30 in Vienna (CET)
    event = await make_event(title="Network seminar 2031", timezone="Europe/Vienna", starts_at=start,
                             ends_at=start + timedelta(hours=7), venue_name="Vienna City Hall")
    registration = (await register(event, name="Светлана Иванова", organisation="Столична община",
                                   country="BG")).registration
    pdf = await render_ticket(registration)
    code = ticket_code(await Registration.get(id=registration.id))
    assert pdf_pages(pdf) == 1
    text = pdf_text(pdf)
    for expected in ("Network seminar 2031", "Светлана Иванова", "Столична община", "Vienna City Hall",
                     "09:30–16:30", "Show this at the door"):
        assert expected in text, expected
    assert code in squeeze(text)
    assert qr_codes(pdf) == [code]


async def test_no_ticket_unless_confirmed(make_event: EventFactory, register: RegisterFactory) -> None:
    event = await make_event(capacity=1)
    await register(event)
    waiting = (await register(event)).registration
    with pytest.raises(Conflict):
        await render_ticket(waiting)


# --- wrapping ----------------------------------------------------------------------------------


def test_names_wrap_on_word_boundaries_and_shrink_to_fit() -> None:
    register_fonts()
    width = 91 * mm
    for name, _org, _country in PEOPLE:
        fitted = fit_text(name, BOLD, width, 30, 12, 3)
        assert 1 <= len(fitted.lines) <= 3
        assert all(pdfmetrics.stringWidth(line, BOLD, fitted.size) <= width + 0.01 for line in fitted.lines)
        assert squeeze("".join(fitted.lines)) == squeeze(name)
        if "Wolfeschlegel" not in name:  # a word that fits is never cut
            words = set(name.replace("-", "- ").split())
            assert all(set(line.replace("-", "- ").split()) <= words for line in fitted.lines), fitted.lines
    short = fit_text("Ana Ruiz", BOLD, width, 30, 12, 3)
    assert short.lines == ("Ana Ruiz",) and short.size == 30
    greek = fit_text("Αλέξανδρος Παπαδόπουλος", BOLD, width, 30, 12, 3)
    assert greek.lines == ("Αλέξανδρος", "Παπαδόπουλος")
    hyphen = fit_text("Zoë Ångström-Łukasiewicz", BOLD, width, 30, 12, 3)
    assert hyphen.lines == ("Zoë Ångström-", "Łukasiewicz")
    # one word wider than the badge at the smallest size is cut inside, nothing is lost
    long_word = "Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch"
    cut = fit_text(long_word, BOLD, width, 30, 12, 3)
    assert cut.size == 12 and len(cut.lines) == 2 and "".join(cut.lines) == long_word
    # too much text for the lines allowed ends with an ellipsis, never overflows
    many = fit_text(" ".join(["Verylongname"] * 20), REGULAR, width, 13, 9, 2)
    assert len(many.lines) == 2 and many.lines[-1].endswith("\u2026")


def test_render_from_plain_objects_without_a_database() -> None:
    event = BadgeEvent("Offline event", "Europe/Lisbon", datetime(2031, 5, 1, 9, tzinfo=UTC),
                       datetime(2031, 5, 2, 16, tzinfo=UTC))
    badge = Badge(1, "Inês Conceição", "Câmara Municipal de Lisboa", "Portugal", "", "staff",
                  "EA1-ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", event)
    assert event.short_dates() == "1\u20132 May 2031"
    pdf = render_badges([badge], None, "a6")
    assert "Inês Conceição" in pdf_text(pdf) and "STAFF" in pdf_text(pdf)
    assert qr_codes(pdf) == [badge.code]
