"""Events over the JSON API: create, read (public vs organiser), change."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from events_app.auth.models import Role
from events_app.clock import utcnow
from events_app.events.models import Event, EventStatus
from events_app.registration.models import Registration
from tests.api.payloads import bearer, event_body


async def test_create_event_returns_201_with_local_times(client, api_token):
    token = await api_token(Role.ORGANISER)
    body = event_body(
        starts_at="2031-06-02T07:00:00Z",  # UTC in, Brussels summer time (+02:00) out
        ends_at="2031-06-02T15:30:00+00:00",
        registration_closes_at="2031-06-01T22:00:00Z",
        online_url="https://meet.example.org/forum",
    )
    response = await client.post("/api/v1/events", json=body, headers=bearer(token))
    assert response.status_code == 201, response.text
    data = response.json()
    assert response.headers["location"] == "/api/v1/events/green-procurement-forum"
    assert data["slug"] == "green-procurement-forum" and data["title"] == "Green Procurement Forum"
    assert data["starts_at"] == "2031-06-02T09:00:00+02:00"
    assert data["ends_at"] == "2031-06-02T17:30:00+02:00"
    assert data["registration_closes_at"] == "2031-06-02T00:00:00+02:00"
    assert data["registration_opens_at"] is None
    assert data["online_url"] == "https://meet.example.org/forum"  # organisers see it
    assert data["confirmed_count"] == 0 and data["waitlisted_count"] == 0 and data["places_left"] == 50
    assert data["registration_state"] == "open" and data["status"] == "published"
    stored = await Event.get(slug="green-procurement-forum")
    assert stored.capacity == 50 and stored.starts_at == datetime.fromisoformat("2031-06-02T07:00:00+00:00")


async def test_public_event_json_hides_online_url(client, make_event, register):
    event = await make_event(is_online=True, online_url="https://meet.example.org/secret", capacity=2)
    await register(event)
    response = await client.get(f"/api/v1/events/{event.slug}")
    assert response.status_code == 200
    data = response.json()
    assert "online_url" not in data and "secret" not in response.text
    assert data["is_online"] is True
    assert (data["confirmed_count"], data["waitlisted_count"], data["places_left"]) == (1, 0, 1)
    expected_keys = {
        "id", "slug", "title", "kind", "description", "timezone", "starts_at", "ends_at", "is_online",
        "venue_name", "venue_address", "capacity", "registration_opens_at", "registration_closes_at",
        "status", "confirmed_count", "waitlisted_count", "places_left", "registration_state",
    }
    assert set(data) == expected_keys
    listed = (await client.get("/api/v1/events")).json()["items"]
    assert [e["slug"] for e in listed] == [event.slug] and "online_url" not in listed[0]


async def test_drafts_only_for_organisers(client, make_event, api_token):
    published = await make_event(status=EventStatus.PUBLISHED)
    cancelled = await make_event(status=EventStatus.CANCELLED, starts_at=utcnow() + timedelta(days=60))
    draft = await make_event(status=EventStatus.DRAFT, online_url="https://meet.example.org/x")

    public = await client.get("/api/v1/events")
    assert {e["slug"] for e in public.json()["items"]} == {published.slug, cancelled.slug}
    assert (await client.get(f"/api/v1/events/{draft.slug}")).status_code == 404

    token = await api_token(Role.ORGANISER)
    private = await client.get("/api/v1/events", headers=bearer(token))
    assert {e["slug"] for e in private.json()["items"]} == {published.slug, cancelled.slug, draft.slug}
    one = await client.get(f"/api/v1/events/{draft.slug}", headers=bearer(token))
    assert one.status_code == 200 and one.json()["status"] == "draft"
    assert one.json()["online_url"] == "https://meet.example.org/x"


async def test_checkin_token_gets_public_view_and_bad_token_401(client, make_event, api_token):
    draft = await make_event(status=EventStatus.DRAFT)
    checkin = await api_token(Role.CHECKIN)
    response = await client.get("/api/v1/events", headers=bearer(checkin))
    assert response.status_code == 200 and response.json()["items"] == []
    assert (await client.get(f"/api/v1/events/{draft.slug}", headers=bearer(checkin))).status_code == 404
    bad = await client.get("/api/v1/events", headers=bearer("ea_not-a-real-token"))
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "unauthorized"


async def test_admin_may_create(client, api_token):
    token = await api_token(Role.ADMIN)
    response = await client.post("/api/v1/events", json=event_body(slug="admin-made"), headers=bearer(token))
    assert response.status_code == 201
    assert await Event.filter(slug="admin-made").exists()


async def test_patch_capacity_promotes_waitlist(client, make_event, register, api_token):
    event = await make_event(capacity=1)
    seated = await register(event)
    waiting = [await register(event) for _ in range(3)]
    assert [o.waitlist_position for o in waiting] == [1, 2, 3]
    token = await api_token()
    response = await client.patch(f"/api/v1/events/{event.slug}", json={"capacity": 3}, headers=bearer(token))
    assert response.status_code == 200, response.text
    data = response.json()
    assert (data["capacity"], data["confirmed_count"], data["waitlisted_count"], data["places_left"]) == (3, 3, 1, 0)
    statuses = [(await Registration.get(id=o.registration.id)).status for o in [seated, *waiting]]
    assert statuses == ["confirmed", "confirmed", "confirmed", "waitlisted"]


async def test_patch_changes_only_given_fields(client, make_event, api_token):
    event = await make_event(title="Old title", capacity=7)
    token = await api_token()
    response = await client.patch(
        f"/api/v1/events/{event.slug}", json={"title": "New title", "timezone": "Europe/Lisbon"}, headers=bearer(token)
    )
    assert response.status_code == 200
    stored = await Event.get(id=event.id)
    assert (stored.title, stored.timezone, stored.capacity) == ("New title", "Europe/Lisbon", 7)
    assert stored.starts_at == event.starts_at
    lisbon = event.starts_at.astimezone(ZoneInfo("Europe/Lisbon"))
    assert response.json()["starts_at"] == lisbon.isoformat().replace("+00:00", "Z")


async def test_patch_refuses_reopening_cancelled_event(client, make_event, api_token):
    event = await make_event(status=EventStatus.CANCELLED)
    token = await api_token()
    response = await client.patch(f"/api/v1/events/{event.slug}", json={"status": "published"}, headers=bearer(token))
    assert response.status_code == 409 and response.json()["error"]["code"] == "conflict"
    assert (await Event.get(id=event.id)).status == EventStatus.CANCELLED


async def test_patch_invalid_merge_names_the_field(client, make_event, api_token):
    event = await make_event()
    token = await api_token()
    too_early = (event.starts_at - timedelta(hours=1)).isoformat()
    response = await client.patch(f"/api/v1/events/{event.slug}", json={"ends_at": too_early}, headers=bearer(token))
    assert response.status_code == 422
    assert "ends_at" in response.json()["error"]["fields"]
    assert (await Event.get(id=event.id)).ends_at == event.ends_at


async def test_patch_unknown_event_is_404(client, api_token):
    token = await api_token()
    response = await client.patch("/api/v1/events/no-such-event", json={"capacity": 3}, headers=bearer(token))
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


async def test_unknown_api_paths_and_methods_answer_json(client):
    missing = await client.get("/api/v1/nothing/here")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/json")
    assert missing.json()["error"]["code"] == "not_found"
    wrong = await client.delete("/api/v1/events")
    assert wrong.status_code == 405 and wrong.json()["error"]["code"] == "method_not_allowed"
    assert (await client.get("/api/v2/events")).json()["error"]["code"] == "not_found"
