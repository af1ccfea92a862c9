"""Core agenda service: drafts, publish diff, picks with capacity and waitlist."""

from __future__ import annotations

import pytest

from events_app.agenda.models import AgendaSession, PickStatus, SessionStatus
from events_app.agenda.picks import list_picks, set_session_picks
from events_app.agenda.schemas import SessionPatch
from events_app.agenda.service import cancel_session, load_agenda, publish_agenda, update_session
from events_app.errors import AgendaConflict, SessionFull, SessionOverlap
from events_app.notifications.models import OutboxMessage
from tests.agenda.conftest import at


async def test_publish_reports_added_moved_cancelled(conference, rooms, add_session):
    a = (await add_session(title="A", room="Room A")).draft
    b = (await add_session(title="B", room="Room B", start="12:00", end="13:00")).draft
    first = await publish_agenda(event=conference)
    assert [x["title"] for x in first.added] == ["A", "B"]
    await update_session(event=conference, session_id=a.id, patch=SessionPatch(starts_at=at(conference, 0, "14:00"), ends_at=at(conference, 0, "15:00")))
    await cancel_session(event=conference, session_id=b.id)
    row = await AgendaSession.get(id=a.id)
    assert row.starts_at == at(conference, 0, "10:00")  # still the published time until publish
    second = await publish_agenda(event=conference)
    assert [x["title"] for x in second.moved] == ["A"] and [x["title"] for x in second.cancelled] == ["B"]
    row = await AgendaSession.get(id=a.id)
    assert row.starts_at == at(conference, 0, "14:00") and row.ical_sequence == 1
    assert (await AgendaSession.get(id=b.id)).status == SessionStatus.CANCELLED


async def test_room_clash_refused_then_allowed(conference, rooms, add_session):
    first = (await add_session(title="First", room="Room A")).draft
    with pytest.raises(AgendaConflict) as info:
        await add_session(title="Second", room="Room A", start="10:30", end="11:30")
    assert info.value.details["conflicts"][0]["session"]["id"] == first.id
    stored = await add_session(title="Second", room="Room A", start="10:30", end="11:30", allow_conflicts=True)
    agenda = await load_agenda(event=conference)
    assert stored.draft.id in agenda.conflicts and first.id in agenda.conflicts


async def test_picks_capacity_waitlist_overlap(conference, rooms, add_session, register):
    visit = (await add_session(title="Visit", kind="site_visit", capacity=1, start="14:00", end="16:00")).draft
    clash = (await add_session(title="Clash", start="15:00", end="17:00")).draft
    await publish_agenda(event=conference)
    one = (await register(conference)).registration
    two = (await register(conference)).registration
    await set_session_picks(registration=one, session_ids=[visit.id])
    with pytest.raises(SessionFull):
        await set_session_picks(registration=two, session_ids=[visit.id], waitlist=False)
    outcome = await set_session_picks(registration=two, session_ids=[visit.id])
    assert outcome.picks[0].pick.status == PickStatus.WAITLISTED and outcome.picks[0].waitlist_position == 1
    with pytest.raises(SessionOverlap):
        await set_session_picks(registration=one, session_ids=[visit.id, clash.id])
    await set_session_picks(registration=one, session_ids=[])
    assert (await list_picks(registration=two))[0].pick.status == PickStatus.CONFIRMED
    kinds = await OutboxMessage.filter(kind__startswith="session").values_list("kind", flat=True)
    assert sorted(kinds) == ["session_picks", "session_picks", "session_picks", "session_promotion"]
