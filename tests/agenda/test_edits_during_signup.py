"""Organiser edits while attendees sign up; capacity and room-seat changes that would clash."""

from __future__ import annotations

import asyncio

import pytest

from events_app.agenda.models import AgendaSession, PickStatus, SessionPick
from events_app.agenda.picks import list_picks, set_session_picks
from events_app.agenda.schemas import RoomPatch, SessionPatch
from events_app.agenda.service import load_agenda, publish_agenda, update_room, update_session
from events_app.errors import AgendaConflict
from tests.agenda.conftest import at


@pytest.mark.postgres_only
async def test_edits_during_signups_never_overfill_a_session(conference, rooms, add_session, register):
    visit = (await add_session(title="Visit", kind="site_visit", capacity=10)).draft
    await publish_agenda(event=conference)
    people = [(await register(conference, email=f"p{n}@example.org")).registration for n in range(40)]

    async def edit(n: int) -> None:
        await update_session(event=conference, session_id=visit.id, patch=SessionPatch(title=f"Visit {n}"))

    async def publish() -> None:
        await publish_agenda(event=conference)

    jobs = [set_session_picks(registration=p, session_ids=[visit.id]) for p in people]
    jobs += [edit(n) for n in range(30)] + [publish() for _ in range(5)]
    results = await asyncio.gather(*jobs, return_exceptions=True)
    assert not [r for r in results if isinstance(r, Exception)]
    row = await AgendaSession.get(id=visit.id)
    confirmed = await SessionPick.filter(session_id=visit.id, status=PickStatus.CONFIRMED).count()
    waiting = await SessionPick.filter(session_id=visit.id, status=PickStatus.WAITLISTED).count()
    assert (confirmed, waiting) == (10, 30)
    assert (row.confirmed_count, row.waitlisted_count) == (10, 30)


async def test_capacity_below_places_taken_is_a_conflict(conference, rooms, add_session, register):
    visit = (await add_session(title="Visit", kind="site_visit", capacity=3, room="Room A")).draft
    await publish_agenda(event=conference)
    for _ in range(2):
        await set_session_picks(registration=(await register(conference)).registration, session_ids=[visit.id])
    with pytest.raises(AgendaConflict) as info:
        await update_session(event=conference, session_id=visit.id, patch=SessionPatch(capacity=1))
    assert info.value.details["conflicts"][0]["type"] == "below_places_taken"
    assert "below the 2 places" in info.value.message
    assert (await AgendaSession.get(id=visit.id)).pending is None  # nothing stored
    await update_session(event=conference, session_id=visit.id, patch=SessionPatch(capacity=1, allow_conflicts=True))
    agenda = await load_agenda(event=conference)
    assert [c["type"] for c in agenda.conflicts[visit.id]] == ["below_places_taken"]


async def test_fewer_room_seats_than_sessions_need_is_refused(conference, rooms, add_session):
    big = (await add_session(title="Big workshop", capacity=35, room="Room A")).draft
    with pytest.raises(AgendaConflict) as info:
        await update_room(event=conference, room_id=rooms["Room A"].id, patch=RoomPatch(seats=20))
    assert info.value.details["conflicts"][0]["session"]["id"] == big.id
    assert "20 seats" in info.value.message
    await rooms["Room A"].refresh_from_db()
    assert rooms["Room A"].seats == 40
    room = await update_room(event=conference, room_id=rooms["Room A"].id, patch=RoomPatch(seats=20, allow_conflicts=True))
    assert room.seats == 20
    agenda = await load_agenda(event=conference)
    assert [c["type"] for c in agenda.conflicts[big.id]] == ["over_room_capacity"]


async def test_promotion_skips_someone_who_would_be_in_two_places(conference, rooms, add_session, register):
    visit = (await add_session(title="Visit", kind="site_visit", capacity=1, start="14:00", end="16:00")).draft
    other = (await add_session(title="Other", kind="workshop", start="10:00", end="11:00")).draft
    await publish_agenda(event=conference)
    holder = (await register(conference)).registration
    waiting = (await register(conference)).registration
    later = (await register(conference)).registration
    await set_session_picks(registration=holder, session_ids=[visit.id])
    await set_session_picks(registration=waiting, session_ids=[visit.id, other.id])
    await set_session_picks(registration=later, session_ids=[visit.id])
    # The organiser moves the other workshop onto the visit's time: the first in line now clashes.
    await update_session(
        event=conference, session_id=other.id,
        patch=SessionPatch(starts_at=at(conference, 0, "15:00"), ends_at=at(conference, 0, "16:00")),
    )
    await publish_agenda(event=conference)
    await set_session_picks(registration=holder, session_ids=[])
    assert {v.session.id: v.pick.status for v in await list_picks(registration=waiting)}[visit.id] == PickStatus.WAITLISTED
    assert (await list_picks(registration=later))[0].pick.status == PickStatus.CONFIRMED
