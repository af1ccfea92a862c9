"""Fixtures of the organiser page tests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from events_app.auth.models import Role


def csrf(client: httpx.AsyncClient) -> str:
    token = client.cookies.get("ea_csrf")
    assert token, "log in (or fetch a page) first: no CSRF cookie"
    return token


@pytest.fixture
def organiser(
    client: httpx.AsyncClient, login: Callable[..., Awaitable[Any]]
) -> Callable[..., Awaitable[httpx.AsyncClient]]:
    """Sign ``client`` in with the given role and return it."""

    async def sign_in(role: Role = Role.ORGANISER) -> httpx.AsyncClient:
        await login(client, role)
        return client

    return sign_in
