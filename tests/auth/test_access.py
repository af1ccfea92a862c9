"""Who can reach what: organiser pages and API calls, and the private manage links."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.routing import Route
from tortoise import connections

from events_app.api.openapi import openapi_document
from events_app.auth.models import ApiToken, Role, User
from events_app.badges.tickets import ensure_ticket, ticket_code
from events_app.clock import utcnow
from events_app.events.models import Event
from events_app.registration.models import Registration
from tests.api.contract import contract_client
from tests.api.payloads import bearer, event_body
from tests.conftest import TABLES, csrf_of


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with contract_client(app) as c:
        yield c


async def snapshot() -> dict[str, list[str]]:
    conn = connections.get("default")
    out = {}
    for table in TABLES:
        if table == "user_session":
            continue  # signing in (the test's own setup) writes sessions
        rows = await conn.execute_query_dict(f"SELECT * FROM {table}")
        out[table] = sorted(repr(sorted(row.items())) for row in rows)
    return out


# --- organiser pages ------------------------------------------------------------------------


def _organiser_pages(app: Any, slug: str, registration_id: int) -> list[tuple[str, str]]:
    """(method, concrete path) of every route under /organiser, path parameters filled in."""
    pages = []
    for route in app.routes:
        if isinstance(route, Route) and route.path.startswith("/organiser"):
            path = re.sub(r"\{slug\}", slug, route.path)
            path = re.sub(r"\{(?:[a-z_]+_)?id(?::int)?\}", str(registration_id), path)
            assert "{" not in path, f"fill in the parameters of {route.path}"
            pages += [(m, path) for m in sorted(route.methods or ()) if m != "HEAD"]
    return pages


async def test_anonymous_is_sent_to_sign_in_from_every_organiser_page(client, app, make_event, register):
    event = await make_event()
    outcome = await register(event)
    pages = _organiser_pages(app, event.slug, outcome.registration.id)
    assert ("GET", "/organiser") in pages and len(pages) >= 2
    token = await csrf_of(client, "/")
    before = await snapshot()
    for method, path in pages:
        response = await client.request(method, path, data={"csrf_token": token, "capacity": "99"} if method == "POST" else None)
        assert response.status_code == 303, (method, path, response.status_code)
        assert response.headers["location"].startswith("/login"), (method, path)
    assert (await client.get("/organiser")).headers["location"] == "/login?next=/organiser"
    assert await snapshot() == before


async def test_checkin_account_gets_403_on_every_organiser_page(client, app, make_event, register, login):
    event = await make_event()
    outcome = await register(event)
    await login(client, Role.CHECKIN)
    token = await csrf_of(client, "/")
    before = await snapshot()
    for method, path in _organiser_pages(app, event.slug, outcome.registration.id):
        response = await client.request(method, path, data={"csrf_token": token, "capacity": "99"} if method == "POST" else None)
        assert response.status_code == 403, (method, path, response.status_code)
    assert await snapshot() == before
    assert (await Registration.get(id=outcome.registration.id)).status == "confirmed"


async def test_organiser_account_reaches_the_organiser_pages(client, make_event, login):
    await make_event(title="Visible to organisers")
    await login(client, Role.ORGANISER)
    response = await client.get("/organiser")
    assert response.status_code == 200 and "Visible to organisers" in response.text


# --- organiser API calls --------------------------------------------------------------------


def _organiser_operations() -> set[tuple[str, str]]:
    document = openapi_document()
    return {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and operation.get("security") == [{"bearerAuth": []}]
    }


def _api_calls(slug: str, registration_id: int) -> list[tuple[str, str, str, dict[str, Any] | None]]:
    """(method, documented path, concrete path, JSON body) of every organiser-only call."""
    return [
        ("POST", "/api/v1/events", "/api/v1/events", event_body(slug="made-by-intruder")),
        ("PATCH", "/api/v1/events/{slug}", f"/api/v1/events/{slug}", {"capacity": 99, "title": "Hijacked"}),
        ("GET", "/api/v1/events/{slug}/registrations", f"/api/v1/events/{slug}/registrations", None),
        ("POST", "/api/v1/registrations/{id}/cancel", f"/api/v1/registrations/{registration_id}/cancel", None),
        *_agenda_calls(slug),
        *_twinning_calls(),
        *_checkin_organiser_calls(slug, registration_id),
    ]


def _agenda_calls(slug: str) -> list[tuple[str, str, str, dict[str, Any] | None]]:
    base = "/api/v1/events/{slug}"
    room = {"name": "Hall", "seats": 10}
    session = {"title": "Intruder", "kind": "workshop", "starts_at": "2030-01-01T10:00:00+00:00", "ends_at": "2030-01-01T11:00:00+00:00"}
    calls = [
        ("GET", "/rooms", None), ("POST", "/rooms", room), ("PATCH", "/rooms/{id}", {"seats": 1}),
        ("GET", "/speakers", None), ("POST", "/speakers", {"name": "Intruder"}),
        ("GET", "/sessions", None), ("POST", "/sessions", session), ("GET", "/sessions/{id}", None),
        ("PATCH", "/sessions/{id}", {"title": "Hijacked"}), ("DELETE", "/sessions/{id}", None),
        ("POST", "/agenda/publish", None),
    ]
    return [
        (method, base + tail, (base + tail).replace("{slug}", slug).replace("{id}", "1"), body)
        for method, tail, body in calls
    ]


def _twinning_calls() -> list[tuple[str, str, str, dict[str, Any] | None]]:
    base = "/api/v1/twinning/rounds"
    round_ = {"title": "Intruder round", "mode": "peer", "deadline": "2030-01-01T10:00:00+00:00"}
    calls = [
        ("GET", "", None), ("POST", "", round_), ("GET", "/{id}", None), ("GET", "/{id}/requests", None),
        ("POST", "/{id}/match", {"pinned": [[1, 2]]}), ("GET", "/{id}/proposals", None),
        ("POST", "/{id}/publish", {"run": 1}),
    ]
    return [(method, base + tail, (base + tail).replace("{id}", "1"), body) for method, tail, body in calls]


def _checkin_organiser_calls(slug: str, registration_id: int) -> list[tuple[str, str, str, dict[str, Any] | None]]:
    base = "/api/v1/events/{slug}/checkin"
    scans = {"format": "events-app-checkin-scans/1", "event": slug, "desk": "intruder",
             "scans": [{"nonce": "intruder-1", "registration": registration_id, "scanned_at": "2030-01-01T10:00:00+00:00"}]}
    return [
        ("POST", "/api/v1/checkin/undo", "/api/v1/checkin/undo", {"event": slug, "registration": registration_id}),
        ("GET", base + "/offline-list", base.replace("{slug}", slug) + "/offline-list", None),
        ("POST", base + "/offline-scans", base.replace("{slug}", slug) + "/offline-scans", scans),
    ]


def _door_operations() -> set[tuple[str, str]]:
    """Operations a check-in account may call: their security names the role ``checkin``."""
    document = openapi_document()
    return {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and {"bearerAuth": ["checkin"]} in operation.get("security", [])
    }


async def _revoked_token(api_token) -> str:
    token = await api_token(Role.ORGANISER)
    await ApiToken.all().update(revoked_at=utcnow())
    return token


async def _inactive_user_token(api_token) -> str:
    token = await api_token(Role.ADMIN)
    await User.filter(role=Role.ADMIN).update(is_active=False)
    return token


@pytest.mark.parametrize(
    ("credential", "status"),
    [
        ("none", 401),
        ("basic", 401),
        ("empty-bearer", 401),
        ("wrong-token", 401),
        ("overlong-token", 401),
        ("revoked-token", 401),
        ("inactive-user-token", 401),
        ("organiser-session-cookie", 401),
        ("checkin-token", 403),
    ],
)
async def test_organiser_api_calls_refuse_without_an_organiser_token(
    credential, status, client, make_event, register, api_token, login
):
    event = await make_event(title="Original title", capacity=10)
    outcome = await register(event)
    headers: dict[str, str] = {}
    if credential == "basic":
        headers = {"Authorization": "Basic b3JnYW5pc2VyOnNlY3JldA=="}
    elif credential == "empty-bearer":
        headers = {"Authorization": "Bearer   "}
    elif credential == "wrong-token":
        headers = bearer("ea_" + "A" * 43)
    elif credential == "overlong-token":
        headers = bearer("ea_" + "A" * 5000)
    elif credential == "revoked-token":
        headers = bearer(await _revoked_token(api_token))
    elif credential == "inactive-user-token":
        headers = bearer(await _inactive_user_token(api_token))
    elif credential == "organiser-session-cookie":
        await login(client, Role.ORGANISER)  # a browser session must not work for the API (no CSRF there)
    elif credential == "checkin-token":
        headers = bearer(await api_token(Role.CHECKIN))

    calls = _api_calls(event.slug, outcome.registration.id)
    assert {(method, path) for method, path, _, _ in calls} == _organiser_operations()
    before = await snapshot()
    for method, _, path, body in calls:
        response = await client.request(method, path, json=body, headers=headers)
        assert response.status_code == status, (method, path, response.text)
        error = response.json()["error"]
        assert error["code"] == ("unauthorized" if status == 401 else "forbidden")
        assert "Person" not in response.text  # no registration data leaks into the refusal
    assert await snapshot() == before
    assert not await Event.filter(slug="made-by-intruder").exists()


@pytest.mark.parametrize(
    "credential", ["none", "basic", "empty-bearer", "wrong-token", "revoked-token", "inactive-user-token",
                   "checkin-session-cookie"],
)
async def test_door_api_calls_refuse_without_a_valid_token(credential, client, make_event, register, api_token, login):
    """Check-in and the door's numbers: 401 without a valid token, and no check-in happens."""
    event = await make_event(capacity=10)
    registration = await ensure_ticket((await register(event)).registration)
    headers: dict[str, str] = {}
    if credential == "basic":
        headers = {"Authorization": "Basic b3JnYW5pc2VyOnNlY3JldA=="}
    elif credential == "empty-bearer":
        headers = {"Authorization": "Bearer   "}
    elif credential == "wrong-token":
        headers = bearer("ea_" + "A" * 43)
    elif credential == "revoked-token":
        token = await api_token(Role.CHECKIN)
        await ApiToken.all().update(revoked_at=utcnow())
        headers = bearer(token)
    elif credential == "inactive-user-token":
        token = await api_token(Role.CHECKIN)
        await User.filter(role=Role.CHECKIN).update(is_active=False)
        headers = bearer(token)
    elif credential == "checkin-session-cookie":
        await login(client, Role.CHECKIN)
    calls = [
        ("POST", "/api/v1/checkin", "/api/v1/checkin", {"event": event.slug, "code": ticket_code(registration)}),
        ("GET", "/api/v1/events/{slug}/checkin/stats", f"/api/v1/events/{event.slug}/checkin/stats", None),
    ]
    assert {(method, path) for method, path, _, _ in calls} == _door_operations()
    before = await snapshot()
    for method, _, path, body in calls:
        response = await client.request(method, path, json=body, headers=headers)
        assert response.status_code == 401, (method, path, response.text)
        assert response.json()["error"]["code"] == "unauthorized"
        assert "Person" not in response.text
    assert await snapshot() == before


