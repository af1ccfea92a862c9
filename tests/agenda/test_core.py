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


async def test_multi_pick_is_all_or_nothing(conference, rooms, add_session, register):
    free = (await add_session(title="Free", capacity=5, start="10:00", end="11:00")).draft
    full = (await add_session(title="Full", capacity=1, start="12:00", end="13:00")).draft
    await publish_agenda(event=conference)
    first = (await register(conference)).registration
    second = (await register(conference)).registration
    await set_session_picks(registration=first, session_ids=[full.id])
    with pytest.raises(SessionFull):
        await set_session_picks(registration=second, session_ids=[free.id, full.id], waitlist=False)
    assert await list_picks(registration=second) == []
    assert (await AgendaSession.get(id=free.id)).confirmed_count == 0


async def test_cancelling_the_registration_frees_the_seat_for_the_next(conference, rooms, add_session, register):
    from events_app.registration.service import cancel_registration

    visit = (await add_session(title="Visit", kind="site_visit", capacity=1)).draft
    await publish_agenda(event=conference)
    one = (await register(conference)).registration
    two = (await register(conference)).registration
    await set_session_picks(registration=one, session_ids=[visit.id])
    await set_session_picks(registration=two, session_ids=[visit.id])
    await cancel_registration(registration_id=one.id)
    assert (await list_picks(registration=one)) == []
    assert (await list_picks(registration=two))[0].pick.status == PickStatus.CONFIRMED
    row = await AgendaSession.get(id=visit.id)
    assert (row.confirmed_count, row.waitlisted_count) == (1, 0)


async def test_picking_again_bumps_the_calendar_sequence(conference, rooms, add_session, register):
    visit = (await add_session(title="Visit", kind="site_visit", capacity=3)).draft
    await publish_agenda(event=conference)
    person = (await register(conference)).registration
    await set_session_picks(registration=person, session_ids=[visit.id])
    await set_session_picks(registration=person, session_ids=[])
    outcome = await set_session_picks(registration=person, session_ids=[visit.id])
    assert outcome.picks[0].pick.ical_sequence == 2


async def test_drafts_cannot_be_picked_and_only_confirmed_people_pick(conference, rooms, add_session, register, make_event):
    from events_app.errors import Conflict, Invalid

    draft = (await add_session(title="Not yet", kind="site_visit", capacity=3)).draft
    person = (await register(conference)).registration
    with pytest.raises(Invalid):
        await set_session_picks(registration=person, session_ids=[draft.id])
    plenary = (await add_session(title="Opening", kind="plenary", start="09:00", end="09:30")).draft
    await publish_agenda(event=conference)
    with pytest.raises(Invalid):
        await set_session_picks(registration=person, session_ids=[plenary.id])
    small = await make_event(capacity=1)
    await register(small)
    waiting = (await register(small)).registration
    with pytest.raises(Conflict):
        await set_session_picks(registration=waiting, session_ids=[])


async def test_pending_changes_are_counted_and_can_be_discarded(conference, rooms, add_session):
    from events_app.agenda.service import discard_session_changes, unpublished_count

    a = (await add_session(title="A")).draft
    assert await unpublished_count(event=conference) == 1
    await publish_agenda(event=conference)
    assert await unpublished_count(event=conference) == 0
    await update_session(event=conference, session_id=a.id, patch=SessionPatch(title="A renamed"))
    assert await unpublished_count(event=conference) == 1
    # Changing it back to the published value leaves nothing pending.
    await update_session(event=conference, session_id=a.id, patch=SessionPatch(title="A"))
    assert await unpublished_count(event=conference) == 0
    await update_session(event=conference, session_id=a.id, patch=SessionPatch(title="A again"))
    await discard_session_changes(event=conference, session_id=a.id)
    assert await unpublished_count(event=conference) == 0
    summary = await publish_agenda(event=conference)
    assert summary.nothing_changed


async def test_publishing_a_capacity_raise_promotes_the_waitlist(conference, rooms, add_session, register):
    visit = (await add_session(title="Visit", kind="site_visit", capacity=1)).draft
    await publish_agenda(event=conference)
    one = (await register(conference)).registration
    two = (await register(conference)).registration
    await set_session_picks(registration=one, session_ids=[visit.id])
    await set_session_picks(registration=two, session_ids=[visit.id])
    await update_session(event=conference, session_id=visit.id, patch=SessionPatch(capacity=2))
    summary = await publish_agenda(event=conference)
    assert [c["title"] for c in summary.changed] == ["Visit"]
    assert (await list_picks(registration=two))[0].pick.status == PickStatus.CONFIRMED
