"""Acceptance 5: webinar reminders, sent once each through the outbox, across worker restarts.

Time is a fake clock: the scheduler and the sender take ``now=``, and the sender loop
test moves the clock the two modules read (events_app.clock.utcnow as they imported it).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from email.message import EmailMessage

import pytest

from events_app.agenda.models import AgendaSession
from events_app.agenda.picks import set_session_picks
from events_app.agenda.service import publish_agenda
from events_app.clock import utcnow
from events_app.events.models import Event
from events_app.events.schemas import EventPatch
from events_app.events.service import update_event
from events_app.notifications import reminders as reminders_module
from events_app.notifications import service as outbox_service
from events_app.notifications.models import OutboxMessage, OutboxStatus
from events_app.notifications.reminders import due_offset, queue_due_reminders, queue_once
from events_app.notifications.service import deliver_due_messages
from events_app.notifications.webinars import WebinarSettings, save_webinar_settings
from events_app.notifications.worker import run_sender
from events_app.registration.models import RegistrationStatus
from events_app.registration.service import cancel_registration
from tests.agenda import conftest as agenda_fixtures
from tests.conftest import future
from tests.notifications.conftest import SmtpCapture, text_of

# The agenda fixtures (an event with rooms, a session factory), shared with tests/agenda.
conference, rooms, add_session = agenda_fixtures.conference, agenda_fixtures.rooms, agenda_fixtures.add_session
JOIN = "https://meet.example.org/webinar-9"
H = timedelta(hours=1)
M = timedelta(minutes=1)


async def _webinar(make_event, **overrides):  # type: ignore[no-untyped-def]
    start = overrides.pop("starts_at", future(3, hour=13))
    data = {
        "kind": "webinar", "is_online": True, "venue_name": "", "venue_address": "", "online_url": JOIN,
        "capacity": 3, "starts_at": start, "ends_at": start + 2 * H, "title": "Green ICT buying",
    }
    reminder_minutes = overrides.pop("reminder_minutes", None)
    data.update(overrides)
    event = await make_event(**data)
    if reminder_minutes is not None:
        await save_webinar_settings(slug=event.slug, data=WebinarSettings(reminder_minutes, ""))
    return event


async def _drain(smtp: SmtpCapture, now: datetime | None = None) -> int:
    """Deliver until nothing is due (a round that only drops unneeded reminders sends 0)."""
    sent = 0
    for _ in range(50):
        sent += await deliver_due_messages(mailer=smtp.mailer(), now=now)
        if not await OutboxMessage.filter(status=OutboxStatus.PENDING, next_attempt_at__lte=now or utcnow()).exists():
            return sent
    raise AssertionError("the outbox did not drain")


async def _round(smtp: SmtpCapture, now: datetime) -> int:
    """One scheduler run and a full delivery, at ``now``; returns how many emails went out."""
    await queue_due_reminders(now=now)
    return await _drain(smtp, now)


async def _people(event, register, smtp: SmtpCapture):  # type: ignore[no-untyped-def]
    """Confirmed: anna, bert, wim; cancelled: carl; waiting: wendy. Confirmations delivered."""
    anna = (await register(event, email="anna@example.org")).registration
    bert = (await register(event, email="bert@example.org")).registration
    carl = (await register(event, email="carl@example.org")).registration
    await cancel_registration(registration_id=carl.id)
    wim = (await register(event, email="wim@example.org")).registration
    wendy = (await register(event, email="wendy@example.org")).registration
    assert wendy.status == RegistrationStatus.WAITLISTED and wim.status == RegistrationStatus.CONFIRMED
    while await deliver_due_messages(mailer=smtp.mailer()):
        pass
    smtp.received.clear()
    return anna, bert, carl, wim, wendy


def subject(message: EmailMessage) -> str:
    """Python folds a 70-77 character subject onto its own line and reads it back with a
    leading space (mail clients trim it): compare without it."""
    return str(message["Subject"]).strip()


def _reminders(smtp: SmtpCapture) -> Counter[str]:
    return Counter(r.to for r in smtp.received if subject(r.message).startswith("Reminder:"))


async def test_each_registrant_gets_the_24h_and_1h_reminder_once_across_restarts(make_event, register, smtp):
    event = await _webinar(make_event)
    anna, bert, carl, wim, wendy = await _people(event, register, smtp)
    start = event.starts_at

    # First worker: before the window nothing; at 24 h the first reminder, once.
    assert await _round(smtp, start - 25 * H) == 0
    assert await _round(smtp, start - 24 * H) == 3
    assert await _round(smtp, start - 24 * H + 30 * (M / 60)) == 0
    assert await _round(smtp, start - 23 * H) == 0
    # "Restart": a fresh run at the same and later times queues nothing new.
    assert await _round(smtp, start - 24 * H) == 0
    assert await _round(smtp, start - 2 * H) == 0
    assert await queue_due_reminders(now=start - 90 * M) == 0

    await cancel_registration(registration_id=bert.id)  # bert cancels between the two reminders...
    assert await _drain(smtp) == 2  # ...and wendy gets his place: two emails, no reminder yet
    assert await _round(smtp, start - H) == 3
    for moment in (start - H, start - 59 * M, start - 30 * M, start - M, start + M, start + 3 * H):
        assert await _round(smtp, moment) == 0

    assert _reminders(smtp) == {
        "anna@example.org": 2, "wim@example.org": 2, "bert@example.org": 1, "wendy@example.org": 1
    }
    assert smtp.to("carl@example.org") == []
    assert set(smtp.count_by_message_id().values()) == {1}
    assert await OutboxMessage.filter(kind="reminder").count() == 6
    first, second = [r.message for r in smtp.received if r.to == "anna@example.org"]
    local = start.astimezone(event.zone)
    assert subject(first) == f"Reminder: Green ICT buying starts {local:%a %d %b} at {local:%H:%M} (Europe/Brussels time)"
    for message in (first, second):
        assert JOIN in text_of(message)
        html = message.get_body(preferencelist=("html",))
        assert html is not None and f'href="{JOIN}"' in html.get_content()
        assert "/manage/" not in text_of(message)


@contextlib.asynccontextmanager
async def _worker(smtp: SmtpCapture) -> AsyncIterator[None]:
    stop = asyncio.Event()
    task = asyncio.create_task(run_sender(mailer=smtp.mailer(), stop=stop, interval=0.02, reminder_every=0.02))
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=30)
    assert task.exception() is None


async def _until(check, what: str) -> None:  # type: ignore[no-untyped-def]
    for _ in range(600):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting until {what}")


async def test_the_worker_loop_sends_reminders_once_across_a_restart(make_event, register, smtp, monkeypatch):
    event = await _webinar(make_event)
    anna, bert, carl, wim, wendy = await _people(event, register, smtp)
    clock = {"now": event.starts_at - 24 * H + M}
    monkeypatch.setattr(reminders_module, "utcnow", lambda: clock["now"])
    monkeypatch.setattr(outbox_service, "utcnow", lambda: clock["now"])

    async def sent(count: int) -> bool:
        return await OutboxMessage.filter(kind="reminder", status=OutboxStatus.SENT).count() == count

    async with _worker(smtp):
        await _until(lambda: sent(3), "the 24 h reminders went out")
        await asyncio.sleep(0.3)  # several more scheduler rounds at the same time
    async with _worker(smtp):  # restarted, same moment: nothing again
        await asyncio.sleep(0.3)
        clock["now"] = event.starts_at - 50 * M
        await _until(lambda: sent(6), "the 1 h reminders went out")
        await asyncio.sleep(0.3)
    async with _worker(smtp):  # and once more, later
        clock["now"] = event.starts_at - 10 * M
        await asyncio.sleep(0.3)
    assert _reminders(smtp) == {"anna@example.org": 2, "bert@example.org": 2, "wim@example.org": 2}
    assert set(smtp.count_by_message_id().values()) == {1}


async def test_only_the_nearest_due_reminder_is_sent(make_event, register, smtp):
    event = await _webinar(make_event, reminder_minutes=[10080, 1440, 60, 15])
    await _people(event, register, smtp)
    start = event.starts_at
    assert await _round(smtp, start - 30 * M) == 3  # the 1 h one; not the week nor the day one
    assert {m.payload["offset"] for m in await OutboxMessage.filter(kind="reminder")} == {60}
    assert await _round(smtp, start - 14 * M) == 3  # the 15 min one
    assert await _round(smtp, start - 5 * M) == 0
    assert due_offset(starts_at=start, offsets=[1440, 60], now=start - 2 * H) == 1440
    assert due_offset(starts_at=start, offsets=[1440, 60], now=start) is None
    assert due_offset(starts_at=start, offsets=[], now=start - M) is None


async def test_no_reminders_when_the_organiser_turned_them_off_or_the_event_is_on_site(make_event, register, smtp):
    off = await _webinar(make_event, reminder_minutes=[])
    on_site = await make_event(starts_at=off.starts_at, ends_at=off.ends_at)
    await register(off)
    await register(on_site)
    assert await queue_due_reminders(now=off.starts_at - 30 * M) == 0
    assert await OutboxMessage.filter(kind="reminder").count() == 0


async def test_people_confirmed_after_a_reminders_moment_skip_it(make_event, register, smtp):
    start = (utcnow() + 3 * H).replace(microsecond=0)  # registering now is after the 24 h moment
    event = await _webinar(make_event, starts_at=start)
    await register(event)
    assert await queue_due_reminders(now=start - 23 * H) == 0
    assert await queue_due_reminders(now=start - 30 * M) == 1


async def test_a_reminder_for_someone_who_cancelled_since_is_not_sent(make_event, register, smtp):
    event = await _webinar(make_event)
    anna, *_ = await _people(event, register, smtp)
    assert await queue_due_reminders(now=event.starts_at - 24 * H) == 3
    await cancel_registration(registration_id=anna.id)
    await _drain(smtp, event.starts_at - 24 * H)
    assert _reminders(smtp) == {"bert@example.org": 1, "wim@example.org": 1}
    row = await OutboxMessage.get(kind="reminder", registration_id=anna.id)
    assert row.status == OutboxStatus.SENT and row.sent_at is None and row.last_error.startswith("not sent:")


async def test_a_moved_webinar_gets_reminders_for_its_new_time(make_event, register, smtp):
    event = await _webinar(make_event)
    anna, *_ = await _people(event, register, smtp)
    old_start = event.starts_at
    assert await queue_due_reminders(now=old_start - 24 * H) == 3
    new_start = old_start + 2 * H
    await update_event(slug=event.slug, patch=EventPatch(starts_at=new_start, ends_at=new_start + 2 * H))
    await _drain(smtp, old_start - 24 * H)
    assert _reminders(smtp) == {}  # queued for the old time: dropped, not sent with a wrong time
    assert await _round(smtp, new_start - 24 * H) == 3
    local = new_start.astimezone(event.zone)
    (reminder,) = [r.message for r in smtp.received if r.to == "anna@example.org" and "Reminder" in subject(r.message)]
    assert f"{local:%H:%M}" in subject(reminder)


async def test_online_sessions_remind_the_people_with_a_confirmed_place(
    conference, rooms, add_session, register, smtp
):
    session = (
        await add_session(title="Online lab", kind="webinar", capacity=1, online_url=JOIN, start="14:00", end="15:00")
    ).draft
    await add_session(title="On-site lab", capacity=5, start="16:00", end="17:00")
    await publish_agenda(event=conference)
    seated = (await register(conference, email="seated@example.org")).registration
    waiting = (await register(conference, email="waiting@example.org")).registration
    await set_session_picks(registration=seated, session_ids=[session.id])
    await set_session_picks(registration=waiting, session_ids=[session.id])
    while await deliver_due_messages(mailer=smtp.mailer()):
        pass
    smtp.received.clear()
    stored = await Event.get(id=conference.id)
    assert not stored.is_online  # an on-site conference: only the online session reminds
    starts = (await AgendaSession.get(id=session.id)).starts_at
    assert await _round(smtp, starts - 23 * H) == 1
    assert await _round(smtp, starts - 30 * M) == 1
    assert _reminders(smtp) == {"seated@example.org": 2}
    message = smtp.to("seated@example.org")[0]
    assert subject(message).startswith("Reminder: Online lab starts")
    assert JOIN in text_of(message) and "Online lab" in text_of(message)


async def test_open_online_sessions_remind_every_confirmed_attendee(conference, rooms, add_session, register, smtp):
    """A plenary livestream needs no sign-up: each confirmed attendee of the event gets its reminders,
    once each; cancelled people none. (The conference itself is on site: no event reminders.)"""
    live = (await add_session(
        title="Opening livestream", kind="plenary", room="Plenary hall", online_url=JOIN, start="09:00", end="10:00",
    )).draft
    await add_session(title="On-site plenary", kind="plenary", room="Plenary hall", start="11:00", end="12:00")
    await publish_agenda(event=conference)
    anna = (await register(conference, email="anna@example.org")).registration
    bert = (await register(conference, email="bert@example.org")).registration
    carl = (await register(conference, email="carl@example.org")).registration
    await cancel_registration(registration_id=carl.id)
    starts = (await AgendaSession.get(id=live.id)).starts_at
    for now, offset in ((starts - 23 * H, 1440), (starts - 30 * M, 60)):
        assert await queue_due_reminders(now=now) == 2
        assert await queue_due_reminders(now=now) == 0  # a second run (or worker) queues nothing more
        rows = [r for r in await OutboxMessage.filter(kind="reminder") if r.payload["offset"] == offset]
        assert sorted(r.to_email for r in rows) == ["anna@example.org", "bert@example.org"]
        assert {r.registration_id for r in rows} == {anna.id, bert.id}  # type: ignore[attr-defined]
        assert all(r.payload["session_id"] == live.id and r.payload["target"] == f"session{live.id}" for r in rows)
    assert await OutboxMessage.filter(kind="reminder").count() == 4
    # Delivered with the person's own join link (open to every confirmed attendee).
    while await deliver_due_messages(mailer=smtp.mailer(), now=starts - 30 * M):
        pass
    sent = [r for r in smtp.received if subject(r.message).startswith("Reminder:")]
    assert sorted(r.to for r in sent) == ["anna@example.org"] * 2 + ["bert@example.org"] * 2
    assert all(JOIN in text_of(r.message) for r in sent)


@pytest.mark.postgres_only
async def test_concurrent_schedulers_queue_each_reminder_once(make_event, register, smtp):
    event = await _webinar(make_event, capacity=40)
    for _ in range(30):
        await register(event)
    now = event.starts_at - 24 * H
    counts = await asyncio.gather(*(queue_due_reminders(now=now) for _ in range(4)))
    assert sum(counts) >= 30  # each run may count rows another inserted at the same moment
    assert await OutboxMessage.filter(kind="reminder").count() == 30


async def test_inserting_an_existing_reminder_again_is_not_an_error(make_event, register):
    event = await _webinar(make_event)
    await register(event)
    now = event.starts_at - 24 * H
    assert await queue_due_reminders(now=now) == 1
    row = await OutboxMessage.get(kind="reminder")
    copy = OutboxMessage(
        message_id=row.message_id, kind="reminder", registration_id=row.registration_id,  # type: ignore[attr-defined]
        to_email=row.to_email, payload=row.payload, next_attempt_at=now,
    )
    await OutboxMessage.bulk_create([copy], ignore_conflicts=True)  # what queue_once does after its check
    assert await queue_once([copy]) == 0
    assert await OutboxMessage.filter(kind="reminder").count() == 1