async def test_door_api_calls_accept_checkin_organiser_and_admin_tokens(client, make_event, register, api_token):
    event = await make_event(capacity=10)
    for n, role in enumerate((Role.CHECKIN, Role.ORGANISER, Role.ADMIN), start=1):
        headers = bearer(await api_token(role))
        registration = await ensure_ticket((await register(event)).registration)
        body = {"event": event.slug, "code": ticket_code(registration), "desk": role.value}
        scanned = await client.post("/api/v1/checkin", json=body, headers=headers)
        assert scanned.status_code == 200, scanned.text
        assert scanned.json()["status"] == "checked_in" and scanned.json()["desk"] == role.value
        stats = await client.get(f"/api/v1/events/{event.slug}/checkin/stats", headers=headers)
        assert stats.status_code == 200, stats.text
        assert (stats.json()["checked_in"], stats.json()["expected"]) == (n, n)


async def test_organiser_and_admin_tokens_are_accepted(client, make_event, register, api_token):
    event = await make_event(capacity=10)
    outcome = await register(event)
    for role in (Role.ORGANISER, Role.ADMIN):
        headers = bearer(await api_token(role))
        listed = await client.get(f"/api/v1/events/{event.slug}/registrations", headers=headers)
        assert listed.status_code == 200 and listed.json()["total"] == 1
    created = await client.post("/api/v1/events", json=event_body(slug="made-by-organiser"), headers=headers)
    assert created.status_code == 201
    cancelled = await client.post(f"/api/v1/registrations/{outcome.registration.id}/cancel", headers=headers)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"


