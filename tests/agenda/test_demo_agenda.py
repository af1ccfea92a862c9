"""The demo data gives EcoProcura 2027 a realistic, published, clash-free agenda."""

from __future__ import annotations

from collections import Counter

from events_app.agenda.models import (
    AgendaPublication,
    AgendaSession,
    PickStatus,
    SessionKind,
    SessionPick,
    SessionStatus,
)
from events_app.agenda.service import load_agenda
from events_app.demo.service import seed_demo
from events_app.events.models import Event


async def test_demo_conference_has_a_published_agenda_without_conflicts(settings):
    assert await seed_demo() is True
    event = await Event.get(slug="ecoprocura-2027")
    agenda = await load_agenda(event=event)

    assert agenda.conflicts == {}
    assert 30 <= len(agenda.drafts) <= 45
    assert all(d.status == SessionStatus.PUBLISHED and not d.has_pending for d in agenda.drafts)
    assert await AgendaPublication.filter(event_id=event.id).count() == 1
    assert {r.name: r.seats for r in agenda.rooms} == {
        "Plenary hall": 400, "Room Europa": 60, "Room Atomium": 40, "Room Manneken": 30,
    }
    assert len(agenda.tracks) == 4 and all(t.colour.startswith("#") for t in agenda.tracks)
    assert 15 <= len(agenda.speakers) <= 25
    assert all(s.organisation and s.country for s in agenda.speakers)

    zone = event.zone
    days = {d.starts_at.astimezone(zone).date() for d in agenda.drafts}
    assert len(days) == 3
    assert all(event.starts_at <= d.starts_at and d.ends_at.astimezone(zone).date() <= event.ends_at.astimezone(zone).date()
               for d in agenda.drafts)
    kinds = Counter(d.kind for d in agenda.drafts)
    assert kinds[SessionKind.PLENARY] >= 3 and kinds[SessionKind.WORKSHOP] >= 12 and kinds[SessionKind.BREAK] >= 3
    assert kinds[SessionKind.NETWORKING] >= 2

    visits = [d for d in agenda.drafts if d.kind == SessionKind.SITE_VISIT]
    assert len(visits) == 2 and all(v.capacity == 25 for v in visits)
    webinars = [d for d in agenda.drafts if d.kind == SessionKind.WEBINAR]
    assert len(webinars) == 1 and webinars[0].online_url.startswith("https://meet.example.org/")
    workshops = [d for d in agenda.drafts if d.kind == SessionKind.WORKSHOP]
    assert all(w.capacity and w.room_id and w.track_id and w.speaker_ids for w in workshops)

    # Some demo attendees have picked sessions; the seat counters agree with the picks
    picks = await SessionPick.filter(session__event_id=event.id, status=PickStatus.CONFIRMED)
    assert len({p.registration_id for p in picks}) >= 5
    per_session = Counter(p.session_id for p in picks)
    for session in await AgendaSession.filter(event_id=event.id):
        assert session.confirmed_count == per_session.get(session.id, 0)

    # Loading the demo again changes nothing
    assert await seed_demo() is False
    assert await AgendaSession.filter(event_id=event.id).count() == len(agenda.drafts)
