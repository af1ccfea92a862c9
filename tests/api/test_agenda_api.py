"""The organiser's agenda over the JSON API: rooms, speakers, sessions, conflicts, publish.

Every answer is checked against the OpenAPI document by the contract client
(tests/api/conftest.py).
"""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

import pytest

from events_app.agenda.models import AgendaSession, Room, SessionStatus, Speaker
from events_app.auth.models import Role
from events_app.events.models import Event
from tests.agenda.conftest import at
from tests.api.payloads import bearer
from tests.conftest import future


@pytest.fixture
async def conference(make_event) -> Event:
    """Three days, 09:00 day 1 to 17:00 day 3, Brussels time."""
    start = future(40, hour=8)
    return await make_event(
        kind="conference", capacity=400, starts_at=start, ends_at=start + timedelta(days=2, hours=8)
    )


@pytest.fixture
async def auth(api_token) -> dict[str, str]:
    return bearer(await api_token(Role.ORGANISER))


@pytest.fixture
async def agenda(client, conference, auth) -> dict[str, Any]:
    """Rooms and speakers made through the API; returns their ids by name."""
    base = f"/api/v1/events/{conference.slug}"
    rooms, speakers = {}, {}
    for name, seats in (("Plenary hall", 400), ("Room A", 40), ("Room B", 25)):
        response = await client.post(f"{base}/rooms", json={"name": name, "seats": seats}, headers=auth)
        assert response.status_code == 201, response.text
        rooms[name] = response.json()["id"]
    for name, org, country in (("Ana Ruiz", "City of Barcelona", "ES"), ("Jan Peeters", "City of Ghent", "BE")):
        response = await client.post(
            f"{base}/speakers", json={"name": name, "organisation": org, "country": country}, headers=auth
        )
        assert response.status_code == 201, response.text
        speakers[name] = response.json()["id"]
    return {"base": base, "rooms": rooms, "speakers": speakers}


def when(event: Event, day: int, hhmm: str) -> str:
    return at(event, day, hhmm).isoformat()


def session_body(event: Event, day: int = 0, start: str = "10:00", end: str = "11:00", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": f"Session {start} day {day}",
        "kind": "workshop",
        "starts_at": when(event, day, start),
        "ends_at": when(event, day, end),
    }
    body.update(overrides)
    return body


# --- rooms and speakers ------------------------------------------------------------------


async def test_rooms_create_list_rename_and_refuse_a_second_name(client, conference, agenda, auth):
    base, rooms = agenda["base"], agenda["rooms"]
    listed = await client.get(f"{base}/rooms", headers=auth)
    assert listed.status_code == 200
    assert [(r["name"], r["seats"]) for r in listed.json()["items"]] == [
        ("Plenary hall", 400), ("Room A", 40), ("Room B", 25)
    ]
    created = await client.post(f"{base}/rooms", json={"name": "Room C", "seats": 12}, headers=auth)
    assert created.status_code == 201
    assert created.headers["location"] == f"{base}/rooms/{created.json()['id']}"
    same = await client.post(f"{base}/rooms", json={"name": "room a", "seats": 5}, headers=auth)
    assert same.status_code == 422 and "name" in same.json()["error"]["fields"]
    patched = await client.patch(f"{base}/rooms/{rooms['Room B']}", json={"seats": 30}, headers=auth)
    assert patched.status_code == 200 and patched.json() == {"id": rooms["Room B"], "name": "Room B", "seats": 30}
    assert (await Room.get(id=rooms["Room B"])).seats == 30
    taken = await client.patch(f"{base}/rooms/{rooms['Room B']}", json={"name": "Room A"}, headers=auth)
    assert taken.status_code == 422 and (await Room.get(id=rooms["Room B"])).name == "Room B"
    missing = await client.patch(f"{base}/rooms/999999", json={"seats": 3}, headers=auth)
    assert missing.status_code == 404 and "room" in missing.json()["error"]["message"]
    assert await Room.filter(event_id=conference.id).count() == 4