# --- manage links ---------------------------------------------------------------------------


async def test_a_manage_link_shows_only_its_own_registration(client, make_event, register):
    event = await make_event(capacity=1)
    anna = await register(event, name="Anna Alvarez", email="anna.alvarez@example.org", organisation="Comune di Torino", country="IT")
    bruno = await register(event, name="Bruno Berger", email="bruno.berger@example.org", organisation="Stadt Wien", country="AT")
    assert anna.manage_token and bruno.manage_token
    for path in (f"/manage/{anna.manage_token}", f"/manage/{anna.manage_token}/confirmed"):
        page = await client.get(path)
        assert page.status_code == 200
        assert "Anna Alvarez" in page.text and "anna.alvarez@example.org" in page.text
        assert "Bruno Berger" not in page.text and "bruno.berger@example.org" not in page.text
        assert "Stadt Wien" not in page.text and bruno.manage_token not in page.text
        assert page.headers["cache-control"] == "no-store"
        assert page.headers["referrer-policy"] == "no-referrer"
    page = await client.get(f"/manage/{bruno.manage_token}")
    assert "Bruno Berger" in page.text and "Anna Alvarez" not in page.text

    # Saving through Anna's link changes Anna, never Bruno
    token = await csrf_of(client, f"/manage/{anna.manage_token}")
    response = await client.post(
        f"/manage/{anna.manage_token}",
        data={"csrf_token": token, "name": "Anna A. Alvarez", "job_title": "", "organisation": "Comune di Torino",
              "organisation_kind": "municipality", "country": "IT"},
    )
    assert response.status_code == 303
    assert (await Registration.get(id=anna.registration.id)).name == "Anna A. Alvarez"
    assert (await Registration.get(id=bruno.registration.id)).name == "Bruno Berger"


