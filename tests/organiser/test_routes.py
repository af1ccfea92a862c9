"""The organiser pages through HTTP: event form, registrations table, cancel, capacity, access."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from events_app.auth.models import Role
from events_app.clock import utcnow
from events_app.events.models import Event, EventStatus
from events_app.events.schemas import as_naive_local
from events_app.notifications.models import OutboxMessage
from events_app.registration.models import Registration, RegistrationStatus
from tests.organiser.conftest import csrf

HX = {"HX-Request": "true"}
NEXT_YEAR = utcnow().year + 1


def event_form(**overrides: str) -> dict[str, str]:
    data = {
        "title": "Green procurement forum",
        "slug": "green-forum",
        "kind": "conference",
        "description": "Two days on circular buying.\n\nBring your tenders.",
        "timezone": "Europe/Helsinki",
        "starts_at": f"{NEXT_YEAR}-06-10T09:30",
        "ends_at": f"{NEXT_YEAR}-06-11T17:00",
        "venue_name": "Helsinki City Hall",
        "venue_address": "Pohjoisesplanadi 11-13, Helsinki",
        "online_url": "",
        "capacity": "120",
        "registration_opens_at": "",
        "registration_closes_at": f"{NEXT_YEAR}-06-01T23:59",
        "status": "published",
    }
    data.update(overrides)
    return data


def rows(html: str) -> list[int]:
    """Registration ids of the table rows, in order."""
    return [int(n) for n in re.findall(r'<tr id="registration-(\d+)"', html)]


# --- events list and form -------------------------------------------------------------


async def test_events_list_links_counts_and_new_button(organiser, make_event, register):
    event = await make_event(title="Circular Cities", capacity=1)
    await register(event)
    await register(event)
    await make_event(title="Still a draft", status=EventStatus.DRAFT)
    client = await organiser()
    page = (await client.get("/organiser")).text
    assert f'href="/organiser/events/{event.slug}/registrations">Circular Cities</a>' in page
    assert 'href="/organiser/events/new"' in page
    assert '<span class="badge badge-published">Published</span>' in page
    assert '<span class="badge badge-draft">Draft</span>' in page
    row = page[page.index("Circular Cities") :].split("</tr>")[0]
    assert re.findall(r'<td class="num">(\d+)</td>', row) == ["1", "1", "0", "1", "0"]


async def test_create_event_through_the_form(organiser):
    client = await organiser()
    form_page = await client.get("/organiser/events/new")
    assert form_page.status_code == 200
    html = form_page.text
    # European zones come first, the rest of the world after them
    assert html.index('value="Europe/Helsinki"') < html.index('value="America/New_York"')
    assert html.index('value="Atlantic/Canary"') < html.index('value="Africa/Abidjan"')
    response = await client.post(
        "/organiser/events/new", data={**event_form(), "csrf_token": csrf(client)}
    )
    assert response.status_code == 303
    assert (
        response.headers["location"] == "/organiser/events/green-forum/registrations?done=created"
    )
    event = await Event.get(slug="green-forum")
    # 09:30 in Helsinki in June (UTC+3) is 06:30 UTC
    assert event.starts_at == datetime(NEXT_YEAR, 6, 10, 6, 30, tzinfo=UTC)
    assert event.registration_closes_at == datetime(NEXT_YEAR, 6, 1, 20, 59, tzinfo=UTC)
    assert event.registration_opens_at is None
    assert (event.timezone, event.capacity, event.status, event.is_online) == (
        "Europe/Helsinki",
        120,
        "published",
        False,
    )
    assert event.description == "Two days on circular buying.\n\nBring your tenders."
    landing = await client.get(response.headers["location"])
    assert "The event is created." in landing.text and "Green procurement forum" in landing.text


async def test_bad_event_form_shows_field_errors_keeps_values_and_writes_nothing(organiser):
    client = await organiser()
    bad = event_form(slug="Not A Slug", capacity="", title="Kept title ✓", kind="party")
    response = await client.post("/organiser/events/new", data={**bad, "csrf_token": csrf(client)})
    assert response.status_code == 422
    html = response.text
    assert 'id="f-slug-error"' in html and "lower-case letters" in html
    assert 'id="f-capacity-error">This field is required.' in html
    assert 'id="f-kind-error"' in html
    assert 'value="Kept title ✓"' in html and 'value="Not A Slug"' in html
    assert f'value="{NEXT_YEAR}-06-10T09:30"' in html
    assert '<option value="Europe/Helsinki" selected>' in html
    assert await Event.all().count() == 0

    # A whole-form rule (end before start) lands on its field too
    response = await client.post(
        "/organiser/events/new",
        data={**event_form(ends_at=f"{NEXT_YEAR}-06-09T09:00"), "csrf_token": csrf(client)},
    )
    assert response.status_code == 422
    assert 'id="f-ends_at-error">Must be after the start' in response.text

    # A wall-clock time skipped by the spring DST change does not exist
    response = await client.post(
        "/organiser/events/new",
        data={
            **event_form(timezone="Europe/Brussels", starts_at=_spring_gap(NEXT_YEAR)),
            "csrf_token": csrf(client),
        },
    )
    assert response.status_code == 422
    assert 'id="f-starts_at-error">This time does not exist' in response.text
    assert await Event.all().count() == 0


def _spring_gap(year: int) -> str:
    """02:30 on the last Sunday of March: skipped in Central European Time."""
    day = datetime(year, 3, 31)
    while day.weekday() != 6:
        day -= timedelta(days=1)
    return day.strftime("%Y-%m-%dT02:30")


async def test_edit_event_prefills_local_times_and_saves(organiser, make_event):
    event = await make_event(title="Old title", timezone="Europe/Lisbon", capacity=30)
    client = await organiser()
    page = (await client.get(f"/organiser/events/{event.slug}/edit")).text
    local_start = as_naive_local(event.starts_at, "Europe/Lisbon")
    assert f'value="{local_start}"' in page and 'value="Old title"' in page
    assert '<option value="Europe/Lisbon" selected>' in page

    new_start = event.starts_at + timedelta(days=1, hours=2)
    form = event_form(
        title="New title",
        slug=event.slug,
        timezone="Europe/Lisbon",
        kind="seminar",
        capacity="30",
        starts_at=as_naive_local(new_start, "Europe/Lisbon"),
        ends_at=as_naive_local(new_start + timedelta(hours=3), "Europe/Lisbon"),
        registration_closes_at="",
    )
    response = await client.post(
        f"/organiser/events/{event.slug}/edit", data={**form, "csrf_token": csrf(client)}
    )
    assert response.status_code == 303
    assert (
        response.headers["location"] == f"/organiser/events/{event.slug}/registrations?done=saved"
    )
    saved = await Event.get(id=event.id)
    assert saved.title == "New title"
    assert saved.starts_at == new_start
    assert saved.ical_sequence == event.ical_sequence + 1  # calendar entries must follow

    # invalid edit: 422 with the error and the typed values, the event untouched
    response = await client.post(
        f"/organiser/events/{event.slug}/edit",
        data={
            **form,
            "title": "Newer",
            "online_url": "http://insecure",
            "is_online": "yes",
            "csrf_token": csrf(client),
        },
    )
    assert response.status_code == 422
    assert 'id="f-online_url-error"' in response.text and 'value="Newer"' in response.text
    assert 'id="f-is_online" name="is_online" value="yes" checked' in response.text
    assert (await Event.get(id=event.id)).title == "New title"


async def test_unknown_event_is_404(organiser):
    client = await organiser()
    assert (await client.get("/organiser/events/nope/edit")).status_code == 404
    assert (await client.get("/organiser/events/nope/registrations")).status_code == 404
    assert (await client.get("/organiser/events/nope/registrations.csv")).status_code == 404


# --- registrations table ---------------------------------------------------------------


async def test_registrations_search_and_status_filter(organiser, make_event, register):
    event = await make_event(capacity=2)
    anna = await register(
        event,
        name="Anna Virtanen",
        email="anna@hel.fi",
        organisation="City of Helsinki",
        country="FI",
    )
    jan = await register(event, name="Jan Peeters", email="jan@gent.be", organisation="Stad Gent")
    eva = await register(
        event,
        name="Eva Novak",
        email="eva@ljubljana.si",
        organisation="Mestna občina Ljubljana",
        country="SI",
    )
    other = await make_event()
    await register(other, name="Anna Elsewhere")
    client = await organiser()
    url = f"/organiser/events/{event.slug}/registrations"

    page = await client.get(url)
    assert page.status_code == 200
    assert rows(page.text) == [anna.registration.id, jan.registration.id, eva.registration.id]
    assert (
        '<dd id="count-confirmed">2</dd>' in page.text
        and '<dd id="count-waitlisted">1</dd>' in page.text
    )
    assert '<dd id="count-places-left">0 of 2</dd>' in page.text
    assert "#1 in line" in page.text  # Eva's waitlist position

    for term, expected in [("anna", [anna]), ("GENT.BE", [jan]), ("občina", [eva]), ("nobody", [])]:
        found = await client.get(url, params={"q": term})
        assert rows(found.text) == [o.registration.id for o in expected], term
    waiting = await client.get(url, params={"status": "waitlisted"})
    assert rows(waiting.text) == [eva.registration.id]
    assert '<option value="waitlisted" selected>' in waiting.text
    confirmed_anna = await client.get(url, params={"status": "confirmed", "q": "anna"})
    assert rows(confirmed_anna.text) == [anna.registration.id]
    assert rows((await client.get(url, params={"status": "bogus"})).text) == rows(page.text)

    # htmx asks for the table block only: no page around it
    fragment = await client.get(url, params={"status": "waitlisted"}, headers=HX)
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<div id="registrations-table"')
    assert (
        "<html" not in fragment.text
        and "<h1>" not in fragment.text
        and 'id="f-q"' not in fragment.text
    )
    assert rows(fragment.text) == [eva.registration.id]
    assert "HX-Request" in fragment.headers["vary"]
    # a history restore is an htmx request that needs the whole page
    restore = await client.get(url, headers={**HX, "HX-History-Restore-Request": "true"})
    assert "<html" in restore.text


async def test_registrations_pagination(organiser, make_event, register):
    event = await make_event(capacity=100)
    ids = [(await register(event)).registration.id for _ in range(53)]
    client = await organiser()
    url = f"/organiser/events/{event.slug}/registrations"
    first = await client.get(url)
    assert rows(first.text) == ids[:50]
    assert "Page 1 of 2" in first.text and f'href="{url}?page=2"' in first.text
    second = await client.get(url, params={"page": "2"}, headers=HX)
    assert rows(second.text) == ids[50:]
    assert (
        "Showing 51–53 of 53" in second.text and f'hx-get="{url}"' in second.text
    )  # previous page link
    assert rows((await client.get(url, params={"page": "99"})).text) == ids[50:]  # clamped
    assert rows((await client.get(url, params={"page": "x"})).text) == ids[:50]
    # the filter is carried into the page links
    searched = await client.get(url, params={"q": "Person", "status": "confirmed"})
    assert f'href="{url}?q=Person&amp;status=confirmed&amp;page=2"' in searched.text


async def test_cancelling_from_the_table_promotes_the_first_waitlisted(
    organiser, make_event, register
):
    event = await make_event(capacity=1)
    seated = await register(event)
    first, second = await register(event), await register(event)
    client = await organiser()
    response = await client.post(
        f"/organiser/registrations/{seated.registration.id}/cancel",
        data={"csrf_token": csrf(client), "q": "Person", "status": "all", "page": "1"},
    )
    assert response.status_code == 303
    assert (
        response.headers["location"]
        == f"/organiser/events/{event.slug}/registrations?q=Person&done=cancelled"
    )
    assert (
        await Registration.get(id=seated.registration.id)
    ).status == RegistrationStatus.CANCELLED
    assert (await Registration.get(id=first.registration.id)).status == RegistrationStatus.CONFIRMED
    assert (
        await Registration.get(id=second.registration.id)
    ).status == RegistrationStatus.WAITLISTED
    assert (
        await OutboxMessage.filter(kind="promotion", to_email=first.registration.email).count() == 1
    )

    # through htmx: the refreshed table block comes back, filtered as the page was
    response = await client.post(
        f"/organiser/registrations/{first.registration.id}/cancel",
        data={"q": "", "status": "confirmed", "page": "1"},
        headers={**HX, "X-CSRF-Token": csrf(client)},
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="registrations-table"')
    assert f"The registration of {first.registration.name} is cancelled" in response.text
    assert rows(response.text) == [second.registration.id]  # promoted, and the only confirmed one
    assert '<dd id="count-cancelled">2</dd>' in response.text


async def test_cancel_needs_the_csrf_token(organiser, make_event, register):
    event = await make_event()
    outcome = await register(event)
    client = await organiser()
    response = await client.post(
        f"/organiser/registrations/{outcome.registration.id}/cancel", data={}
    )
    assert response.status_code == 403
    assert (
        await Registration.get(id=outcome.registration.id)
    ).status == RegistrationStatus.CONFIRMED
    missing = await client.post(
        "/organiser/registrations/999999/cancel", data={"csrf_token": csrf(client)}
    )
    assert missing.status_code == 404
    for bad_id in ("abc", "-1", "1e3", "٣"):
        response = await client.post(
            f"/organiser/registrations/{bad_id}/cancel", data={"csrf_token": csrf(client)}
        )
        assert response.status_code == 404, bad_id


async def test_raising_capacity_promotes_that_many(organiser, make_event, register):
    event = await make_event(capacity=1)
    await register(event)
    waiting = [await register(event) for _ in range(5)]
    client = await organiser()
    response = await client.post(
        f"/organiser/events/{event.slug}/capacity",
        data={"capacity": "4", "csrf_token": csrf(client)},
    )
    assert response.status_code == 303
    assert (
        response.headers["location"]
        == f"/organiser/events/{event.slug}/registrations?done=capacity"
    )
    assert (await Event.get(id=event.id)).capacity == 4
    statuses = [(await Registration.get(id=o.registration.id)).status for o in waiting]
    assert statuses == ["confirmed"] * 3 + ["waitlisted"] * 2
    assert await OutboxMessage.filter(kind="promotion").count() == 3
    page = (await client.get(response.headers["location"])).text
    assert '<dd id="count-confirmed">4</dd>' in page and '<dd id="count-waitlisted">2</dd>' in page


@pytest.mark.parametrize("value", ["", "-1", "many", "100001", "2.5"])
async def test_invalid_capacity_rerenders_with_an_error(organiser, make_event, value):
    event = await make_event(capacity=7)
    client = await organiser()
    response = await client.post(
        f"/organiser/events/{event.slug}/capacity",
        data={"capacity": value, "csrf_token": csrf(client)},
    )
    assert response.status_code == 422
    assert 'id="f-capacity-error"' in response.text
    assert f'name="capacity" type="number" value="{value}"' in response.text
    assert (await Event.get(id=event.id)).capacity == 7


# --- access ----------------------------------------------------------------------------


async def test_checkin_users_get_403_on_every_organiser_route(organiser, make_event, register):
    event = await make_event(capacity=3)
    outcome = await register(event)
    client = await organiser(Role.CHECKIN)
    token = csrf(client)
    gets = [
        "/organiser",
        "/organiser/events/new",
        f"/organiser/events/{event.slug}/edit",
        f"/organiser/events/{event.slug}/registrations",
        f"/organiser/events/{event.slug}/registrations.csv",
    ]
    for path in gets:
        response = await client.get(path)
        assert response.status_code == 403, path
        assert "Your account cannot manage events." in response.text
    posts = {
        "/organiser/events/new": event_form(slug="sneaky"),
        f"/organiser/events/{event.slug}/edit": event_form(slug=event.slug, title="Hijacked"),
        f"/organiser/events/{event.slug}/capacity": {"capacity": "50"},
        f"/organiser/registrations/{outcome.registration.id}/cancel": {},
    }
    for path, data in posts.items():
        response = await client.post(path, data={**data, "csrf_token": token})
        assert response.status_code == 403, path
    saved = await Event.get(id=event.id)
    assert (saved.title, saved.capacity) == (event.title, 3)
    assert not await Event.filter(slug="sneaky").exists()
    assert (
        await Registration.get(id=outcome.registration.id)
    ).status == RegistrationStatus.CONFIRMED


async def test_anonymous_visitors_are_sent_to_sign_in(client, make_event):
    event = await make_event()
    for path in [
        "/organiser",
        f"/organiser/events/{event.slug}/registrations",
        f"/organiser/events/{event.slug}/registrations.csv",
    ]:
        response = await client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"] == f"/login?next={path}"
