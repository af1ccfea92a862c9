"""Fixtures for agenda tests: an event with rooms, speakers and a helper to add sessions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from events_app.agenda.models import Room, Speaker
from events_app.agenda.schemas import RoomInput, SessionInput, SpeakerInput
from events_app.agenda.service import SessionResult, create_room, create_session, create_speaker
from events_app.events.models import Event
from tests.conftest import EventFactory, future


@pytest.fixture
async def conference(make_event: EventFactory) -> Event:
    """A three-day conference (09:00 day 1 to 17:00 day 3, Brussels time)."""
    start = future(40, hour=8)
    return await make_event(
        kind="conference", capacity=400, starts_at=start, ends_at=start + timedelta(days=2, hours=8)
    )


@pytest.fixture
async def rooms(conference: Event) -> dict[str, Room]:
    return {
        name: await create_room(event=conference, data=RoomInput(name=name, seats=seats))
        for name, seats in (("Plenary hall", 400), ("Room A", 40), ("Room B", 25))
    }


@pytest.fixture
async def speakers(conference: Event) -> list[Speaker]:
    return [
        await create_speaker(event=conference, data=SpeakerInput(name=name, organisation=org, country=country))
        for name, org, country in (
            ("Ana Ruiz", "City of Barcelona", "ES"),
            ("Jan Peeters", "City of Ghent", "BE"),
            ("Eva Novak", "City of Ljubljana", "SI"),
        )
    ]


SessionFactory = Callable[..., Awaitable[SessionResult]]


@pytest.fixture
def add_session(conference: Event) -> SessionFactory:
    async def factory(day: int = 0, start: str = "10:00", end: str = "11:00", **overrides: Any) -> SessionResult:
        local = conference.local_start.replace(hour=0, minute=0) + timedelta(days=day)
        h1, m1 = map(int, start.split(":"))
        h2, m2 = map(int, end.split(":"))
        data: dict[str, Any] = {
            "title": overrides.pop("title", f"Session {start} day {day}"),
            "kind": "workshop",
            "starts_at": local.replace(hour=h1, minute=m1),
            "ends_at": local.replace(hour=h2, minute=m2),
        }
        data.update(overrides)
        return await create_session(event=conference, data=SessionInput(**data))

    return factory


def at(event: Event, day: int, hhmm: str) -> datetime:
    h, m = map(int, hhmm.split(":"))
    return (event.local_start.replace(hour=0, minute=0) + timedelta(days=day)).replace(hour=h, minute=m)
