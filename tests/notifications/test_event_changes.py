"""An organiser moves or cancels a published event: every attendee's calendar follows."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from icalendar import Calendar

from events_app.events.models import Event, EventStatus
from events_app.events.schemas import EventPatch
from events_app.events.service import update_event
from events_app.notifications.models import OutboxMessage
from events_app.notifications.service import deliver_due_messages, render_outbox_message
from events_app.registration import service as registration_service
from events_app.registration.service import cancel_registration
from tests.notifications.conftest import (
    SmtpCapture,
    calendar_parts,
    ics_attachments,
    manage_path,
    text_of,
)


async def _deliver(smtp: SmtpCapture) -> int:
    total = 0
    while sent := await deliver_due_messages(mailer=smtp.mailer()):
        total += sent
    return total


def _vevent(message):  # type: ignore[no-untyped-def]
    (part,) = calendar_parts(message)
    cal = Calendar.from_ical(part.get_content())
    (vevent,) = cal.walk("VEVENT")
    return cal, vevent


async def test_moving_an_event_sends_each_confirmed_attendee_one_updated_invite(
    make_event, register, smtp: SmtpCapture, client: httpx.AsyncClient
):
    event = await make_event(capacity=2)
    attendees = [await register(event), await register(event)]
    waiting = await register(event)
    left = await register(event, email="left@example.org")  # waitlisted, then cancelled: no update
    await cancel_registration(registration_id=left.registration.id)
    await _deliver(smtp)
    smtp.received.clear()

    new_start = event.starts_at + timedelta(days=1, hours=1)
    await update_event(
        slug=event.slug,
        patch=EventPatch(starts_at=new_start, ends_at=new_start + timedelta(hours=3), venue_name="Other venue"),
    )
    assert await _deliver(smtp) == 2
    assert sorted(smtp.count_by_recipient()) == sorted(a.registration.email for a in attendees)
    for attendee in attendees:
        confirmation = await render_outbox_message(
            await OutboxMessage.get(registration_id=attendee.registration.id, kind="confirmation")
        )
        first = Calendar.from_ical(confirmation.ics).walk("VEVENT")[0]
        (update,) = smtp.to(attendee.registration.email)
        assert update["Subject"] == f"Updated: {event.title}"
        cal, vevent = _vevent(update)
        assert cal["METHOD"] == "REQUEST"
        assert str(vevent["UID"]) == str(first["UID"])
        assert int(vevent["SEQUENCE"]) > int(first["SEQUENCE"])
        assert vevent["DTSTART"].dt == new_start
        assert "Other venue" in str(vevent["LOCATION"]) and "Where: Other venue" in text_of(update)
        page = await client.get(manage_path(update))  # a fresh manage link that works
        assert page.status_code == 200 and 'badge-confirmed">Confirmed' in page.text
    assert smtp.to(waiting.registration.email) == [] and smtp.to("left@example.org") == []


async def test_changes_that_do_not_touch_the_calendar_send_nothing(make_event, register):
    event = await make_event(capacity=5)
    await register(event)
    before = await OutboxMessage.all().count()
    await update_event(slug=event.slug, patch=EventPatch(description="Longer text.", capacity=6))
    assert await OutboxMessage.all().count() == before
    assert (await Event.get(id=event.id)).ical_sequence == 0


async def test_a_retitled_event_updates_calendars_too(make_event, register):
    event = await make_event()
    await register(event)
    await update_event(slug=event.slug, patch=EventPatch(title="New title"))
    update = await render_outbox_message(await OutboxMessage.get(kind="event_update"))
    assert "SUMMARY:New title" in update.ics and update.subject == "Updated: New title"


async def test_newly_promoted_people_get_the_promotion_only(make_event, register):
    """Moving an event and adding seats at once: old attendees get the update, promoted people the invite."""
    event = await make_event(capacity=1)
    seated = await register(event)
    waiting = await register(event)
    new_start = event.starts_at + timedelta(hours=2)
    await update_event(
        slug=event.slug, patch=EventPatch(capacity=2, starts_at=new_start, ends_at=new_start + timedelta(hours=4))
    )
    kinds = {
        (row.registration_id, row.kind)
        for row in await OutboxMessage.filter(kind__in=["event_update", "promotion"])
    }
    assert kinds == {(seated.registration.id, "event_update"), (waiting.registration.id, "promotion")}
    promotion = await render_outbox_message(await OutboxMessage.get(kind="promotion"))
    vevent = Calendar.from_ical(promotion.ics).walk("VEVENT")[0]
    assert vevent["DTSTART"].dt == new_start  # the promotion already carries the new time


async def test_cancelling_an_event_tells_everyone_still_registered(make_event, register, smtp: SmtpCapture):
    event = await make_event(capacity=1)
    seated = await register(event)
    waiting = await register(event)
    gone = await register(event)
    await cancel_registration(registration_id=gone.registration.id)
    await _deliver(smtp)
    smtp.received.clear()

    await update_event(slug=event.slug, patch=EventPatch(status=EventStatus.CANCELLED))
    assert await _deliver(smtp) == 2
    (to_seated,) = smtp.to(seated.registration.email)
    assert to_seated["Subject"] == f"Cancelled: {event.title}"
    cal, vevent = _vevent(to_seated)
    assert cal["METHOD"] == "CANCEL" and vevent["STATUS"] == "CANCELLED"
    confirmation = await render_outbox_message(
        await OutboxMessage.get(registration_id=seated.registration.id, kind="confirmation")
    )
    first = Calendar.from_ical(confirmation.ics).walk("VEVENT")[0]
    assert str(vevent["UID"]) == str(first["UID"])
    assert int(vevent["SEQUENCE"]) > int(first["SEQUENCE"])
    assert "/manage/" not in text_of(to_seated)

    (to_waiting,) = smtp.to(waiting.registration.email)
    assert calendar_parts(to_waiting) == [] and ics_attachments(to_waiting) == []
    assert "cancelled" in text_of(to_waiting)
    assert smtp.to(gone.registration.email) == []

    # Editing the cancelled event later tells nobody anything more.
    await update_event(slug=event.slug, patch=EventPatch(title="Renamed while cancelled"))
    assert await _deliver(smtp) == 0


async def test_the_emails_roll_back_with_a_failed_update(make_event, register, monkeypatch):
    event = await make_event()
    await register(event)

    async def broken(**kwargs: object) -> list[object]:
        raise RuntimeError("promotion failed")

    monkeypatch.setattr(registration_service, "promote_from_waitlist", broken)
    new_start = event.starts_at + timedelta(hours=1)
    with pytest.raises(RuntimeError):
        await update_event(slug=event.slug, patch=EventPatch(starts_at=new_start, ends_at=new_start + timedelta(hours=2)))
    assert await OutboxMessage.filter(kind="event_update").count() == 0
    stored = await Event.get(id=event.id)
    assert stored.starts_at == event.starts_at and stored.ical_sequence == 0


async def test_online_join_link_only_in_the_confirmed_attendees_own_invite(make_event, register) -> None:
    event = await make_event(
        capacity=1, is_online=True, venue_name="", venue_address="", online_url="https://meet.example.org/room-42"
    )
    seated = await register(event)
    waiting = await register(event)
    confirmation = await render_outbox_message(
        await OutboxMessage.get(registration_id=seated.registration.id, kind="confirmation")
    )
    assert "https://meet.example.org/room-42" in confirmation.ics
    assert "https://meet.example.org/room-42" in confirmation.body_text
    assert "https://meet.example.org/room-42" in confirmation.body_html
    waitlist = await render_outbox_message(
        await OutboxMessage.get(registration_id=waiting.registration.id, kind="waitlist")
    )
    assert "room-42" not in waitlist.body_text and "room-42" not in waitlist.body_html and not waitlist.ics


async def test_a_persons_emails_go_out_in_order(make_event, register) -> None:
    from events_app.notifications.models import OutboxStatus
    from events_app.notifications.service import claim_due_messages
    from events_app.registration.service import cancel_registration

    event = await make_event(capacity=5)
    outcome = await register(event)
    other = await register(event)
    await cancel_registration(registration_id=outcome.registration.id)
    first_round = await claim_due_messages(limit=20)
    kinds = sorted((m.registration_id, m.kind) for m in first_round)
    # the cancellation waits until the confirmation of the same person is out
    assert kinds == sorted([(outcome.registration.id, "confirmation"), (other.registration.id, "confirmation")])
    await OutboxMessage.filter(id__in=[m.id for m in first_round]).update(status=OutboxStatus.SENT, locked_until=None)
    second_round = await claim_due_messages(limit=20)
    assert [(m.registration_id, m.kind) for m in second_round] == [(outcome.registration.id, "cancellation")]


async def test_the_private_manage_link_stays_out_of_the_calendar(make_event, register) -> None:
    event = await make_event()
    await register(event)
    confirmation = await render_outbox_message(await OutboxMessage.get(kind="confirmation"))
    assert "/manage/" in confirmation.body_text
    assert "/manage/" not in confirmation.ics
