"""Edge cases of the door found in review: a scan racing an undo, cancelled people in the numbers,
a re-registration's fresh start, drafts' titles, a laptop clock from 2001, daylight-saving nights."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from tortoise.exceptions import IntegrityError

from events_app.checkin import service
from events_app.checkin.models import CheckIn, CheckInSource
from events_app.checkin.offline import merge_offline_scans
from events_app.checkin.service import WrongEvent, admit, check_in_code, checkin_counts
from events_app.errors import Invalid
from events_app.registration.service import cancel_registration
from tests.checkin.conftest import Ticketed


async def test_a_scan_that_loses_to_an_undo_is_tried_again(make_event, ticketed: Ticketed, monkeypatch) -> None:
    event = await make_event()
    registration, _ = await ticketed(event)
    real = service._insert
    calls = []

    async def lose_once(*args, **kwargs):  # another desk's row was there, then an undo removed it
        calls.append(1)
        if len(calls) == 1:
            raise IntegrityError("duplicate key value violates unique constraint")
        return await real(*args, **kwargs)

    monkeypatch.setattr(service, "_insert", lose_once)
    result = await admit(event=event, registration=registration, desk="A", source=CheckInSource.SCAN, user=None)
    assert result.status == "checked_in" and len(calls) == 2
    assert await CheckIn.filter(registration_id=registration.id).count() == 1


async def test_cancelled_people_do_not_count_and_a_new_registration_starts_fresh(
        make_event, ticketed: Ticketed, register) -> None:
    event = await make_event()
    person, code = await ticketed(event, email="back@example.org")
    await ticketed(event)
    await check_in_code(event=event, code=code, desk="A", user=None)
    await cancel_registration(registration_id=person.id)
    counts = await checkin_counts(event=event)
    assert (counts.checked_in, counts.expected) == (0, 1)
    again = (await register(event, email="back@example.org")).registration  # the same person comes back
    assert again.id == person.id and await CheckIn.filter(registration_id=person.id).count() == 0
    from events_app.badges.tickets import ensure_ticket, ticket_code

    fresh = ticket_code(await ensure_ticket(again))
    assert fresh != code
    assert (await check_in_code(event=event, code=fresh, desk="B", user=None)).status == "checked_in"


async def test_a_drafts_title_is_not_shown_at_another_events_door(make_event, ticketed: Ticketed) -> None:
    door = await make_event()
    secret = await make_event(title="Secret merger summit", status="draft")
    from events_app.badges.tickets import ensure_ticket, ticket_code
    from events_app.registration.models import Registration

    published = await make_event(title="Open seminar")
    _, open_code = await ticketed(published)
    with pytest.raises(WrongEvent) as info:
        await check_in_code(event=door, code=open_code, desk="A", user=None)
    assert "Open seminar" in info.value.message
    # a registration of the draft (made directly: drafts take no registrations from the public)
    other = await Registration.filter(event_id=published.id).first()
    other.event_id = secret.id
    await other.save(update_fields=["event_id"])
    code = ticket_code(await ensure_ticket(other))
    with pytest.raises(WrongEvent) as info:
        await check_in_code(event=door, code=code, desk="A", user=None)
    assert "Secret" not in info.value.message


async def test_a_scan_dated_2001_is_refused(make_event, ticketed: Ticketed) -> None:
    event = await make_event()
    _, code = await ticketed(event)
    data = {"format": "events-app-checkin-scans/1", "event": event.slug, "desk": "Laptop",
            "scans": [{"nonce": "old-clock-1", "code": code, "scanned_at": "2001-01-01T09:00:00+00:00"}]}
    with pytest.raises(Invalid) as info:
        await merge_offline_scans(event, data, None)
    assert "scans.0.scanned_at" in info.value.fields
    assert await CheckIn.all().count() == 0


async def test_hours_across_the_autumn_clock_change(make_event, ticketed: Ticketed) -> None:
    event = await make_event(timezone="Europe/Brussels")
    first, _ = await ticketed(event)
    second, _ = await ticketed(event)
    # 25 October 2026: 03:00 CEST becomes 02:00 CET, so 02:00-03:00 happens twice
    at = [datetime(2026, 10, 25, 0, 30, tzinfo=UTC), datetime(2026, 10, 25, 1, 30, tzinfo=UTC)]
    for registration, when in zip((first, second), at, strict=True):
        await admit(event=event, registration=registration, desk="A", source=CheckInSource.SCAN, user=None, now=when)
    counts = await checkin_counts(event=event, now=datetime(2026, 10, 25, 5, 30, tzinfo=UTC))
    hours = dict(counts.per_hour)
    assert len(counts.per_hour) == 12
    assert hours["02:00"] == 1 and hours["02:00 (2)"] == 1
    assert list(hours)[-1] == "06:00"  # 05:00-06:00 UTC is 06:00 CET
    spring = await checkin_counts(event=event, now=datetime(2026, 3, 29, 3, 30, tzinfo=UTC))
    assert "02:00" not in dict(spring.per_hour)  # that hour never happened in Brussels


async def test_uploading_the_list_instead_of_the_scans_says_so(make_event, ticketed: Ticketed) -> None:
    import json

    from events_app.checkin.offline import offline_list, read_scans_file

    event = await make_event()
    await ticketed(event)
    listing = json.dumps(await offline_list(event), default=str).encode()
    with pytest.raises(Invalid) as info:
        read_scans_file(listing)
    assert "check-in list, not a file of scans" in info.value.message


async def test_organisers_can_undo_right_after_a_check_in(client, login, make_event, ticketed: Ticketed) -> None:
    from events_app.auth.models import Role
    from tests.conftest import csrf_of

    event = await make_event(status="published")
    _, code = await ticketed(event)
    await login(client, Role.ORGANISER)
    door = f"/checkin/{event.slug}"
    answer = await client.post(f"{door}/scan", data={"csrf_token": await csrf_of(client, door), "code": code,
                                                       "desk": "A"}, headers={"HX-Request": "true"})
    assert 'data-state="checked_in"' in answer.text and "Undo this check-in" in answer.text
