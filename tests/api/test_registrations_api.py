"""Registrations over the JSON API: register, list, cancel."""

from __future__ import annotations

from datetime import timedelta

from events_app.auth.models import Role
from events_app.clock import utcnow
from events_app.events.models import EventStatus
from events_app.notifications.models import OutboxMessage
from events_app.ratelimit import RateLimiter
from events_app.registration.models import ManageLink, Registration
from events_app.settings import RateLimit
from tests.api.payloads import bearer, person


async def test_register_201_then_same_email_200_with_same_registration(client, make_event):
    event = await make_event(capacity=5)
    first = await client.post(f"/api/v1/events/{event.slug}/registrations", json=person(1))
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["status"] == "confirmed" and body["waitlist_position"] is None
    assert set(body) == {"id", "status", "waitlist_position"}
    again = await client.post(
        f"/api/v1/events/{event.slug}/registrations",
        json=person(1, email="ANNA1@example.org", name="Someone Else"),
    )
    assert again.status_code == 200
    assert again.json() == body
    stored = await Registration.get(id=body["id"])
    assert stored.name == "Anna Person1" and stored.email == "anna1@example.org"
    assert await Registration.filter(event_id=event.id).count() == 1
    assert await OutboxMessage.filter(kind="confirmation").count() == 1


async def test_optional_fields_are_stored(client, make_event):
    event = await make_event()
    response = await client.post(
        f"/api/v1/events/{event.slug}/registrations",
        json=person(1, job_title="Head of procurement", organisation_kind="municipality", country="de"),
    )
    assert response.status_code == 201
    stored = await Registration.get(id=response.json()["id"]).prefetch_related("organisation")
    assert stored.job_title == "Head of procurement"
    assert (stored.organisation.kind, stored.organisation.country) == ("municipality", "DE")


async def test_full_event_gives_waitlist_positions_in_order(client, make_event):
    event = await make_event(capacity=2)
    answers = [
        (await client.post(f"/api/v1/events/{event.slug}/registrations", json=person(n))).json() for n in range(1, 6)
    ]
    assert [a["status"] for a in answers] == ["confirmed", "confirmed", "waitlisted", "waitlisted", "waitlisted"]
    assert [a["waitlist_position"] for a in answers] == [None, None, 1, 2, 3]
    repeat = await client.post(f"/api/v1/events/{event.slug}/registrations", json=person(4))
    assert repeat.status_code == 200 and repeat.json()["waitlist_position"] == 2


async def test_closed_and_cancelled_events_refuse_with_409(client, make_event):
    now = utcnow()
    closed = await make_event(registration_opens_at=now - timedelta(days=3), registration_closes_at=now - timedelta(minutes=5))
    cancelled = await make_event(status=EventStatus.CANCELLED)
    for event in (closed, cancelled):
        response = await client.post(f"/api/v1/events/{event.slug}/registrations", json=person(1))
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "registration_closed"
    assert await Registration.all().count() == 0


async def test_draft_or_unknown_event_is_404(client, make_event):
    draft = await make_event(status=EventStatus.DRAFT)
    for slug in (draft.slug, "no-such-event"):
        response = await client.post(f"/api/v1/events/{slug}/registrations", json=person(1))
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert await Registration.all().count() == 0


async def test_registration_is_rate_limited_like_the_form(client, app, make_event):
    app.state.limiter = RateLimiter(RateLimit(count=1, seconds=60))  # weight 10: ten tries a minute
    event = await make_event(capacity=50)
    statuses = [
        (await client.post(f"/api/v1/events/{event.slug}/registrations", json=person(n))).status_code
        for n in range(11)
    ]
    assert statuses == [201] * 10 + [429]
    assert await Registration.all().count() == 10