async def test_speakers_create_and_list_with_checked_fields(client, agenda, auth):
    base = agenda["base"]
    body = {
        "name": "Eva Novak", "organisation": "City of Ljubljana", "country": "si",
        "bio": "Buys school meals.\nLikes beans.", "photo_url": "https://example.org/eva.jpg",
    }
    created = await client.post(f"{base}/speakers", json=body, headers=auth)
    assert created.status_code == 201
    assert created.json() == {**body, "id": created.json()["id"], "country": "SI"}
    bad = await client.post(
        f"{base}/speakers", json={"name": "X", "country": "Slovenia", "photo_url": "http://x.org/a.jpg"}, headers=auth
    )
    assert bad.status_code == 422 and set(bad.json()["error"]["fields"]) == {"country", "photo_url"}
    listed = (await client.get(f"{base}/speakers", headers=auth)).json()["items"]
    assert [s["name"] for s in listed] == ["Ana Ruiz", "Eva Novak", "Jan Peeters"]
    assert await Speaker.all().count() == 3


# --- sessions ----------------------------------------------------------------------------


async def test_create_session_201_with_local_times_room_track_speakers(client, conference, agenda, auth):
    base, rooms, speakers = agenda["base"], agenda["rooms"], agenda["speakers"]
    body = session_body(
        conference, 1, "14:00", "15:30", title="Clean vehicles", description="Buses and bins.",
        room="room a", track="Mobility", track_colour="#00796B", capacity=30,
        speakers=[speakers["Jan Peeters"], speakers["Ana Ruiz"]], online_url="https://meet.example.org/cv",
    )
    body["starts_at"] = at(conference, 1, "14:00").astimezone(UTC).isoformat()  # UTC in, local out
    response = await client.post(f"{base}/sessions", json=body, headers=auth)
    assert response.status_code == 201, response.text
    data = response.json()
    assert response.headers["location"] == f"{base}/sessions/{data['id']}"
    assert data["starts_at"] == at(conference, 1, "14:00").isoformat()  # in the event's zone
    assert data["starts_at"].endswith(("+01:00", "+02:00")) and data["timezone"] == "Europe/Brussels"
    assert data["room"] == {"id": rooms["Room A"], "name": "Room A", "seats": 40}
    assert data["track"] == {"name": "Mobility", "colour": "#00796b"}
    assert [s["name"] for s in data["speakers"]] == ["Jan Peeters", "Ana Ruiz"]
    assert data["speakers"][0] == {"id": speakers["Jan Peeters"], "name": "Jan Peeters",
                                   "organisation": "City of Ghent", "country": "BE"}
    assert (data["status"], data["pending_changes"], data["published"]) == ("draft", False, None)
    assert data["conflicts"] == [] and data["fill"] == {"confirmed": 0, "waitlisted": 0}
    assert data["capacity"] == 30 and data["online_url"] == "https://meet.example.org/cv"
    assert data["uid"] == str((await AgendaSession.get(id=data["id"])).uid)
    one = await client.get(f"{base}/sessions/{data['id']}", headers=auth)
    assert one.status_code == 200 and one.json() == data
    listed = await client.get(f"{base}/sessions", headers=auth)
    assert listed.json()["items"] == [data]


async def _existing(client, conference, agenda, auth) -> dict[str, Any]:
    """Room A, 10:00-11:00 on day 1, with Ana Ruiz speaking."""
    body = session_body(conference, title="Existing", room="Room A", speakers=[agenda["speakers"]["Ana Ruiz"]])
    response = await client.post(f"{agenda['base']}/sessions", json=body, headers=auth)
    assert response.status_code == 201, response.text
    return response.json()


CLASHES = {
    # the new session, what kind of clash, and what the message must name
    "room_clash": (dict(start="10:30", end="11:30", room="Room A"), "Existing"),
    "speaker_clash": (dict(start="10:15", end="10:45", room="Room B", speakers=["Ana Ruiz"]), "Existing"),
    "outside_event": (dict(day=-1, start="10:00", end="11:00", room="Room B"), "outside the event's dates"),
    "over_room_capacity": (dict(start="12:00", end="13:00", room="Room B", capacity=30), "25 seats of Room B"),
}


def _clash_body(conference: Event, agenda: dict[str, Any], spec: dict[str, Any], **extra: Any) -> dict[str, Any]:
    spec = dict(spec)
    if "speakers" in spec:
        spec["speakers"] = [agenda["speakers"][name] for name in spec["speakers"]]
    return session_body(conference, title="Newcomer", **spec, **extra)


