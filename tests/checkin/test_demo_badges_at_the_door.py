"""Acceptance 1: the demo conference's badge PDF, rendered with pdftoppm and read with zbarimg, gives
codes the check-in API accepts; names in Latin with accents, Greek and Cyrillic survive pdftotext."""

from __future__ import annotations

import pytest

from events_app.auth.models import Role
from events_app.badges.service import get_badge_settings, render_badges, select_badges
from events_app.demo.service import seed_demo
from events_app.events.models import Event
from events_app.registration.models import Registration, RegistrationStatus
from events_app.registration.schemas import RegistrationInput
from events_app.registration.service import register_attendee
from tests.pdf_tools import pdf_text, qr_codes, squeeze

NAMES = ["Zoë Ångström-Łukasiewicz", "Αλέξανδρος Παπαδόπουλος", "Светлана Иванова", "Þórunn Guðmundsdóttir"]


@pytest.mark.parametrize("layout", ["a6", "a4-4up", "fold"])
async def test_demo_badges_decode_to_codes_the_door_accepts(client, api_token, layout: str) -> None:
    assert await seed_demo() is True
    event = await Event.get(slug="ecoprocura-2027")
    for n, name in enumerate(NAMES):
        await register_attendee(slug=event.slug, data=RegistrationInput(
            name=name, email=f"script{n}@example.eu", organisation="Δήμος Θεσσαλονίκης" if n == 1 else "Город",
            organisation_kind="municipality", country="GR" if n == 1 else "BG", consent=True))
    badges = await select_badges(event)
    pdf = render_badges(badges, await get_badge_settings(event), layout)

    text = squeeze(pdf_text(pdf))
    for name in NAMES:
        assert squeeze(name) in text, name
    assert squeeze("Δήμος Θεσσαλονίκης") in text

    codes = qr_codes(pdf)
    confirmed = await Registration.filter(event_id=event.id, status=RegistrationStatus.CONFIRMED).count()
    expected = {b.code for b in badges}
    assert len(expected) == confirmed == len(badges)
    assert set(codes) == expected and len(codes) == confirmed * (2 if layout == "fold" else 1)

    headers = {"Authorization": f"Bearer {await api_token(Role.CHECKIN)}"}
    for code in sorted(expected):
        response = await client.post("/api/v1/checkin", headers=headers,
                                     json={"event": event.slug, "code": code, "desk": "Entrance A"})
        assert response.status_code == 200 and response.json()["status"] == "checked_in", response.text
