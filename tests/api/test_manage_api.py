"""The attendee's manage link over the JSON API: their view, and picking sessions.

Answers are checked against the OpenAPI document by the contract client.
"""

from __future__ import annotations

from typing import Any

import pytest

from events_app.agenda.feed_tokens import feed_urls
from events_app.agenda.models import AgendaSession, PickStatus, SessionPick
from events_app.agenda.schemas import SessionInput
from events_app.agenda.service import cancel_session, create_session, publish_agenda
from events_app.events.models import Event
from events_app.ratelimit import RateLimiter
from events_app.registration.models import Registration
from events_app.registration.service import cancel_registration
from events_app.settings import RateLimit
from tests.agenda import conftest as agenda_fixtures

# The agenda tests' fixtures: a three-day Brussels conference with rooms and speakers.
conference = agenda_fixtures.conference
rooms = agenda_fixtures.rooms
speakers = agenda_fixtures.speakers
add_session = agenda_fixtures.add_session

VISIT_URL = "https://meet.example.org/visit-stream"
WEBINAR_URL = "https://meet.example.org/webinar-room"


@pytest.fixture
async def programme(conference, rooms, speakers, add_session) -> dict[str, int]:
    """A published agenda: a 1-seat site visit, a workshop that overlaps it, a 1-seat online
    session, a morning workshop, a plenary (no sign-up), a cancelled workshop and a draft."""
    ids = {
        "visit": (await add_session(
            title="Visit to the depot", kind="site_visit", capacity=1, start="14:00", end="16:00",
            online_url=VISIT_URL,
        )).draft.id,
        "clash": (await add_session(title="Bus tenders", start="15:00", end="16:30", room="Room A")).draft.id,
        "webinar": (await add_session(
            title="Online clinic", kind="webinar", capacity=1, day=1, start="10:00", end="11:00",
            online_url=WEBINAR_URL,
        )).draft.id,
        "morning": (await add_session(
            title="Food workshop", start="09:30", end="10:30", room="Room B", capacity=20, track="Food",
            speakers=[speakers[0].id],
        )).draft.id,
        "plenary": (await add_session(
            title="Opening", kind="plenary", start="11:00", end="12:00", room="Plenary hall"
        )).draft.id,
    }
    ids["gone"] = (await add_session(title="Dropped talk", day=2, start="14:00", end="15:00")).draft.id
    await publish_agenda(event=conference)
    await cancel_session(event=conference, session_id=ids["gone"])
    await publish_agenda(event=conference)
    ids["draft"] = (await add_session(title="Not yet", day=2, start="10:00", end="11:00")).draft.id
    return ids


async def put_picks(client, token: str, session_ids: list[int], **extra: Any):
    return await client.put(f"/api/v1/manage/{token}/sessions", json={"session_ids": session_ids, **extra})


async def picks_of(registration: Registration) -> dict[int, str]:
    rows = await SessionPick.filter(registration_id=registration.id, status__not=PickStatus.CANCELLED)
    return {int(p.session_id): p.status.value for p in rows}


async def test_get_shows_registration_event_sessions_and_calendar(client, conference, programme, register):
    outcome = await register(conference, name="Marie Dupont", email="marie@example.org")
    response = await client.get(f"/api/v1/manage/{outcome.manage_token}")
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"  # personal: join links, feed URL
    data = response.json()
    assert data["registration"] == {
        "id": outcome.registration.id, "name": "Marie Dupont", "email": "marie@example.org",
        "status": "confirmed", "waitlist_position": None,
    }
    assert data["event"]["slug"] == conference.slug and data["event"]["timezone"] == "Europe/Brussels"
    assert data["event"]["starts_at"] == conference.local_start.isoformat()
    assert data["event"]["join_url"] is None  # not an online event
    assert data["can_pick"] is True and data["picks"] == []
    # only published sessions that need a sign-up, by start time
    assert [s["id"] for s in data["sessions"]] == [programme[k] for k in ("morning", "visit", "clash", "webinar")]
    morning = data["sessions"][0]
    assert morning["room"] == {"id": morning["room"]["id"], "name": "Room B"}
    assert morning["track"]["name"] == "Food" and morning["speakers"][0]["name"] == "Ana Ruiz"
    assert morning["fill"] == {"confirmed": 0, "waitlisted": 0} and morning["places_left"] == 20
    assert morning["picked"] is None and morning["starts_at"].startswith(conference.local_start.date().isoformat())
    clash = data["sessions"][2]
    assert clash["capacity"] is None and clash["places_left"] is None
    visit = data["sessions"][1]
    assert visit["is_online"] is True and visit["join_url"] is None
    assert VISIT_URL not in response.text and WEBINAR_URL not in response.text
    registration = await Registration.get(id=outcome.registration.id)
    assert data["calendar"] == feed_urls(registration)
    assert data["calendar"]["webcal"].startswith("webcal://")


