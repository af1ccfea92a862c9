"""The conflict finder: each kind of clash, and what is not a clash."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from events_app.agenda.conflicts import EventFrame, Slot, find_all_conflicts, find_conflicts

DAY = datetime(2027, 5, 11, 7, 0, tzinfo=UTC)  # 09:00 in Brussels (CEST)
FRAME = EventFrame(
    starts_at=DAY, ends_at=DAY + timedelta(days=2, hours=8), timezone="Europe/Brussels",
    rooms={1: ("Room A", 40), 2: ("Room B", 25)}, speakers={7: "Ana Ruiz", 8: "Jan Peeters"},
)


def slot(id_: int | None, start_h: float, end_h: float, room: int | None = None, speakers=(), capacity=None, cancelled=False, day=0):
    base = DAY + timedelta(days=day)
    return Slot(id_, f"S{id_}", base + timedelta(hours=start_h), base + timedelta(hours=end_h), room, tuple(speakers), capacity, cancelled)


def kinds(found):
    return sorted(c["type"] for c in found)


def test_room_clash_names_the_other_session():
    found = find_conflicts(slot(None, 1, 2, room=1), [slot(5, 1.5, 3, room=1)], FRAME)
    assert kinds(found) == ["room_clash"]
    assert found[0]["session"]["id"] == 5 and "S5" in found[0]["message"] and "Room A" in found[0]["message"]


def test_touching_sessions_and_other_rooms_do_not_clash():
    others = [slot(5, 2, 3, room=1), slot(6, 1, 2, room=2), slot(7, 0, 1, room=1)]
    assert find_conflicts(slot(None, 1, 2, room=1), others, FRAME) == []


def test_speaker_clash_across_rooms():
    found = find_conflicts(slot(None, 1, 2, room=1, speakers=[7, 8]), [slot(5, 1, 2, room=2, speakers=[8])], FRAME)
    assert kinds(found) == ["speaker_clash"] and found[0]["speaker"]["name"] == "Jan Peeters"


def test_outside_the_event_dates_in_its_time_zone():
    # 23:30 UTC on the last day is already the next day in Brussels.
    late = Slot(None, "Late", DAY + timedelta(days=2, hours=16, minutes=30), DAY + timedelta(days=2, hours=17), None, (), None)
    assert kinds(find_conflicts(late, [], FRAME)) == ["outside_event"]
    assert find_conflicts(slot(None, -1, 0), [], FRAME) == []  # 08:00 on day one: early but inside the dates
    assert kinds(find_conflicts(slot(None, 1, 2, day=-1), [], FRAME)) == ["outside_event"]


def test_capacity_above_room_seats():
    found = find_conflicts(slot(None, 1, 2, room=2, capacity=30), [], FRAME)
    assert kinds(found) == ["over_room_capacity"] and found[0]["room"]["seats"] == 25
    assert find_conflicts(slot(None, 1, 2, room=2, capacity=25), [], FRAME) == []


def test_cancelled_sessions_clash_with_nothing():
    assert find_conflicts(slot(None, 1, 2, room=1), [slot(5, 1, 2, room=1, cancelled=True)], FRAME) == []
    assert find_conflicts(slot(None, 1, 2, room=1, cancelled=True), [slot(5, 1, 2, room=1)], FRAME) == []


def test_whole_agenda_sweep_matches_pairwise_check():
    slots = [
        slot(1, 0, 2, room=1, speakers=[7]), slot(2, 1, 3, room=1), slot(3, 1.5, 2.5, room=2, speakers=[7]),
        slot(4, 3, 4, room=1), slot(5, 0, 8, room=2, capacity=30), slot(6, 9, 10, day=3),
    ]
    everything = find_all_conflicts(slots, FRAME)
    for s in slots:
        expected = find_conflicts(s, slots, FRAME)
        assert sorted(map(str, everything.get(s.id, []))) == sorted(map(str, expected)), s.id
    assert 4 not in everything
