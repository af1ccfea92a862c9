"""Fixtures of the check-in tests: tickets, door and organiser tokens, an OpenAPI-checked client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from tortoise import connections

from events_app.auth.models import Role
from events_app.badges.tickets import ensure_ticket, ticket_code
from events_app.events.models import Event
from events_app.registration.models import Registration
from tests.api.contract import contract_client
from tests.api.payloads import bearer
from tests.registration.conftest import app_servers, pytest_runtest_makereport  # noqa: F401  (fixture, hook)

CHECKIN_TABLES = ["checkin", "checkin_log", "registration"]

Ticketed = Callable[..., Awaitable[tuple[Registration, str]]]


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """Every API answer is checked against the OpenAPI document."""
    async with contract_client(app) as c:
        yield c


@pytest.fixture
async def door(api_token) -> dict[str, str]:
    """Authorization header of a check-in account (the door team's role)."""
    return bearer(await api_token(Role.CHECKIN))


@pytest.fixture
async def organiser(api_token) -> dict[str, str]:
    return bearer(await api_token(Role.ORGANISER))


@pytest.fixture
def ticketed(register) -> Ticketed:
    """Register someone at ``event`` and give them a ticket: (registration, code)."""

    async def factory(event: Event, **overrides: Any) -> tuple[Registration, str]:
        registration = (await register(event, **overrides)).registration
        registration = await ensure_ticket(registration)
        return registration, ticket_code(registration)

    return factory


async def snapshot(tables: list[str] = CHECKIN_TABLES) -> dict[str, list[str]]:
    """Every row of ``tables``, to compare before and after."""
    conn = connections.get("default")
    out = {}
    for table in tables:
        rows = await conn.execute_query_dict(f"SELECT * FROM {table}")
        out[table] = sorted(repr(sorted(row.items())) for row in rows)
    return out
