"""Bad input, across the JSON API and the HTML forms: always a 4xx, a clear message, nothing written.

Each row sends one bad request. The test snapshots every table before and after
(all rows, not just counts, so an UPDATE would show too) and asserts they are
equal, that the status is the expected 4xx, and that the answer names the
field (JSON ``error.fields`` or the form re-rendered with that field's error).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from tortoise import connections

from events_app.auth.models import Role
from events_app.events.models import EventStatus
from tests.api.contract import contract_client
from tests.api.payloads import bearer, event_body, person
from tests.conftest import PASSWORD, TABLES, csrf_of


@dataclass(frozen=True)
class World:
    slug: str
    manage_token: str
    api_token: str
    login_email: str


Send = Callable[[httpx.AsyncClient, World], Awaitable[httpx.Response]]


@dataclass(frozen=True)
class Case:
    id: str
    send: Send
    status: int
    field: str | None = None  # the field the answer must name
    text: str | None = None  # or a phrase the message must contain


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with contract_client(app) as c:
        yield c


@pytest.fixture
async def world(request, make_event, register, make_user, api_token) -> World:
    """Two events, one registration with its manage link; accounts only where a row needs one
    (argon2 hashing is deliberately slow)."""
    event = await make_event(slug="open-event", capacity=5)
    await make_event(slug="draft-event", status=EventStatus.DRAFT)
    outcome = await register(event, name="Existing Person", email="existing@example.org")
    assert outcome.manage_token
    kind = request.node.callspec.params["case"].id.split("-")[0]
    token = await api_token(Role.ORGANISER) if kind in {"event", "patch"} else "ea_unused"
    login_email = (await make_user(Role.ORGANISER)).email if kind == "login" else "unused@example.org"
    return World(event.slug, outcome.manage_token, token, login_email)


async def snapshot() -> dict[str, list[tuple[str, ...]]]:
    conn = connections.get("default")
    out = {}
    for table in TABLES:
        rows = await conn.execute_query_dict(f"SELECT * FROM {table}")
        out[table] = sorted(tuple(f"{k}={v!r}" for k, v in sorted(row.items())) for row in rows)
    return out


# --- ways of sending ------------------------------------------------------------------------


def api_register(body: Any = None, *, raw: bytes | None = None, content_type: str = "application/json", slug: str | None = None) -> Send:
    async def send(client: httpx.AsyncClient, w: World) -> httpx.Response:
        content = raw if raw is not None else json.dumps(body).encode()
        return await client.post(
            f"/api/v1/events/{slug or w.slug}/registrations", content=content, headers={"Content-Type": content_type}
        )

    return send


def api_create(body: Any = None, *, raw: bytes | None = None, token: bool = True) -> Send:
    async def send(client: httpx.AsyncClient, w: World) -> httpx.Response:
        content = raw if raw is not None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json", **(bearer(w.api_token) if token else {})}
        return await client.post("/api/v1/events", content=content, headers=headers)

    return send


def api_patch(body: Any, *, slug: str | None = None) -> Send:
    async def send(client: httpx.AsyncClient, w: World) -> httpx.Response:
        return await client.patch(f"/api/v1/events/{slug or w.slug}", json=body, headers=bearer(w.api_token))

    return send


def _form_person(**overrides: str) -> dict[str, str]:
    data = {"name": "Form Person", "email": "form@example.org", "job_title": "", "organisation": "Comune di Torino",
            "organisation_kind": "municipality", "country": "IT", "consent": "yes"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def form_register(data: dict[str, str], *, csrf: bool = True, slug: str | None = None) -> Send:
    async def send(client: httpx.AsyncClient, w: World) -> httpx.Response:
        token = await csrf_of(client, f"/events/{w.slug}")
        fields = {**data, **({"csrf_token": token} if csrf else {})}
        return await client.post(f"/events/{slug or w.slug}/register", data=fields)

    return send


def form_manage(data: dict[str, str], *, csrf: bool = True, token: str | None = None) -> Send:
    async def send(client: httpx.AsyncClient, w: World) -> httpx.Response:
        csrf_token = await csrf_of(client, f"/manage/{w.manage_token}")
        fields = {"name": "Existing Person", "job_title": "", "organisation": "City of Ghent",
                  "organisation_kind": "municipality", "country": "BE", **data}
        fields = {k: v for k, v in fields.items() if v is not None}
        if csrf:
            fields["csrf_token"] = csrf_token
        return await client.post(f"/manage/{token or w.manage_token}", data=fields)

    return send


def form_login(email: str | None = None, password: str = PASSWORD, *, csrf: bool = True) -> Send:
    async def send(client: httpx.AsyncClient, w: World) -> httpx.Response:
        csrf_token = await csrf_of(client, "/login")
        fields = {"email": w.login_email if email is None else email, "password": password}
        if csrf:
            fields["csrf_token"] = csrf_token
        return await client.post("/login", data=fields)

    return send


LONG = "x" * 121
NOT_OBJECT = "must be a JSON object"
FORM_EXPIRED = "This form has expired"
WRONG_LOGIN = "Wrong email or password"

CASES = [
    # JSON API: public registration
    Case("api-malformed-json", api_register(raw=b'{"name": "Anna", '), 400, text="not valid JSON"),
    Case("api-json-array", api_register([person()]), 400, text=NOT_OBJECT),
    Case("api-json-string", api_register("register me"), 400, text=NOT_OBJECT),
    Case("api-json-null", api_register(None), 400, text=NOT_OBJECT),
    Case("api-empty-body", api_register(raw=b""), 400, text="not valid JSON"),
    Case("api-invalid-utf8", api_register(raw=b'{"name": "\xff\xfe"}'), 400, text="not valid JSON"),
    Case("api-consent-yes-string", api_register(person(consent="yes")), 422, "consent"),
    Case("api-consent-false", api_register(person(consent=False)), 422, "consent"),
    Case("api-consent-missing", api_register({k: v for k, v in person().items() if k != "consent"}), 422, "consent"),
    Case("api-name-number", api_register(person(name=123)), 422, "name"),
    Case("api-name-null", api_register(person(name=None)), 422, "name"),
    Case("api-email-missing", api_register({k: v for k, v in person().items() if k != "email"}), 422, "email"),
    Case("api-name-empty", api_register(person(name="   ")), 422, "name"),
    Case("api-name-too-long", api_register(person(name=LONG)), 422, "name"),
    Case("api-email-too-long", api_register(person(email="a" * 250 + "@example.org")), 422, "email"),
    Case("api-organisation-too-long", api_register(person(organisation="O" * 201)), 422, "organisation"),
    Case("api-email-invalid", api_register(person(email="not-an-email")), 422, "email"),
    Case("api-email-two-ats", api_register(person(email="a@b@example.org")), 422, "email"),
    Case("api-name-nul", api_register(person(name="Anna\x00Person")), 422, "name"),
    Case("api-name-escape", api_register(person(name="Anna\x1b[31mPerson")), 422, "name"),
    Case("api-name-line-separator", api_register(person(name="Anna\u2028Person")), 422, "name"),
    Case("api-name-newline", api_register(person(name="Anna\nPerson")), 422, "name"),
    Case("api-country-xx", api_register(person(country="XX")), 422, "country"),
    Case("api-country-number", api_register(person(country=32)), 422, "country"),
    Case("api-organisation-kind-bogus", api_register(person(organisation_kind="castle")), 422, "organisation_kind"),
    Case("api-unknown-field", api_register(person(is_vip=True)), 422, "is_vip"),
    Case("api-unknown-slug", api_register(person(), slug="no-such-event"), 404, text="no-such-event"),
    Case("api-malformed-slug", api_register(person(), slug="Bad%20Slug%21"), 404, text="No event"),
    Case("api-nul-in-slug", api_register(person(), slug="open%00event"), 404, text="No event"),
    Case("api-draft-event", api_register(person(), slug="draft-event"), 404, text="draft-event"),
    Case("api-text-plain", api_register(raw=json.dumps(person()).encode(), content_type="text/plain"), 415, text="Content-Type"),
    Case("api-form-encoded", api_register(raw=b"name=Anna", content_type="application/x-www-form-urlencoded"), 415, text="JSON"),
    Case("api-latin1-charset", api_register(raw=json.dumps(person()).encode(), content_type="application/json; charset=latin-1"), 415, text="JSON"),
    Case("api-body-too-large", api_register(person(job_title="j" * 70_000)), 413, text="64 KiB"),
    Case("api-deep-nesting", api_register(raw=b"[" * 30_000 + b"]" * 30_000), 400, text="not valid JSON"),
    # JSON API: organiser event creation and change
    Case("event-capacity-lots", api_create(event_body(capacity="lots")), 422, "capacity"),
    Case("event-capacity-string-number", api_create(event_body(capacity="50")), 422, "capacity"),
    Case("event-capacity-float", api_create(event_body(capacity=12.5)), 422, "capacity"),
    Case("event-capacity-negative", api_create(event_body(capacity=-1)), 422, "capacity"),
    Case("event-capacity-huge", api_create(event_body(capacity=10**20)), 422, "capacity"),
    Case("event-is-online-string", api_create(event_body(is_online="true")), 422, "is_online"),
    Case("event-bad-timezone", api_create(event_body(timezone="Mars/Olympus_Mons")), 422, "timezone"),
    Case("event-ends-before-starts", api_create(event_body(starts_at="2031-06-02T09:00:00+02:00", ends_at="2031-06-02T08:00:00+02:00")), 422, "ends_at"),
    Case("event-naive-datetime", api_create(event_body(starts_at="2031-06-02T09:00:00")), 422, "starts_at"),
    Case("event-date-only", api_create(event_body(starts_at="2031-06-02")), 422, "starts_at"),
    Case("event-epoch-number", api_create(event_body(starts_at=1_900_000_000)), 422, "starts_at"),
    Case("event-year-overflow", api_create(event_body(starts_at="9999-12-31T23:00:00-05:00", ends_at="9999-12-31T23:30:00-05:00")), 422, "starts_at"),
    Case("event-duplicate-slug", api_create(event_body(slug="open-event")), 422, "slug"),
    Case("event-bad-slug", api_create(event_body(slug="Bad Slug!")), 422, "slug"),
    Case("event-title-missing", api_create({k: v for k, v in event_body().items() if k != "title"}), 422, "title"),
    Case("event-title-control", api_create(event_body(title="Forum\x07")), 422, "title"),
    Case("event-kind-bogus", api_create(event_body(kind="party")), 422, "kind"),
    Case("event-status-bogus", api_create(event_body(status="live")), 422, "status"),
    Case("event-online-url-http", api_create(event_body(is_online=True, online_url="http://meet.example.org")), 422, "online_url"),
    Case("event-no-venue", api_create(event_body(venue_name="", venue_address="")), 422, "venue_address"),
    Case("event-unknown-field", api_create(event_body(price=10)), 422, "price"),
    Case("event-json-array", api_create([event_body()]), 400, text=NOT_OBJECT),
    Case("event-no-token", api_create(event_body(), token=False), 401, text="Bearer"),
    Case("patch-capacity-negative", api_patch({"capacity": -5}), 422, "capacity"),
    Case("patch-capacity-null", api_patch({"capacity": None}), 422, "capacity"),
    Case("patch-slug-taken", api_patch({"slug": "draft-event"}), 422, "slug"),
    Case("patch-unknown-slug", api_patch({"capacity": 9}, slug="no-such-event"), 404, text="no-such-event"),
    Case("patch-unknown-field", api_patch({"seats": 9}), 422, "seats"),
    # HTML: public registration form
    Case("form-missing-csrf", form_register(_form_person(), csrf=False), 403, text=FORM_EXPIRED),
    Case("form-consent-missing", form_register(_form_person(consent=None)), 422, "consent"),
    Case("form-invalid-email", form_register(_form_person(email="form-at-example.org")), 422, "email"),
    Case("form-country-xx", form_register(_form_person(country="XX")), 422, "country"),
    Case("form-name-nul", form_register(_form_person(name="Form\x00Person")), 422, "name"),
    Case("form-name-escape", form_register(_form_person(name="Form\x1bPerson")), 422, "name"),
    Case("form-name-too-long", form_register(_form_person(name=LONG)), 422, "name"),
    Case("form-organisation-missing", form_register(_form_person(organisation=None)), 422, "organisation"),
    Case("form-kind-bogus", form_register(_form_person(organisation_kind="castle")), 422, "organisation_kind"),
    Case("form-unknown-slug", form_register(_form_person(), slug="no-such-event"), 404, text="No event called"),
    Case("form-nul-in-slug", form_register(_form_person(), slug="open%00event"), 404, text="No event called"),
    Case("form-overlong-slug", form_register(_form_person(), slug="e" * 5000), 404, text="No event called"),
    # HTML: manage-link details form
    Case("manage-name-empty", form_manage({"name": ""}), 422, "name"),
    Case("manage-country-xx", form_manage({"country": "XX"}), 422, "country"),
    Case("manage-organisation-control", form_manage({"organisation": "City\u2028of Ghent"}), 422, "organisation"),
    Case("manage-organisation-too-long", form_manage({"organisation": "O" * 201}), 422, "organisation"),
    Case("manage-missing-csrf", form_manage({"name": "Changed Name"}, csrf=False), 403, text=FORM_EXPIRED),
    Case("manage-wrong-token", form_manage({"name": "Changed Name"}, token="A" * 43), 404, text="not valid"),
    # HTML: login form
    Case("login-wrong-password", form_login(password="wrong password!"), 401, text=WRONG_LOGIN),
    Case("login-unknown-email", form_login("nobody@example.org"), 401, text=WRONG_LOGIN),
    Case("login-email-nul", form_login("organiser\x00@example.org"), 401, text=WRONG_LOGIN),
    Case("login-email-huge", form_login("e" * 10_000 + "@example.org"), 401, text=WRONG_LOGIN),
    Case("login-missing-csrf", form_login(csrf=False), 403, text=FORM_EXPIRED),
]


def test_the_table_is_broad():
    assert len(CASES) >= 30
    assert len({c.id for c in CASES}) == len(CASES)
    kinds = {c.id.split("-")[0] for c in CASES}
    assert {"api", "event", "patch", "form", "manage", "login"} <= kinds


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
async def test_bad_input_is_refused_and_nothing_is_written(case: Case, client, world: World):
    before = await snapshot()
    response = await case.send(client, world)
    after = await snapshot()

    assert response.status_code == case.status, response.text[:2000]
    assert 400 <= response.status_code < 500
    changed = [table for table in before if before[table] != after[table]]
    assert not changed, f"bad input changed {changed}"

    if response.headers["content-type"].startswith("application/json"):
        error = response.json()["error"]
        assert error["code"] and error["message"]
        if case.field:
            assert case.field in error["fields"], error
            assert error["fields"][case.field]
    else:
        page = response.text
        assert "<html" in page.lower()
        if case.field:
            assert f'id="f-{case.field}-error"' in page, page[:3000]
    if case.text:
        assert case.text in response.text, response.text[:2000]
