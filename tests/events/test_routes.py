"""Public pages: upcoming events, the event page and its registration form, the manage pages."""

from __future__ import annotations

from datetime import timedelta

from events_app.clock import utcnow
from events_app.events.models import EventStatus
from events_app.notifications.models import OutboxMessage
from events_app.notifications.service import render_outbox_message
from events_app.registration.models import ManageLink, Registration
from tests.conftest import csrf_of

FORM = {
    "name": "Anna Jansen",
    "email": "anna.jansen@ghent.example",
    "job_title": "Buyer",
    "organisation": "City of Ghent",
    "organisation_kind": "municipality",
    "country": "BE",
    "consent": "yes",
}


async def test_upcoming_lists_published_events_only(client, make_event) -> None:
    shown = await make_event(title="Network seminar")
    await make_event(title="Secret draft", status=EventStatus.DRAFT)
    await make_event(title="Long gone", starts_at=utcnow() - timedelta(days=10))
    html = (await client.get("/")).text
    assert "Network seminar" in html and f"/events/{shown.slug}" in html
    assert "Secret draft" not in html and "Long gone" not in html


async def test_event_page_shows_places_left_and_local_time(client, make_event, register) -> None:
    event = await make_event(capacity=3, timezone="Europe/Lisbon")
    await register(event)
    html = (await client.get(f"/events/{event.slug}")).text
    assert "2 of 3 places left" in html
    assert "Europe/Lisbon time" in html
    assert event.starts_at.astimezone(event.zone).strftime("%H:%M") in html


async def test_draft_event_page_is_404(client, make_event) -> None:
    event = await make_event(status=EventStatus.DRAFT)
    assert (await client.get(f"/events/{event.slug}")).status_code == 404
    assert (await client.get("/events/no-such-event")).status_code == 404


async def test_register_through_the_form_then_manage(client, make_event) -> None:
    event = await make_event(capacity=5)
    token = await csrf_of(client, f"/events/{event.slug}")
    response = await client.post(f"/events/{event.slug}/register", data={**FORM, "csrf_token": token})
    assert response.status_code == 303
    confirmed_url = response.headers["location"]
    assert confirmed_url.startswith("/manage/") and confirmed_url.endswith("/confirmed")
    page = await client.get(confirmed_url)
    assert "You are registered" in page.text and "anna.jansen@ghent.example" in page.text
    assert page.headers["cache-control"] == "no-store"
    manage_url = confirmed_url.removesuffix("/confirmed")

    # correct details
    fixed = {**{k: FORM[k] for k in ("job_title", "organisation", "organisation_kind", "country")}, "name": "Anna Janssens"}
    response = await client.post(manage_url, data={**fixed, "csrf_token": token})
    assert response.status_code == 303
    assert (await Registration.get(email_key="anna.jansen@ghent.example")).name == "Anna Janssens"

    # cancel
    response = await client.post(f"{manage_url}/cancel", data={"csrf_token": token})
    assert response.status_code == 303
    page = await client.get(response.headers["location"])
    assert "cancelled" in page.text.lower()
    assert (await Registration.get(email_key="anna.jansen@ghent.example")).status == "cancelled"


async def test_full_event_puts_people_on_the_waitlist_with_position(client, make_event, register) -> None:
    event = await make_event(capacity=1)
    await register(event)
    html = (await client.get(f"/events/{event.slug}")).text
    assert "Join the waiting list" in html
    token = await csrf_of(client, f"/events/{event.slug}")
    response = await client.post(f"/events/{event.slug}/register", data={**FORM, "csrf_token": token})
    page = await client.get(response.headers["location"])
    assert "waiting list" in page.text and "number 1" in page.text


async def test_form_errors_are_shown_inline_and_nothing_is_written(client, make_event) -> None:
    event = await make_event()
    token = await csrf_of(client, f"/events/{event.slug}")
    bad = {**FORM, "email": "not-an-email", "consent": "", "csrf_token": token}
    response = await client.post(f"/events/{event.slug}/register", data=bad)
    assert response.status_code == 422
    assert 'id="f-email-error"' in response.text and 'aria-invalid="true"' in response.text
    assert "privacy notice" in response.text
    assert 'value="Anna Jansen"' in response.text  # what they typed is kept
    assert await Registration.all().count() == 0 and await OutboxMessage.all().count() == 0


async def test_htmx_submit_gets_only_the_form_block(client, make_event) -> None:
    event = await make_event()
    token = await csrf_of(client, f"/events/{event.slug}")
    response = await client.post(
        f"/events/{event.slug}/register",
        data={**FORM, "name": "", "csrf_token": token},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    assert "<html" not in response.text and 'id="registration"' in response.text
    ok = await client.post(
        f"/events/{event.slug}/register", data={**FORM, "csrf_token": token}, headers={"HX-Request": "true"}
    )
    assert ok.status_code == 200 and ok.headers["hx-redirect"].startswith("/manage/")


async def test_registering_again_reveals_nothing_and_emails_a_fresh_link(client, make_event) -> None:
    event = await make_event()
    token = await csrf_of(client, f"/events/{event.slug}")
    await client.post(f"/events/{event.slug}/register", data={**FORM, "csrf_token": token})
    again = await client.post(
        f"/events/{event.slug}/register",
        data={**FORM, "name": "Impostor", "email": "ANNA.JANSEN@ghent.example", "csrf_token": token},
    )
    assert again.status_code == 200 and "already registered" in again.text
    assert "/manage/" not in again.text
    assert await Registration.all().count() == 1
    assert (await Registration.get()).name == "Anna Jansen"
    link_mail = await render_outbox_message(await OutboxMessage.get(kind="manage_link"))
    assert link_mail.to_email == "anna.jansen@ghent.example" and "/manage/" in link_mail.body_text
    assert await ManageLink.all().count() == 2
    # a third try within the quarter hour sends no further email: the form cannot spam anyone
    await client.post(f"/events/{event.slug}/register", data={**FORM, "csrf_token": token})
    assert await OutboxMessage.filter(kind="manage_link").count() == 1


async def test_closed_and_cancelled_events_explain_why(client, make_event) -> None:
    closed = await make_event(
        registration_opens_at=utcnow() - timedelta(days=3), registration_closes_at=utcnow() - timedelta(hours=1)
    )
    html = (await client.get(f"/events/{closed.slug}")).text
    assert "Registration for this event has closed." in html and 'name="email"' not in html
    token = await csrf_of(client, f"/events/{closed.slug}")
    response = await client.post(f"/events/{closed.slug}/register", data={**FORM, "csrf_token": token})
    assert response.status_code == 409 and "has closed" in response.text
    cancelled = await make_event(status=EventStatus.CANCELLED)
    response = await client.post(f"/events/{cancelled.slug}/register", data={**FORM, "csrf_token": token})
    assert response.status_code == 409 and "cancelled" in response.text
    assert await Registration.all().count() == 0


async def test_kind_of_organisation_is_optional(client, make_event) -> None:
    event = await make_event()
    token = await csrf_of(client, f"/events/{event.slug}")
    html = (await client.get(f"/events/{event.slug}")).text
    assert "Choose (optional)" in html
    response = await client.post(
        f"/events/{event.slug}/register", data={**FORM, "organisation_kind": "", "csrf_token": token}
    )
    assert response.status_code == 303
    registration = await Registration.get().prefetch_related("organisation")
    assert registration.organisation.kind == "other"