@pytest.mark.parametrize(
    "kind", ["random", "truncated", "extended", "case-changed", "nul", "overlong", "one-char", "non-ascii"]
)
async def test_wrong_or_malformed_manage_token_is_404(kind, client, make_event, register):
    event = await make_event()
    real = (await register(event, name="Real Person")).manage_token
    assert real
    bad = {
        "random": "Qx" * 21 + "Q",
        "truncated": real[:-1],
        "extended": real + "A",
        "case-changed": real.swapcase(),
        "nul": "%00",
        "overlong": "A" * 5000,
        "one-char": "x",
        "non-ascii": "r%C3%A9servation",
    }[kind]
    assert bad != real
    csrf = await csrf_of(client, "/")
    before = await snapshot()
    for method, path in [
        ("GET", f"/manage/{bad}"),
        ("GET", f"/manage/{bad}/confirmed"),
        ("POST", f"/manage/{bad}/cancel"),
        ("POST", f"/manage/{bad}"),
    ]:
        data = {"csrf_token": csrf, "name": "Intruder", "organisation": "X", "country": "BE"} if method == "POST" else None
        response = await client.request(method, path, data=data)
        assert response.status_code == 404, (method, path, response.status_code)
        assert "Real Person" not in response.text
    assert await snapshot() == before
