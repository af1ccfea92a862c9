"""Shared fixtures. The suite runs once per database: TEST_DB=sqlite (default) or TEST_DB=postgres.

PostgreSQL: a throwaway database on the server named by TEST_DATABASE_URL
(default postgres://postgres@127.0.0.1:5432/postgres), created and migrated at
session start, dropped at the end. Where no server answers, every test is
skipped with a loud banner, unless REQUIRE_POSTGRES=1, which fails the run.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from tortoise import connections

from events_app import db
from events_app.auth.models import Role, User
from events_app.auth.service import create_api_token, create_user
from events_app.clock import utcnow
from events_app.events.models import Event, EventKind, EventStatus
from events_app.events.schemas import EventInput
from events_app.events.service import create_event, forget_events
from events_app.main import create_app
from events_app.organisations.service import forget_organisations
from events_app.registration.schemas import RegistrationInput
from events_app.registration.service import RegistrationOutcome, register_attendee
from events_app.settings import Settings, SmtpConfig, configure_settings

TEST_DB = os.environ.get("TEST_DB", "sqlite")
PG_SERVER_URL = os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REQUIRE_POSTGRES = os.environ.get("REQUIRE_POSTGRES") == "1"
PASSWORD = "correct horse battery staple"
TABLES = [
    "checkin_log", "checkin", "badge_job", "badge_settings",
    "twinning", "twinning_match_run", "twinning_request_link", "twinning_request", "twinning_round",
    "authority_contact", "authority_profile", "twinning_interest_group", "twinning_topic",
    "agenda_pick", "agenda_publication", "agenda_session", "agenda_speaker", "agenda_track", "agenda_room",
    "outbox_message", "manage_link", "registration", "organisation", "event", "api_token", "user_session", "app_user"]


def _pg_reachable() -> str | None:
    parts = urlsplit(PG_SERVER_URL)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432), timeout=2):
            return None
    except OSError as exc:
        return str(exc)


_PG_PROBLEM = _pg_reachable() if TEST_DB == "postgres" else None


def pytest_configure(config: pytest.Config) -> None:
    if TEST_DB == "postgres" and _PG_PROBLEM and REQUIRE_POSTGRES:
        raise pytest.UsageError(
            f"REQUIRE_POSTGRES=1 but no PostgreSQL answers at {PG_SERVER_URL}: {_PG_PROBLEM}"
        )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if TEST_DB == "postgres" and _PG_PROBLEM:
        skip = pytest.mark.skip(reason=f"PostgreSQL not reachable at {PG_SERVER_URL}")
        for item in items:
            item.add_marker(skip)
    elif TEST_DB != "postgres":
        skip = pytest.mark.skip(reason="needs PostgreSQL (runs in the TEST_DB=postgres pass)")
        for item in items:
            if "postgres_only" in item.keywords:
                item.add_marker(skip)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if TEST_DB == "postgres" and _PG_PROBLEM:
        line = "!" * 78
        terminalreporter.write_line(line, red=True, bold=True)
        terminalreporter.write_line(
            f"POSTGRESQL TESTS WERE SKIPPED: no server at {PG_SERVER_URL} ({_PG_PROBLEM}).", red=True, bold=True
        )
        terminalreporter.write_line("Set REQUIRE_POSTGRES=1 to make this a failure.", red=True, bold=True)
        terminalreporter.write_line(line, red=True, bold=True)


def _db_url(base: str, name: str) -> str:
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


async def _admin_execute(sql: str) -> None:
    import asyncpg

    parts = urlsplit(PG_SERVER_URL)
    conn = await asyncpg.connect(
        host=parts.hostname, port=parts.port or 5432, user=parts.username or "postgres",
        password=parts.password, database=parts.path.strip("/") or "postgres",
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def tmp_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("events_app")


@pytest.fixture(scope="session")
async def database_url(tmp_root: Path) -> AsyncIterator[str]:
    """A migrated, empty database for the whole session (migrations create the schema)."""
    if TEST_DB == "postgres":
        name = f"events_test_{uuid.uuid4().hex[:12]}"
        await _admin_execute(f'CREATE DATABASE "{name}"')
        url = _db_url(PG_SERVER_URL, name)
    else:
        name = ""
        url = f"sqlite://{tmp_root / 'test.sqlite3'}"
    try:
        await db.migrate_db(url)
        await db.init_db(url)
        yield url
    finally:
        await connections.close_all()
        if name:
            await _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def settings(tmp_root: Path, database_url: str) -> Settings:
    return configure_settings(
        Settings(
            database_url=database_url,
            secret_key="test-secret-key-" + "x" * 40,
            base_url="http://testserver",
            smtp=SmtpConfig("file", "", 0, None, None, tmp_root / "mail"),
            rate_limit=None,
            mail_from="events@testserver",
            var_dir=tmp_root,
            privacy_version="test-1",
        )
    )


@pytest.fixture(autouse=True)
async def clean_db(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """Empty every table after each test that used the database."""
    yield
    if "database_url" not in request.fixturenames:
        return
    forget_organisations()
    forget_events()
    conn = connections.get("default")
    if TEST_DB == "postgres":
        await conn.execute_script(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
    else:
        for table in TABLES:
            await conn.execute_script(f"DELETE FROM {table}")


@pytest.fixture(autouse=True)
def no_outside_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any test that would reach a host outside this machine."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        if isinstance(address, tuple):
            host = str(address[0])
            if not (host.startswith("127.") or host in {"::1", "localhost"}):
                raise RuntimeError(f"test tried to reach {host}: tests must stay on this machine")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture
def app(settings: Settings) -> Any:
    return create_app(settings, manage_db=False)


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


def future(days: float = 30, hour: int = 9) -> datetime:
    return (utcnow() + timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)


EventFactory = Callable[..., Awaitable[Event]]


@pytest.fixture
def make_event(settings: Settings) -> EventFactory:
    counter = iter(range(1, 10_000))

    async def factory(**overrides: Any) -> Event:
        n = next(counter)
        start = overrides.pop("starts_at", future(30))
        data: dict[str, Any] = {
            "slug": f"event-{n}",
            "title": f"Test event {n}",
            "kind": EventKind.SEMINAR,
            "description": "A test event.",
            "timezone": "Europe/Brussels",
            "starts_at": start,
            "ends_at": start + timedelta(hours=8),
            "venue_name": "Test venue",
            "venue_address": "Rue de la Loi 1, Brussels",
            "capacity": 10,
            "status": EventStatus.PUBLISHED,
        }
        data.update(overrides)
        return await create_event(data=EventInput(**data))

    return factory


RegisterFactory = Callable[..., Awaitable[RegistrationOutcome]]


@pytest.fixture
def register(settings: Settings) -> RegisterFactory:
    counter = iter(range(1, 100_000))

    async def factory(event: Event, **overrides: Any) -> RegistrationOutcome:
        n = next(counter)
        data = {
            "name": f"Person {n}",
            "email": f"person{n}@example.org",
            "job_title": "Buyer",
            "organisation": "City of Ghent",
            "organisation_kind": "municipality",
            "country": "BE",
            "consent": True,
        }
        data.update(overrides)
        return await register_attendee(slug=event.slug, data=RegistrationInput(**data))

    return factory


UserFactory = Callable[..., Awaitable[User]]


@pytest.fixture
def make_user(settings: Settings) -> UserFactory:
    counter = iter(range(1, 10_000))

    async def factory(role: Role = Role.ORGANISER, **overrides: Any) -> User:
        email = overrides.pop("email", f"{role.value}{next(counter)}@example.org")
        return await create_user(email=email, password=PASSWORD, role=role)

    return factory


@pytest.fixture
def api_token(make_user: UserFactory) -> Callable[..., Awaitable[str]]:
    async def factory(role: Role = Role.ORGANISER) -> str:
        user = await make_user(role)
        return await create_api_token(email=user.email)

    return factory


async def csrf_of(client: httpx.AsyncClient, path: str = "/") -> str:
    """Fetch a page so the CSRF cookie is set; return the token to send back."""
    await client.get(path)
    token = client.cookies.get("ea_csrf")
    assert token, "the CSRF cookie was not set"
    return token


@pytest.fixture
def login(make_user: UserFactory) -> Callable[..., Awaitable[User]]:
    async def do_login(client: httpx.AsyncClient, role: Role = Role.ORGANISER) -> User:
        user = await make_user(role)
        token = await csrf_of(client, "/login")
        response = await client.post(
            "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
        )
        assert response.status_code == 303, response.text
        return user

    return do_login


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])

