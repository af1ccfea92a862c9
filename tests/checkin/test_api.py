"""POST /api/v1/checkin and its neighbours (undo, numbers) over the ASGI app.

Every answer is checked against the OpenAPI document (tests/api/contract.py). The result of a
scan is decided on the server: checked in, already checked in (with the first time and desk),
or a 4xx with the refusal's code; never a 200 for a code that is not a live ticket.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from events_app.auth.models import Role
from events_app.badges.tickets import new_secret, reissue_ticket
from events_app.checkin.models import CheckIn, CheckInLog
from events_app.ratelimit import RateLimiter
from events_app.registration.models import Registration, RegistrationStatus
from events_app.registration.service import cancel_registration
from events_app.settings import RateLimit
from tests.api.payloads import bearer
from tests.checkin.conftest import snapshot

URL = "/api/v1/checkin"


def scan(event: Any, code: str, desk: str = "Main door") -> dict[str, str]:
    return {"event": event.slug, "code": code, "desk": desk}


# --- the happy path --------------------------------------------------------------------------


async def test_scan_checks_in_then_repeats_say_already(client, make_event, ticketed, door, api_token):
    event = await make_event(capacity=5, timezone="Europe/Athens")
    registration, code = await ticketed(event, name="Ελένη Παπαδοπούλου", organisation="Δήμος Αθηναίων",
                                        country="GR")
    first = await client.post(URL, json=scan(event, code, "Door A"), headers=door)
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["status"] == "checked_in" and body["desk"] == "Door A"
    assert body["registration"] == {
        "id": registration.id, "name": "Ελένη Παπαδοπούλου", "organisation": "Δήμος Αθηναίων", "country": "GR",
        "badge_role": "participant", "status": "confirmed",
    }
    checked_in_at = datetime.fromisoformat(body["checked_in_at"])
    assert checked_in_at.utcoffset() == checked_in_at.astimezone(event.zone).utcoffset()  # the event's zone

    # the same ticket again, at another desk, typed in lower case with spaces: the first check-in's time and desk
    for variant in (code, code.lower(), f"  {code[:10]} {code[10:]}\n"):
        again = await client.post(URL, json=scan(event, variant, "Door B"), headers=door)
        assert again.status_code == 200, again.text
        assert again.json()["status"] == "already_checked_in"
        assert again.json()["desk"] == "Door A" and again.json()["checked_in_at"] == body["checked_in_at"]
        assert again.json()["registration"]["id"] == registration.id

    rows = await CheckIn.filter(event_id=event.id)
    assert len(rows) == 1 and rows[0].source == "api" and rows[0].desk == "Door A"
    assert [a for (a,) in await CheckInLog.filter(event_id=event.id).order_by("id").values_list("action")] == [
        "checked_in", "already_checked_in", "already_checked_in", "already_checked_in"]

    # a check-in account, an organiser and an admin may all scan; the numbers follow
    other, other_code = await ticketed(event)
    organiser = bearer(await api_token(Role.ORGANISER))
    assert (await client.post(URL, json=scan(event, other_code), headers=organiser)).json()["status"] == "checked_in"
    stats = await client.get(f"/api/v1/events/{event.slug}/checkin/stats", headers=door)
    assert stats.status_code == 200 and stats.headers["cache-control"] == "no-store"
    numbers = stats.json()
    assert (numbers["event"], numbers["checked_in"], numbers["expected"], numbers["percent"]) == (event.slug, 2, 2, 100)
    assert len(numbers["per_hour"]) == 12 and sum(h["count"] for h in numbers["per_hour"]) == 2
    assert numbers["per_hour"][-1]["count"] == 2  # this hour


async def test_desk_name_is_optional_and_tidied(client, make_event, ticketed, door):
    event = await make_event()
    _, code = await ticketed(event)
    response = await client.post(URL, json={"event": event.slug, "code": code}, headers=door)
    assert response.status_code == 200 and response.json()["desk"] == ""
    _, code = await ticketed(event)
    response = await client.post(URL, json=scan(event, code, "  North   hall  "), headers=door)
    assert response.json()["desk"] == "North hall"


# --- every refusal ---------------------------------------------------------------------------


async def _refusals(make_event, ticketed) -> tuple[Any, list[tuple[str, str, int, str]]]:
    event = await make_event(capacity=10)
    other_event = await make_event(capacity=10)
    _, other_code = await ticketed(other_event)
    cancelled, cancelled_code = await ticketed(event)
    await cancel_registration(registration_id=cancelled.id)
    replaced, replaced_code = await ticketed(event)
    await reissue_ticket(replaced)
    waiting, _ = await ticketed(event)
    waiting_secret = new_secret()  # a ticket on a registration moved back to the waitlist (not a normal path)
    await Registration.filter(id=waiting.id).update(status=RegistrationStatus.WAITLISTED, ticket_secret=waiting_secret)
    cases = [
        ("unknown well-formed", "EA1-" + new_secret(), 404, "ticket_not_valid"),
        ("malformed", "hello", 404, "ticket_not_valid"),
        ("a URL", "https://example.org/t/" + replaced_code, 404, "ticket_not_valid"),
        ("empty after spaces", "   ", 404, "ticket_not_valid"),
        ("replaced", replaced_code, 404, "ticket_not_valid"),
        ("cancelled", cancelled_code, 409, "ticket_cancelled"),
        ("cancelled, lower case", cancelled_code.lower(), 409, "ticket_cancelled"),
        ("other event", other_code, 409, "wrong_event"),
        ("waitlisted", "EA1-" + waiting_secret, 409, "not_confirmed"),
    ]
    return event, cases


async def test_every_refusal_is_a_4xx_with_its_code(client, make_event, ticketed, door):
    event, cases = await _refusals(make_event, ticketed)
    for name, code, status, error in cases:
        response = await client.post(URL, json=scan(event, code), headers=door)
        assert response.status_code == status, (name, response.text)
        assert response.json()["error"]["code"] == error, name
    unknown = await client.post(URL, json={"event": "no-such-event", "code": cases[0][1]}, headers=door)
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"

    assert await CheckIn.all().count() == 0
    logged = await CheckInLog.all().order_by("id").values_list("action", "reason")
    assert logged == [("refused", error) for _, _, _, error in cases]


async def test_a_cancelled_person_who_registers_again_gets_a_new_ticket(client, make_event, ticketed, register, door):
    event = await make_event(capacity=10)
    registration, old_code = await ticketed(event, email="back.again@example.org")
    await cancel_registration(registration_id=registration.id)
    await register(event, email="back.again@example.org")  # confirmed again: the old ticket stays dead
    _, new_code = await ticketed(event, email="back.again@example.org")
    assert new_code != old_code
    old = await client.post(URL, json=scan(event, old_code), headers=door)
    assert old.status_code == 404 and old.json()["error"]["code"] == "ticket_not_valid"
    new = await client.post(URL, json=scan(event, new_code), headers=door)
    assert new.status_code == 200 and new.json()["registration"]["id"] == registration.id


# --- who may scan ------------------------------------------------------------------------------


async def test_anonymous_and_bad_tokens_are_401_and_nothing_happens(client, make_event, ticketed, api_token):
    event = await make_event()
    _, code = await ticketed(event)
    before = await snapshot()
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic eDp5"}):
        response = await client.post(URL, json=scan(event, code), headers=headers)
        assert response.status_code == 401 and response.json()["error"]["code"] == "unauthorized"
        assert "Person" not in response.text
    assert await snapshot() == before


# --- undo --------------------------------------------------------------------------------------


async def test_organiser_undoes_a_check_in_and_the_person_can_scan_again(client, make_event, ticketed, door,
                                                                         organiser):
    event = await make_event()
    registration, code = await ticketed(event)
    await client.post(URL, json=scan(event, code), headers=door)
    body = {"event": event.slug, "registration": registration.id}

    refused = await client.post(f"{URL}/undo", json=body, headers=door)  # the door team may not undo
    assert refused.status_code == 403 and await CheckIn.all().count() == 1

    undone = await client.post(f"{URL}/undo", json=body, headers=organiser)
    assert undone.status_code == 200, undone.text
    assert undone.json()["status"] == "undone" and undone.json()["registration"]["id"] == registration.id
    assert await CheckIn.all().count() == 0

    twice = await client.post(f"{URL}/undo", json=body, headers=organiser)
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "conflict"
    again = await client.post(URL, json=scan(event, code, "Door C"), headers=door)
    assert again.json()["status"] == "checked_in" and again.json()["desk"] == "Door C"

    other_event = await make_event()
    elsewhere = await client.post(f"{URL}/undo", json={"event": other_event.slug, "registration": registration.id},
                                  headers=organiser)
    assert elsewhere.status_code == 404
    actions = await CheckInLog.all().order_by("id").values_list("action", flat=True)
    assert actions == ["checked_in", "undone", "checked_in"]


# --- rate limit ----------------------------------------------------------------------------


async def test_scans_are_rate_limited_per_account(client, app, make_event, ticketed, api_token):
    app.state.limiter = RateLimiter(RateLimit(1, 60))  # 1 a minute -> 60 scans a minute per account
    event = await make_event()
    _, code = await ticketed(event)
    first, second = bearer(await api_token(Role.CHECKIN)), bearer(await api_token(Role.CHECKIN))
    for _ in range(60):
        assert (await client.post(URL, json=scan(event, code), headers=first)).status_code == 200
    limited = await client.post(URL, json=scan(event, code), headers=first)
    assert limited.status_code == 429, limited.text
    assert limited.json()["error"]["code"] == "rate_limited" and limited.headers["retry-after"] == "60"
    # another account at the next desk (same address) scans on
    assert (await client.post(URL, json=scan(event, code), headers=second)).status_code == 200
    assert await CheckInLog.all().count() == 61  # the refused request never reached the service


# --- bad input ---------------------------------------------------------------------------------


def _bad_inputs(slug: str, code: str) -> list[tuple[str, Any, int, str | None]]:
    """(name, body or raw bytes, status, field named in the error)."""
    good = {"event": slug, "code": code, "desk": "Door"}
    return [
        ("not JSON", b"{event: 1", 400, None),
        ("an array", b"[]", 400, None),
        ("missing event", {"code": code}, 422, "event"),
        ("missing code", {"event": slug}, 422, "code"),
        ("code is a number", {**good, "code": 12345}, 422, "code"),
        ("code is null", {**good, "code": None}, 422, "code"),
        ("code is empty", {**good, "code": ""}, 422, "code"),
        ("code is huge", {**good, "code": code + "A" * 500}, 422, "code"),
        ("event is not a slug", {**good, "event": "Not A Slug"}, 422, "event"),
        ("event is a list", {**good, "event": [slug]}, 422, "event"),
        ("desk too long", {**good, "desk": "D" * 61}, 422, "desk"),
        ("desk with a control character", {**good, "desk": "Door\x07"}, 422, "desk"),
        ("unknown field", {**good, "status": "checked_in"}, 422, "status"),
    ]


async def test_bad_input_is_a_4xx_naming_the_field_and_nothing_is_written(client, make_event, ticketed, door):
    event = await make_event()
    _, code = await ticketed(event)
    before = await snapshot()
    for name, body, status, field in _bad_inputs(event.slug, code):
        if isinstance(body, bytes):
            response = await client.post(URL, content=body, headers={**door, "Content-Type": "application/json"})
        else:
            response = await client.post(URL, json=body, headers=door)
        assert response.status_code == status, (name, response.text)
        if field:
            assert field in response.json()["error"]["fields"], (name, response.text)
    wrong_type = await client.post(URL, content=b"event=x", headers={**door, "Content-Type": "text/plain"})
    assert wrong_type.status_code == 415
    huge = await client.post(URL, content=b'{"event": "' + b"x" * 70_000 + b'"}',
                             headers={**door, "Content-Type": "application/json"})
    assert huge.status_code == 413
    assert await snapshot() == before


@pytest.mark.parametrize("path", ["/api/v1/events/NO/checkin/stats", "/api/v1/events/no-such/checkin/stats"])
async def test_numbers_of_an_unknown_event_are_404(client, door, path):
    response = await client.get(path, headers=door)
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