async def test_list_registrations_with_filters_and_pages(client, make_event, register, api_token):
    event = await make_event(capacity=2)
    a = await register(event, name="Anna Alpha", email="anna@example.org", organisation="City of Ghent")
    b = await register(event, name="Bert Beta", email="bert@example.org", organisation="Region Skåne", country="SE")
    c = await register(event, name="Cleo Gamma", email="cleo@example.org", organisation="City of Ghent")
    d = await register(event, name="Dirk Delta", email="dirk@example.org", organisation="Comune di Torino", country="IT")
    other = await make_event()
    await register(other, name="Somebody Elsewhere")
    token = await api_token()
    url = f"/api/v1/events/{event.slug}/registrations"

    everything = await client.get(url, headers=bearer(token))
    assert everything.status_code == 200
    data = everything.json()
    assert data["total"] == 4 and data["page"] == 1 and data["pages"] == 1
    by_id = {item["id"]: item for item in data["items"]}
    assert set(by_id) == {o.registration.id for o in (a, b, c, d)}
    assert by_id[b.registration.id]["organisation"] == {"name": "Region Skåne", "kind": "municipality", "country": "SE"}
    assert by_id[c.registration.id]["waitlist_position"] == 1 and by_id[d.registration.id]["waitlist_position"] == 2
    assert by_id[a.registration.id]["waitlist_position"] is None
    assert set(by_id[a.registration.id]) == {
        "id", "name", "email", "job_title", "organisation", "status", "waitlist_position", "created_at"
    }

    waiting = (await client.get(url, params={"status": "waitlisted"}, headers=bearer(token))).json()
    assert [i["name"] for i in waiting["items"]] == ["Cleo Gamma", "Dirk Delta"]
    assert waiting["items"][1]["waitlist_position"] == 2  # the place in the whole queue

    found = (await client.get(url, params={"q": "ghent"}, headers=bearer(token))).json()
    assert {i["name"] for i in found["items"]} == {"Anna Alpha", "Cleo Gamma"}
    found = (await client.get(url, params={"q": "BERT@"}, headers=bearer(token))).json()
    assert [i["name"] for i in found["items"]] == ["Bert Beta"]

    page1 = (await client.get(url, params={"per_page": 3}, headers=bearer(token))).json()
    page2 = (await client.get(url, params={"per_page": 3, "page": 2}, headers=bearer(token))).json()
    assert (page1["pages"], len(page1["items"]), len(page2["items"])) == (2, 3, 1)
    assert {i["id"] for i in page1["items"]} | {i["id"] for i in page2["items"]} == set(by_id)


async def test_list_registrations_refuses_bad_query(client, make_event, api_token):
    event = await make_event()
    token = await api_token()
    url = f"/api/v1/events/{event.slug}/registrations"
    for params, field in [
        ({"per_page": 201}, "per_page"),
        ({"per_page": 0}, "per_page"),
        ({"page": "two"}, "page"),
        ({"status": "maybe"}, "status"),
        ({"q": "x" * 201}, "q"),
        ({"sort": "name"}, "sort"),
        ([("page", "1"), ("page", "2")], "page"),
    ]:
        response = await client.get(url, params=params, headers=bearer(token))
        assert response.status_code == 422, params
        assert field in response.json()["error"]["fields"], (params, response.json())
    unknown = await client.get("/api/v1/events/no-such-event/registrations", headers=bearer(token))
    assert unknown.status_code == 404


async def test_cancel_frees_the_seat_for_the_waitlist(client, make_event, register, api_token):
    event = await make_event(capacity=1)
    seated = await register(event)
    waiting = await register(event)
    token = await api_token(Role.ADMIN)
    response = await client.post(f"/api/v1/registrations/{seated.registration.id}/cancel", headers=bearer(token))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == seated.registration.id and body["status"] == "cancelled"
    assert body["waitlist_position"] is None and body["email"] == seated.registration.email
    assert (await Registration.get(id=waiting.registration.id)).status == "confirmed"
    assert await OutboxMessage.filter(kind="cancellation").count() == 1
    assert await OutboxMessage.filter(kind="promotion").count() == 1
    twice = await client.post(f"/api/v1/registrations/{seated.registration.id}/cancel", headers=bearer(token))
    assert twice.status_code == 200 and twice.json()["status"] == "cancelled"
    assert await OutboxMessage.filter(kind="cancellation").count() == 1


async def test_cancel_unknown_registration_is_404(client, api_token):
    token = await api_token()
    writes_before = await ManageLink.all().count() + await OutboxMessage.all().count()
    for rid in ("999999", "0", str(2**31), str(10**30), "abc", "-1"):
        response = await client.post(f"/api/v1/registrations/{rid}/cancel", headers=bearer(token))
        assert response.status_code == 404, rid
        assert response.json()["error"]["code"] == "not_found"
    assert await ManageLink.all().count() + await OutboxMessage.all().count() == writes_before