@pytest.mark.parametrize("kind", list(CLASHES))
async def test_conflict_table_refused_with_409_naming_the_clash(client, conference, agenda, auth, kind):
    existing = await _existing(client, conference, agenda, auth)
    spec, named = CLASHES[kind]
    response = await client.post(f"{agenda['base']}/sessions", json=_clash_body(conference, agenda, spec), headers=auth)
    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert error["code"] == "agenda_conflict" and "allow_conflicts" in error["message"]
    assert named in error["message"]
    assert [c["type"] for c in error["conflicts"]] == [kind]
    conflict = error["conflicts"][0]
    if kind in {"room_clash", "speaker_clash"}:
        assert conflict["session"]["id"] == existing["id"] and conflict["session"]["title"] == "Existing"
    if kind == "speaker_clash":
        assert conflict["speaker"] == {"id": agenda["speakers"]["Ana Ruiz"], "name": "Ana Ruiz"}
    if kind == "over_room_capacity":
        assert conflict["room"] == {"id": agenda["rooms"]["Room B"], "name": "Room B", "seats": 25}
    assert await AgendaSession.filter(event_id=conference.id).count() == 1  # nothing stored


@pytest.mark.parametrize("kind", list(CLASHES))
async def test_conflict_table_allow_conflicts_stores_and_flags(client, conference, agenda, auth, kind):
    existing = await _existing(client, conference, agenda, auth)
    spec, named = CLASHES[kind]
    body = _clash_body(conference, agenda, spec, allow_conflicts=True)
    response = await client.post(f"{agenda['base']}/sessions", json=body, headers=auth)
    assert response.status_code == 201, response.text
    data = response.json()
    assert [c["type"] for c in data["conflicts"]] == [kind] and named in data["conflicts"][0]["message"]
    stored = await AgendaSession.get(id=data["id"])
    assert stored.conflicts_allowed and stored.title == "Newcomer"
    shown = (await client.get(f"{agenda['base']}/sessions/{data['id']}", headers=auth)).json()
    assert shown["conflicts"] == data["conflicts"]
    other = (await client.get(f"{agenda['base']}/sessions/{existing['id']}", headers=auth)).json()
    if kind in {"room_clash", "speaker_clash"}:  # flagged on both sides
        assert [c["session"]["id"] for c in other["conflicts"]] == [data["id"]]
    else:
        assert other["conflicts"] == []


async def test_patch_into_a_clash_is_refused_then_allowed(client, conference, agenda, auth):
    existing = await _existing(client, conference, agenda, auth)
    base = agenda["base"]
    later = (await client.post(
        f"{base}/sessions", json=session_body(conference, start="12:00", end="13:00", room="Room A"), headers=auth
    )).json()
    move = {"starts_at": when(conference, 0, "10:30"), "ends_at": when(conference, 0, "11:30")}
    refused = await client.patch(f"{base}/sessions/{later['id']}", json=move, headers=auth)
    assert refused.status_code == 409 and refused.json()["error"]["conflicts"][0]["session"]["id"] == existing["id"]
    assert (await AgendaSession.get(id=later["id"])).starts_at == at(conference, 0, "12:00")
    allowed = await client.patch(f"{base}/sessions/{later['id']}", json={**move, "allow_conflicts": True}, headers=auth)
    assert allowed.status_code == 200 and allowed.json()["starts_at"] == move["starts_at"]
    assert allowed.json()["conflicts"][0]["type"] == "room_clash"
    cleared = await client.patch(f"{base}/sessions/{later['id']}", json={"room": None}, headers=auth)
    assert cleared.status_code == 200 and cleared.json()["room"] is None and cleared.json()["conflicts"] == []
    backwards = await client.patch(
        f"{base}/sessions/{later['id']}", json={"ends_at": when(conference, 0, "09:00")}, headers=auth
    )
    assert backwards.status_code == 422 and "ends_at" in backwards.json()["error"]["fields"]


# --- bad input: a clear 4xx, nothing stored ----------------------------------------------


