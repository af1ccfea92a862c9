"""Bad input on the organiser pages: always a 4xx with a message, never a 500 or a 503, nothing written."""

from __future__ import annotations

import pytest
from starlette.routing import Route

from events_app.events.models import Event
from events_app.registration.models import Registration
from tests.organiser.conftest import csrf
from tests.organiser.test_routes import event_form


async def _snapshot() -> tuple[list[dict], list[dict]]:
    return (
        await Event.all().order_by("id").values(),
        await Registration.all().order_by("id").values(),
    )


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"starts_at": "9999-12-31T23:00", "timezone": "America/New_York"}, "starts_at", "between 2000 and 2199"),
        ({"ends_at": "1999-01-01T10:00"}, "ends_at", "between 2000 and 2199"),
        ({"starts_at": "tomorrow"}, "starts_at", "Enter a date and time"),
        ({"capacity": "9" * 30}, "capacity", ""),
        ({"title": "A\x00B"}, "title", "control characters"),
        ({"slug": "x" * 200}, "slug", ""),
        ({"timezone": "Mars/Olympus"}, "timezone", "IANA"),
        ({"kind": "party"}, "kind", ""),
    ],
)
async def test_bad_event_form(organiser, overrides, field, message) -> None:
    client = await organiser()
    before = await _snapshot()
    response = await client.post("/organiser/events/new", data={**event_form(**overrides), "csrf_token": csrf(client)})
    assert response.status_code == 422, response.text[:500]
    assert f'id="f-{field}-error"' in response.text
    assert message in response.text
    assert await _snapshot() == before


async def test_bad_list_queries_and_ids(organiser, make_event, register) -> None:
    client = await organiser()
    event = await make_event()
    await register(event)
    before = await _snapshot()
    for query in ("q=a%00b", "q=%1b%5b31m", "page=-5", "page=99999999999999999999", "status=%00"):
        response = await client.get(f"/organiser/events/{event.slug}/registrations?{query}")
        assert response.status_code == 200, (query, response.status_code)
    for bad_id in ("2147483648", "99999999999999999999", "0", "-1", "abc"):
        response = await client.post(f"/organiser/registrations/{bad_id}/cancel", data={"csrf_token": csrf(client)})
        assert response.status_code == 404, (bad_id, response.status_code)
    response = await client.post(
        f"/organiser/events/{event.slug}/capacity", data={"capacity": "1e9", "csrf_token": csrf(client)}
    )
    assert response.status_code == 422
    assert await _snapshot() == before


async def test_every_organiser_form_refuses_a_missing_csrf_token(app, organiser, make_event, register) -> None:
    client = await organiser()
    event = await make_event()
    outcome = await register(event)
    before = await _snapshot()
    paths = [
        r.path for r in app.routes
        if isinstance(r, Route) and "POST" in (r.methods or set()) and r.path.startswith("/organiser")
    ]
    assert len(paths) >= 4
    for template in paths:
        path = template.replace("{slug}", event.slug).replace("{id}", str(outcome.registration.id))
        response = await client.post(path, data={"capacity": "50", **event_form()})
        assert response.status_code == 403, path
    assert await _snapshot() == before
