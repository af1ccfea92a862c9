"""Valid request bodies to start from (tests change one thing at a time)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.conftest import future


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def event_body(**overrides: Any) -> dict[str, Any]:
    start = future(40)
    body: dict[str, Any] = {
        "slug": "green-procurement-forum",
        "title": "Green Procurement Forum",
        "kind": "conference",
        "description": "Two days on buying sustainably.",
        "timezone": "Europe/Brussels",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=8)).isoformat(),
        "is_online": False,
        "venue_name": "Résidence Palace",
        "venue_address": "Rue de la Loi 155, Brussels",
        "online_url": "",
        "capacity": 50,
        "registration_opens_at": None,
        "registration_closes_at": None,
        "status": "published",
    }
    body.update(overrides)
    return body


def person(n: int = 1, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": f"Anna Person{n}",
        "email": f"anna{n}@example.org",
        "organisation": "City of Ghent",
        "country": "BE",
        "consent": True,
    }
    body.update(overrides)
    return body
