"""The outbox delivered over a real SMTP server (aiosmtpd on loopback): acceptance 2 and 3."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import httpx
from icalendar import Calendar

from events_app.calendar.invite import invite_uid
from events_app.clock import utcnow
from events_app.events.schemas import EventPatch
from events_app.events.service import update_event
from events_app.notifications import service as outbox
from events_app.notifications.mailer import Mailer
from events_app.notifications.models import OutboxMessage, OutboxStatus
from events_app.notifications.service import MAX_ATTEMPTS, backoff, deliver_due_messages
from events_app.registration.models import Registration, RegistrationStatus
from events_app.registration.service import cancel_registration
from tests.notifications.conftest import SmtpCapture, calendar_parts, manage_path

PROMOTION_SUBJECT = "A place opened up"


async def deliver_all(mailer: Mailer, **kwargs: object) -> int:
    """Rounds until a round sends nothing; the total sent."""
    total = 0
    while sent := await deliver_due_messages(mailer=mailer, **kwargs):  # type: ignore[arg-type]
        total += sent
    return total


def invite_of(message: object) -> Calendar:
    parts = calendar_parts(message)  # type: ignore[arg-type]
    assert len(parts) == 1, [p.get_content_type() for p in parts]
    return Calendar.from_ical(parts[0].get_content())


def only_vevent(cal: Calendar):  # type: ignore[no-untyped-def]
    events = cal.walk("VEVENT")
    assert len(events) == 1
    return events[0]


async def test_cancel_promotes_the_first_waitlisted_who_gets_one_invite_and_a_working_link(
    make_event, register, smtp: SmtpCapture, client: httpx.AsyncClient, settings
):
    event = await make_event(capacity=2)
    leaving = await register(event)
    staying = await register(event)
    first = await register(event)
    second = await register(event)
    assert [first.waitlist_position, second.waitlist_position] == [1, 2]
    mailer = smtp.mailer()
    assert await deliver_all(mailer) == 4

    await cancel_registration(registration_id=leaving.registration.id)
    assert await deliver_all(mailer) == 2  # the cancellation and the promotion, nothing else

    # The first waitlisted person: the waitlist email, then exactly one promotion with an invite.
    to_first = smtp.to(first.registration.email)
    promotions = [m for m in to_first if m["Subject"].startswith(PROMOTION_SUBJECT)]
    assert len(to_first) == 2 and len(promotions) == 1
    promotion = promotions[0]
    cal = invite_of(promotion)
    assert cal["METHOD"] == "REQUEST"
    vevent = only_vevent(cal)
    assert str(vevent["UID"]) == invite_uid(event, first.registration, settings.host)
    assert str(vevent["ATTENDEE"]) == f"mailto:{first.registration.email}"
    page = await client.get(manage_path(promotion))
    assert page.status_code == 200
    assert 'badge-confirmed">Confirmed</strong>' in page.text
    assert "On the waiting list" not in page.text

    # The second waitlisted person heard nothing new; the one who stayed neither.
    assert len(smtp.to(second.registration.email)) == 1
    assert len(smtp.to(staying.registration.email)) == 1
    assert (await Registration.get(id=second.registration.id)).status == RegistrationStatus.WAITLISTED

    # The person who left: CANCEL with the same UID and a higher SEQUENCE than their confirmation.
    confirmation, cancellation = smtp.to(leaving.registration.email)
    request = only_vevent(invite_of(confirmation))
    cancel_cal = invite_of(cancellation)
    cancel = only_vevent(cancel_cal)
    assert cancel_cal["METHOD"] == "CANCEL" and cancel["STATUS"] == "CANCELLED"
    assert str(cancel["UID"]) == str(request["UID"])
    assert int(cancel["SEQUENCE"]) > int(request["SEQUENCE"])

    # Further rounds send nothing more, and every row is marked sent once.
    assert await deliver_all(mailer, now=utcnow() + timedelta(days=3)) == 0
    assert len(smtp.received) == 6
    assert set(smtp.count_by_message_id().values()) == {1}
    assert await OutboxMessage.filter(status=OutboxStatus.SENT, attempts=1).count() == 6


async def test_raising_capacity_by_five_promotes_and_emails_exactly_five(make_event, register, smtp: SmtpCapture):
    event = await make_event(capacity=1)
    await register(event)
    waiting = [await register(event) for _ in range(7)]
    mailer = smtp.mailer()
    assert await deliver_all(mailer) == 8
    smtp.received.clear()

    await update_event(slug=event.slug, patch=EventPatch(capacity=6))
    assert await deliver_all(mailer) == 5
    for outcome in waiting[:5]:
        messages = smtp.to(outcome.registration.email)
        assert len(messages) == 1 and messages[0]["Subject"].startswith(PROMOTION_SUBJECT)
        assert invite_of(messages[0])["METHOD"] == "REQUEST"
    for outcome in waiting[5:]:
        assert smtp.to(outcome.registration.email) == []
    assert len(smtp.count_by_message_id()) == 5
    assert await deliver_all(mailer, now=utcnow() + timedelta(days=3)) == 0
    assert len(smtp.received) == 5


def _person(n: int) -> dict[str, object]:
    return {
        "name": f"Outage Person {n}",
        "email": f"outage{n}@example.org",
        "job_title": "Buyer",
        "organisation": "City of Tartu",
        "organisation_kind": "municipality",
        "country": "EE",
        "consent": True,
    }


async def test_smtp_outage_loses_nothing_and_sends_each_confirmation_once(
    make_event, smtp_down: SmtpCapture, client: httpx.AsyncClient
):
    event = await make_event(capacity=30)
    for n in range(20):
        response = await client.post(f"/api/v1/events/{event.slug}/registrations", json=_person(n))
        assert response.status_code == 201, response.text
    assert await Registration.filter(status=RegistrationStatus.CONFIRMED).count() == 20
    mailer = smtp_down.mailer(timeout=5)

    # Nothing listens on the port: every attempt fails and is rescheduled, none is lost.
    assert await deliver_due_messages(mailer=mailer, limit=50) == 0
    before = utcnow()
    rows = await OutboxMessage.all()
    assert len(rows) == 20
    for row in rows:
        assert row.status == OutboxStatus.PENDING and row.attempts == 1
        assert row.last_error and row.locked_until is None and row.sent_at is None
        assert row.next_attempt_at > before  # backed off, not due again at once
    assert await deliver_due_messages(mailer=mailer, limit=50) == 0  # nothing due yet
    assert await deliver_due_messages(mailer=mailer, limit=50, now=utcnow() + timedelta(minutes=5)) == 0
    assert set(await OutboxMessage.all().values_list("attempts", flat=True)) == {2}
    assert smtp_down.received == []

    # The server comes back on the same port; the retries go out, each exactly once.
    smtp_down.start()
    assert await deliver_all(mailer, limit=7, now=utcnow() + timedelta(hours=1)) == 20
    by_recipient = smtp_down.count_by_recipient()
    assert by_recipient == {f"outage{n}@example.org": 1 for n in range(20)}
    assert set(smtp_down.count_by_message_id().values()) == {1}
    assert len(smtp_down.count_by_message_id()) == 20
    assert all(m.message["Subject"].startswith("Your place at") for m in smtp_down.received)
    stored_ids = set(await OutboxMessage.all().values_list("message_id", flat=True))
    assert stored_ids == set(smtp_down.count_by_message_id())

    # Later rounds send nothing again.
    assert await deliver_all(mailer, limit=50, now=utcnow() + timedelta(days=30)) == 0
    assert len(smtp_down.received) == 20
    rows = await OutboxMessage.all()
    assert {(r.status, r.attempts, r.last_error) for r in rows} == {(OutboxStatus.SENT, 3, "")}


async def test_a_recipient_refused_for_good_fails_at_once_and_others_still_go(make_event, register, smtp: SmtpCapture):
    event = await make_event()
    bad = await register(event, email="nobody@example.org")
    good = await register(event)
    smtp.refuse.add("nobody@example.org")
    assert await deliver_all(smtp.mailer()) == 1
    failed = await OutboxMessage.get(to_email=bad.registration.email)
    assert failed.status == OutboxStatus.FAILED and failed.attempts == 1
    assert "550" in failed.last_error
    assert [r.to for r in smtp.received] == [good.registration.email]
    assert await deliver_all(smtp.mailer(), now=utcnow() + timedelta(days=3)) == 0


async def test_a_slow_round_hands_back_what_it_cannot_send_within_its_lease(make_event, register, monkeypatch):
    """A sender stops starting sends after SEND_BUDGET, releasing the rest for the next round."""
    event = await make_event()
    for _ in range(3):
        await register(event)
    clock = SimpleNamespace(now=0.0)
    monkeypatch.setattr(outbox, "time", SimpleNamespace(monotonic=lambda: clock.now))

    class SlowMailer:
        sent: list[str] = []

        async def send(self, message) -> None:  # type: ignore[no-untyped-def]
            clock.now += outbox.SEND_BUDGET.total_seconds() + 1  # this send took longer than the budget
            self.sent.append(message["Message-ID"])

    mailer = SlowMailer()
    assert await deliver_due_messages(mailer=mailer) == 1
    rows = await OutboxMessage.all().order_by("next_attempt_at", "id")
    assert [r.status for r in rows] == [OutboxStatus.SENT, OutboxStatus.PENDING, OutboxStatus.PENDING]
    assert [r.locked_until for r in rows[1:]] == [None, None]  # free for the next round now
    assert [r.attempts for r in rows[1:]] == [0, 0]  # not counted as failures
    assert await deliver_due_messages(mailer=mailer) == 1
    assert await deliver_due_messages(mailer=mailer) == 1
    assert len(set(mailer.sent)) == 3


def test_retries_span_about_two_days_before_giving_up() -> None:
    waits = [backoff(attempt) for attempt in range(1, MAX_ATTEMPTS)]
    assert waits[:3] == [timedelta(seconds=15), timedelta(seconds=30), timedelta(minutes=1)]
    assert max(waits) == timedelta(hours=1)
    assert timedelta(hours=40) <= sum(waits, timedelta()) <= timedelta(hours=56)


async def test_the_last_failed_attempt_marks_the_message_failed(make_event, register, smtp_down: SmtpCapture):
    event = await make_event()
    await register(event)
    await OutboxMessage.all().update(attempts=MAX_ATTEMPTS - 1)
    assert await deliver_due_messages(mailer=smtp_down.mailer(timeout=5)) == 0
    row = await OutboxMessage.get()
    assert row.status == OutboxStatus.FAILED and row.attempts == MAX_ATTEMPTS
    assert await deliver_due_messages(mailer=smtp_down.mailer(), now=utcnow() + timedelta(days=30)) == 0