BAD_BODIES = {
    "wrong types": (lambda b: {**b, "title": 5, "capacity": "10", "speakers": "1"}, 422, {"title", "capacity", "speakers"}),
    "unknown kind": (lambda b: {**b, "kind": "lecture"}, 422, {"kind"}),
    "ends before start": (lambda b: {**b, "ends_at": b["starts_at"], "starts_at": b["ends_at"]}, 422, {"ends_at"}),
    "no offset": (lambda b: {**b, "starts_at": b["starts_at"][:19]}, 422, {"starts_at"}),
    "unknown room": (lambda b: {**b, "room": "Broom cupboard"}, 422, {"room"}),
    "unknown room id": (lambda b: {**b, "room": 999999}, 422, {"room"}),
    "unknown speaker": (lambda b: {**b, "speakers": [999999]}, 422, {"speakers"}),
    "speaker twice": (lambda b: {**b, "speakers": [1, 1]}, 422, {"speakers"}),
    "http join link": (lambda b: {**b, "online_url": "http://meet.example.org"}, 422, {"online_url"}),
    "unknown field": (lambda b: {**b, "colour": "red"}, 422, {"colour"}),
    "missing title": (lambda b: {k: v for k, v in b.items() if k != "title"}, 422, {"title"}),
}


@pytest.mark.parametrize("case", list(BAD_BODIES))
async def test_bad_session_bodies_are_422_and_store_nothing(client, conference, agenda, auth, case):
    change, status, fields = BAD_BODIES[case]
    body = change(session_body(conference, room="Room A"))
    response = await client.post(f"{agenda['base']}/sessions", json=body, headers=auth)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error" and set(error["fields"]) == fields, error
    assert all(message.strip() for message in error["fields"].values())
    assert await AgendaSession.all().count() == 0


async def test_malformed_json_and_wrong_media_type(client, conference, agenda, auth):
    url = f"{agenda['base']}/sessions"
    broken = await client.post(url, content=b'{"title": ', headers={**auth, "content-type": "application/json"})
    assert broken.status_code == 400 and broken.json()["error"]["code"] == "invalid_json"
    array = await client.post(url, json=[1, 2], headers=auth)
    assert array.status_code == 400
    form = await client.post(url, data={"title": "x"}, headers=auth)
    assert form.status_code == 415
    room = await client.post(f"{agenda['base']}/rooms", content=b"nope", headers={**auth, "content-type": "application/json"})
    assert room.status_code == 400
    assert await AgendaSession.all().count() == 0 and await Room.all().count() == 3


async def test_who_may_call_and_unknown_things(client, conference, agenda, auth, api_token, make_event):
    base = agenda["base"]
    body = session_body(conference)
    anonymous = await client.post(f"{base}/sessions", json=body)
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "unauthorized"
    checkin = bearer(await api_token(Role.CHECKIN))
    for method, path in (("GET", "/rooms"), ("POST", "/sessions"), ("GET", "/sessions"), ("POST", "/agenda/publish")):
        response = await client.request(method, base + path, json=body if method == "POST" else None, headers=checkin)
        assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"
    bad = await client.get(f"{base}/speakers", headers=bearer("ea_not-a-token"))
    assert bad.status_code == 401
    nowhere = await client.post("/api/v1/events/no-such-event/sessions", json=body, headers=auth)
    assert nowhere.status_code == 404 and nowhere.json()["error"]["code"] == "not_found"
    assert (await client.get("/api/v1/events/Not_A_Slug/rooms", headers=auth)).status_code == 404
    for method in ("GET", "PATCH", "DELETE"):
        for session_id in (999999, 2**31, 0):
            response = await client.request(
                method, f"{base}/sessions/{session_id}", json={"title": "x"} if method == "PATCH" else None, headers=auth
            )
            assert response.status_code == 404, (method, session_id, response.text)
            assert response.json()["error"]["message"] == "This event has no such session."
    # a session of another event is not found under this one
    other = await make_event(slug="other-event", starts_at=conference.starts_at, ends_at=conference.ends_at)
    theirs = await client.post(f"/api/v1/events/{other.slug}/sessions", json=body, headers=auth)
    assert theirs.status_code == 201
    assert (await client.get(f"{base}/sessions/{theirs.json()['id']}", headers=auth)).status_code == 404
    assert (await client.delete(f"{base}/sessions/{theirs.json()['id']}", headers=auth)).status_code == 404
    assert await AgendaSession.filter(event_id=conference.id).count() == 0
    assert await AgendaSession.filter(event_id=other.id).count() == 1


# --- publish, pending edits, cancel ------------------------------------------------------