async def test_put_picks_confirms_and_shows_join_url_only_for_a_seat(client, conference, programme, register):
    first = await register(conference)
    second = await register(conference)
    response = await put_picks(client, first.manage_token, [programme["webinar"], programme["morning"]])
    assert response.status_code == 200, response.text
    data = response.json()
    assert [(p["session"]["id"], p["status"], p["waitlist_position"]) for p in data["picks"]] == [
        (programme["morning"], "confirmed", None), (programme["webinar"], "confirmed", None),
    ]
    webinar = data["picks"][1]["session"]
    assert webinar["join_url"] == WEBINAR_URL
    assert data["picks"][0]["session"]["join_url"] is None  # in person, no link
    listed = {s["id"]: s for s in data["sessions"]}
    assert listed[programme["webinar"]]["picked"] == "confirmed" and listed[programme["webinar"]]["places_left"] == 0
    assert listed[programme["webinar"]]["join_url"] == WEBINAR_URL
    assert listed[programme["visit"]]["join_url"] is None
    assert response.json() == (await client.get(f"/api/v1/manage/{first.manage_token}")).json()

    waiting = await put_picks(client, second.manage_token, [programme["webinar"]])
    assert waiting.status_code == 200
    pick = waiting.json()["picks"][0]
    assert (pick["status"], pick["waitlist_position"], pick["session"]["join_url"]) == ("waitlisted", 1, None)
    assert WEBINAR_URL not in waiting.text
    assert (await AgendaSession.get(id=programme["webinar"])).waitlisted_count == 1

    # the first person drops it: the second is promoted and now sees the link
    dropped = await put_picks(client, first.manage_token, [programme["morning"]])
    assert [p["session"]["id"] for p in dropped.json()["picks"]] == [programme["morning"]]
    assert WEBINAR_URL not in dropped.text
    promoted = (await client.get(f"/api/v1/manage/{second.manage_token}")).json()
    assert promoted["picks"][0]["status"] == "confirmed" and promoted["picks"][0]["session"]["join_url"] == WEBINAR_URL


async def test_overlap_is_409_and_changes_nothing(client, conference, programme, register):
    outcome = await register(conference)
    assert (await put_picks(client, outcome.manage_token, [programme["morning"]])).status_code == 200
    response = await put_picks(client, outcome.manage_token, [programme["visit"], programme["clash"]])
    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert error["code"] == "session_overlap"
    assert "Visit to the depot" in error["message"] and "Bus tenders" in error["message"]
    assert sorted(error["sessions"]) == sorted([programme["visit"], programme["clash"]])
    assert await picks_of(outcome.registration) == {programme["morning"]: "confirmed"}
    for key in ("visit", "clash"):
        session = await AgendaSession.get(id=programme[key])
        assert (session.confirmed_count, session.waitlisted_count) == (0, 0)


async def test_full_session_without_waitlist_is_409_all_or_nothing(client, conference, programme, register):
    first = await register(conference)
    second = await register(conference)
    assert (await put_picks(client, first.manage_token, [programme["visit"]])).status_code == 200
    refused = await put_picks(client, second.manage_token, [programme["morning"], programme["visit"]], waitlist=False)
    assert refused.status_code == 409, refused.text
    error = refused.json()["error"]
    assert error["code"] == "session_full" and "Visit to the depot" in error["message"] and "full" in error["message"]
    assert error["sessions"] == [programme["visit"]]
    assert await picks_of(second.registration) == {}  # the free morning workshop was not taken either
    assert (await AgendaSession.get(id=programme["morning"])).confirmed_count == 0
    queued = await put_picks(client, second.manage_token, [programme["morning"], programme["visit"]])
    assert queued.status_code == 200
    assert await picks_of(second.registration) == {programme["morning"]: "confirmed", programme["visit"]: "waitlisted"}
    visit = next(s for s in queued.json()["sessions"] if s["id"] == programme["visit"])
    assert visit["fill"] == {"confirmed": 1, "waitlisted": 1} and visit["picked"] == "waitlisted"


@pytest.mark.parametrize(
    "which, status, code",
    [
        ("plenary", 422, "validation_error"),  # no sign-up needed
        ("draft", 422, "validation_error"),  # not published
        ("unknown", 422, "validation_error"),
        ("elsewhere", 422, "validation_error"),  # a session of another event
        ("gone", 409, "conflict"),  # cancelled
    ],
)
async def test_sessions_that_cannot_be_picked(
    client, make_event, conference, programme, register, which, status, code
):
    outcome = await register(conference)
    session_id = programme.get(which, 999999)
    if which == "elsewhere":
        other = await make_event(starts_at=conference.starts_at)
        data = SessionInput(title="Theirs", kind="workshop", starts_at=other.starts_at, ends_at=other.ends_at)
        session_id = (await create_session(event=other, data=data)).draft.id
        await publish_agenda(event=other)
    response = await put_picks(client, outcome.manage_token, [programme["morning"], session_id])
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert "session_ids" in error["fields"] if status == 422 else "cancelled" in error["message"]
    assert await picks_of(outcome.registration) == {}


