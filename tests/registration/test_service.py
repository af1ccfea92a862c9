from __future__ import annotations

import pytest

from events_app.errors import RegistrationClosed
from events_app.events.models import EventStatus
from events_app.events.schemas import EventPatch
from events_app.events.service import update_event
from events_app.notifications.models import OutboxMessage
from events_app.notifications.service import render_outbox_message
from events_app.registration.models import Registration, RegistrationStatus
from events_app.registration.service import cancel_registration, find_registration_by_token


async def test_confirms_until_full_then_waitlists_in_order(make_event, register):
    event = await make_event(capacity=2)
    outcomes = [await register(event) for _ in range(4)]
    assert [o.registration.status for o in outcomes] == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    assert [o.waitlist_position for o in outcomes] == [None, None, 1, 2]
    kinds = sorted(await OutboxMessage.all().values_list("kind", flat=True))
    assert kinds == ["confirmation", "confirmation", "waitlist", "waitlist"]


async def test_same_email_twice_returns_existing(make_event, register):
    event = await make_event(capacity=5)
    first = await register(event, email="Anna@Example.org")
    again = await register(event, email="anna@example.org", name="Someone else")
    assert again.created is False and again.registration.id == first.registration.id
    assert again.manage_token is None
    assert await Registration.filter(event_id=event.id).count() == 1
    assert await OutboxMessage.all().count() == 1


async def test_cancel_promotes_first_waitlisted_and_emails_them(make_event, register):
    event = await make_event(capacity=1)
    seated = await register(event)
    first_waiting = await register(event)
    second_waiting = await register(event)
    await cancel_registration(registration_id=seated.registration.id)
    promoted = await Registration.get(id=first_waiting.registration.id)
    assert promoted.status == RegistrationStatus.CONFIRMED
    still = await Registration.get(id=second_waiting.registration.id)
    assert still.status == RegistrationStatus.WAITLISTED
    promotion = await render_outbox_message(await OutboxMessage.filter(kind="promotion").get())
    assert promotion.to_email == promoted.email and "METHOD:REQUEST" in promotion.ics
    assert "/manage/" in promotion.body_text
    cancellation = await render_outbox_message(await OutboxMessage.filter(kind="cancellation").get())
    assert "METHOD:CANCEL" in cancellation.ics


async def test_raising_capacity_by_five_promotes_five(make_event, register):
    event = await make_event(capacity=1)
    await register(event)
    waiting = [await register(event) for _ in range(7)]
    await update_event(slug=event.slug, patch=EventPatch(capacity=6))
    statuses = [(await Registration.get(id=o.registration.id)).status for o in waiting]
    assert statuses == ["confirmed"] * 5 + ["waitlisted"] * 2
    assert await OutboxMessage.filter(kind="promotion").count() == 5
    # the two still waiting moved up to positions 1 and 2
    from events_app.registration.service import waitlist_position

    positions = [await waitlist_position(await Registration.get(id=o.registration.id)) for o in waiting[5:]]
    assert positions == [1, 2]


async def test_registration_refused_after_window_and_for_cancelled_event(make_event, register):
    from datetime import timedelta

    from events_app.clock import utcnow

    closed = await make_event(registration_closes_at=utcnow() - timedelta(minutes=1), registration_opens_at=utcnow() - timedelta(days=2))
    with pytest.raises(RegistrationClosed, match="closed"):
        await register(closed)
    cancelled = await make_event()
    await update_event(slug=cancelled.slug, patch=EventPatch(status=EventStatus.CANCELLED))
    with pytest.raises(RegistrationClosed, match="cancelled"):
        await register(cancelled)
    assert await Registration.all().count() == 0


async def test_manage_token_is_stored_hashed(make_event, register):
    event = await make_event()
    outcome = await register(event)
    assert outcome.manage_token and len(outcome.manage_token) >= 43
    from events_app.registration.models import ManageLink

    stored = await ManageLink.all().values_list("token_hash", flat=True)
    assert outcome.manage_token not in stored
    found = await find_registration_by_token(token=outcome.manage_token)
    assert found.id == outcome.registration.id


async def test_registering_again_after_cancelling_reactivates_the_same_registration(make_event, register):
    from events_app.events.models import Event

    event = await make_event(capacity=1)
    first = await register(event, email="back@example.org")
    await cancel_registration(registration_id=first.registration.id)
    again = await register(event, email="back@example.org")
    assert again.created and again.registration.id == first.registration.id
    assert again.registration.status == RegistrationStatus.CONFIRMED
    assert again.registration.ical_sequence > first.registration.ical_sequence  # same UID, newer invite
    fresh = await Event.get(id=event.id)
    assert (fresh.confirmed_count, fresh.waitlisted_count) == (1, 0)
    someone = await register(event)
    assert someone.registration.status == RegistrationStatus.WAITLISTED and someone.waitlist_position == 1