async def test_publish_summary_pending_values_and_cancel(client, conference, agenda, auth):
    base = agenda["base"]
    a = (await client.post(f"{base}/sessions", json=session_body(conference, title="A", room="Room A"), headers=auth)).json()
    b = (await client.post(
        f"{base}/sessions", json=session_body(conference, title="B", room="Room B", start="12:00", end="13:00"), headers=auth
    )).json()
    scrap = (await client.post(f"{base}/sessions", json=session_body(conference, 2, title="Scrap"), headers=auth)).json()
    deleted = await client.delete(f"{base}/sessions/{scrap['id']}", headers=auth)
    assert deleted.status_code == 204 and not await AgendaSession.filter(id=scrap["id"]).exists()

    first = await client.post(f"{base}/agenda/publish", headers=auth)
    assert first.status_code == 200, first.text
    summary = first.json()
    assert [(x["id"], x["title"], x["room"]) for x in summary["added"]] == [(a["id"], "A", "Room A"), (b["id"], "B", "Room B")]
    assert summary["moved"] == summary["cancelled"] == summary["changed"] == []
    assert summary["emails_queued"] == 0

    move = {"starts_at": when(conference, 0, "14:00"), "ends_at": when(conference, 0, "15:00"), "room": "Room B"}
    moved = (await client.patch(f"{base}/sessions/{a['id']}", json=move, headers=auth)).json()
    assert moved["pending_changes"] is True and moved["status"] == "published"
    assert moved["starts_at"] == move["starts_at"] and moved["room"]["name"] == "Room B"  # the draft
    assert moved["published"]["starts_at"] == when(conference, 0, "10:00")  # what the public still sees
    assert moved["published"]["room"]["name"] == "Room A" and moved["published"]["status"] == "published"
    cancelled = await client.delete(f"{base}/sessions/{b['id']}", headers=auth)
    assert cancelled.status_code == 200
    assert (cancelled.json()["status"], cancelled.json()["pending_changes"]) == ("cancelled", True)
    assert cancelled.json()["published"]["status"] == "published"
    assert (await AgendaSession.get(id=b["id"])).status == SessionStatus.PUBLISHED  # until the publish

    second = (await client.post(f"{base}/agenda/publish", headers=auth)).json()
    assert [x["id"] for x in second["moved"]] == [a["id"]] and [x["id"] for x in second["cancelled"]] == [b["id"]]
    change = second["moved"][0]
    assert change["from"]["room"] == "Room A" and change["to"]["room"] == "Room B"
    assert set(change["fields"]) == {"starts_at", "ends_at", "room_id"}
    assert second["added"] == second["changed"] == []
    after = (await client.get(f"{base}/sessions/{a['id']}", headers=auth)).json()
    assert after["pending_changes"] is False and after["published"]["starts_at"] == move["starts_at"]
    gone = (await client.get(f"{base}/sessions/{b['id']}", headers=auth)).json()
    assert gone["status"] == "cancelled" and gone["published"]["status"] == "cancelled"
    refused = await client.patch(f"{base}/sessions/{b['id']}", json={"title": "Back"}, headers=auth)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "conflict"

    third = (await client.post(f"{base}/agenda/publish", headers=auth)).json()
    assert third["added"] == third["moved"] == third["cancelled"] == third["changed"] == []


async def test_fewer_room_seats_than_a_session_needs_is_409_then_allowed(client, make_event, api_token):
    event = await make_event()
    headers = {"Authorization": f"Bearer {await api_token()}"}
    room = (await client.post(f"/api/v1/events/{event.slug}/rooms", json={"name": "Hall", "seats": 50}, headers=headers)).json()
    start = event.starts_at.isoformat()
    end = (event.starts_at + (event.ends_at - event.starts_at) / 4).isoformat()
    session = {"title": "Big", "kind": "workshop", "starts_at": start, "ends_at": end, "room": "Hall", "capacity": 40}
    assert (await client.post(f"/api/v1/events/{event.slug}/sessions", json=session, headers=headers)).status_code == 201
    refused = await client.patch(f"/api/v1/events/{event.slug}/rooms/{room['id']}", json={"seats": 30}, headers=headers)
    assert refused.status_code == 409 and refused.json()["error"]["conflicts"][0]["session"]["title"] == "Big"
    allowed = await client.patch(
        f"/api/v1/events/{event.slug}/rooms/{room['id']}", json={"seats": 30, "allow_conflicts": True}, headers=headers
    )
    assert allowed.status_code == 200 and allowed.json()["seats"] == 30