async def test_bad_bodies_and_tokens(client, conference, programme, register):
    outcome = await register(conference)
    token = outcome.manage_token
    url = f"/api/v1/manage/{token}/sessions"
    broken = await client.put(url, content=b"{", headers={"content-type": "application/json"})
    assert broken.status_code == 400
    for body in ({"session_ids": "1"}, {"session_ids": [programme["visit"], programme["visit"]]},
                 {"session_ids": [0]}, {}, {"session_ids": [], "waitlist": "yes"}, {"session_ids": [], "extra": 1}):
        response = await client.put(url, json=body)
        assert response.status_code == 422, (body, response.text)
    assert (await client.put(url, data={"session_ids": "1"})).status_code == 415
    for bad in ("not-a-token", "x" * 101, token[:-1]):
        assert (await client.get(f"/api/v1/manage/{bad}")).status_code == 404
        missing = await put_picks(client, bad, [programme["visit"]])
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert await SessionPick.all().count() == 0


async def test_cancelled_registration_loses_picks_and_calendar(client, conference, programme, register):
    outcome = await register(conference)
    assert (await put_picks(client, outcome.manage_token, [programme["visit"]])).status_code == 200
    await cancel_registration(registration_id=outcome.registration.id)
    data = (await client.get(f"/api/v1/manage/{outcome.manage_token}")).json()
    assert data["registration"]["status"] == "cancelled" and data["can_pick"] is False
    assert data["picks"] == [] and data["calendar"] is None
    again = await put_picks(client, outcome.manage_token, [programme["morning"]])
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    assert (await AgendaSession.get(id=programme["visit"])).confirmed_count == 0


async def test_online_event_join_url_only_for_confirmed(client, make_event, register):
    event: Event = await make_event(is_online=True, online_url="https://meet.example.org/forum", capacity=1)
    seated = await register(event)
    waiting = await register(event)
    confirmed = (await client.get(f"/api/v1/manage/{seated.manage_token}")).json()
    assert confirmed["event"]["join_url"] == "https://meet.example.org/forum" and confirmed["event"]["is_online"]
    listed = await client.get(f"/api/v1/manage/{waiting.manage_token}")
    assert listed.json()["registration"]["waitlist_position"] == 1 and listed.json()["can_pick"] is False
    assert listed.json()["event"]["join_url"] is None and "meet.example.org/forum" not in listed.text
    assert listed.json()["calendar"] is not None


async def test_open_online_session_join_url_for_every_confirmed_attendee(client, conference, programme, register, add_session):
    """A livestream needs no sign-up: listed in online_sessions with its link for each confirmed person."""
    live_url = "https://meet.example.org/opening-livestream"
    live = (await add_session(
        title="Opening livestream", kind="plenary", day=1, start="09:00", end="09:45", online_url=live_url,
    )).draft.id
    await publish_agenda(event=conference)
    await add_session(title="Draft stream", kind="plenary", day=2, start="09:00", end="09:30", online_url=live_url + "-x")
    outcome = await register(conference)
    response = await client.get(f"/api/v1/manage/{outcome.manage_token}")
    assert response.status_code == 200, response.text
    data = response.json()
    assert [(s["id"], s["join_url"], s["is_online"]) for s in data["online_sessions"]] == [(live, live_url, True)]
    assert live not in [s["id"] for s in data["sessions"]]  # nothing to sign up for
    assert live_url + "-x" not in response.text
    # cancelled: listed, without the link
    await cancel_registration(registration_id=outcome.registration.id)
    gone = await client.get(f"/api/v1/manage/{outcome.manage_token}")
    assert [s["join_url"] for s in gone.json()["online_sessions"]] == [None] and live_url not in gone.text


async def test_open_online_session_join_url_not_for_waitlisted(client, make_event, register):
    event: Event = await make_event(kind="conference", capacity=1)
    await create_session(event=event, data=SessionInput(
        title="Livestream", kind="plenary", starts_at=event.starts_at, ends_at=event.ends_at,
        online_url="https://meet.example.org/stream-9",
    ))
    await publish_agenda(event=event)
    await register(event)
    waiting = await register(event)
    listed = await client.get(f"/api/v1/manage/{waiting.manage_token}")
    assert listed.status_code == 200 and listed.json()["registration"]["status"] == "waitlisted"
    assert [s["join_url"] for s in listed.json()["online_sessions"]] == [None]
    assert "stream-9" not in listed.text


async def test_manage_calls_are_rate_limited_per_address(client, app, conference, programme, register):
    outcome = await register(conference)
    app.state.limiter = RateLimiter(RateLimit(count=1, seconds=60))  # weight 30: thirty calls a minute
    statuses = [(await client.get(f"/api/v1/manage/{outcome.manage_token}")).status_code for _ in range(29)]
    statuses.append((await put_picks(client, outcome.manage_token, [programme["morning"]])).status_code)
    limited = await put_picks(client, outcome.manage_token, [programme["visit"]])
    assert statuses == [200] * 30 and limited.status_code == 429
    assert limited.json()["error"]["code"] == "rate_limited"
    assert await picks_of(outcome.registration) == {programme["morning"]: "confirmed"}
    assert (await client.get("/api/v1/manage/unknown-token")).status_code == 429  # guesses count too
