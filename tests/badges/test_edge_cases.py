"""Edge cases of badges found in review: far-off dates and long ids, big logos, a new ticket making
the printed badge due again."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from events_app.badges import service as badge_service
from events_app.badges.settings_service import LOGO_KEEP_SIDE, shrink_logo
from events_app.badges.tickets import ensure_ticket, reissue_ticket
from events_app.registration.models import Registration
from tests.conftest import csrf_of


@pytest.mark.parametrize("since", ["0001-01-01", "9999-12-31", "2027-02-30"])
async def test_far_off_or_impossible_dates_are_field_errors(client, login, make_event, since: str) -> None:
    event = await make_event()
    await login(client)
    page = await client.get(f"/organiser/events/{event.slug}/badges", params={"since": since})
    assert page.status_code == 422 and "YYYY-MM-DD" in page.text


@pytest.mark.parametrize("job_id", ["0000000000019999999999999", "9" * 5000])
async def test_long_ids_are_not_found(client, login, make_event, job_id: str) -> None:
    event = await make_event()
    await login(client)
    response = await client.get(f"/organiser/events/{event.slug}/badges/jobs/{job_id}")
    assert response.status_code == 404


def test_a_big_logo_is_kept_small() -> None:
    out = io.BytesIO()
    Image.new("RGB", (4000, 2000), "white").save(out, format="PNG")
    data, media_type = shrink_logo(out.getvalue(), "image/png")
    with Image.open(io.BytesIO(data)) as image:
        assert max(image.size) == LOGO_KEEP_SIDE and image.size == (1000, 500)
    assert media_type == "image/png"
    small = io.BytesIO()
    Image.new("RGB", (300, 100), "white").save(small, format="JPEG")
    assert shrink_logo(small.getvalue(), "image/jpeg") == (small.getvalue(), "image/jpeg")


async def test_a_new_ticket_makes_the_badge_due_again(make_event, register) -> None:
    event = await make_event()
    registration = await ensure_ticket((await register(event)).registration)
    await badge_service.mark_printed([registration.id])
    assert (await Registration.get(id=registration.id)).badge_printed_at is not None
    await reissue_ticket(registration)
    assert (await Registration.get(id=registration.id)).badge_printed_at is None
    assert [b.id for b in await badge_service.select_badges(event, not_printed=True)] == [registration.id]


async def test_csrf_is_checked_on_new_ticket(client, login, make_event, register) -> None:
    event = await make_event()
    outcome = await register(event)
    await login(client)
    await csrf_of(client, "/")
    response = await client.post(f"/organiser/events/{event.slug}/registrations/{outcome.registration.id}/new-ticket")
    assert response.status_code == 403
