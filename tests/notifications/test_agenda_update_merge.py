"""Several publishes before the sender runs: a person gets one agenda_update that compares with
what they last heard, none when everything is back where it was, never "moved" to the same place.

Delivered through the real outbox sender to a real SMTP server (aiosmtpd).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from events_app.agenda.models import AgendaSession
from events_app.agenda.picks import set_session_picks
from events_app.agenda.schemas import SessionPatch
from events_app.agenda.service import cancel_session, publish_agenda, update_session
from events_app.calendar.sessions import personal_session_uid
from events_app.clock import utcnow
from events_app.notifications.agenda_render import NotNeeded
from events_app.notifications.models import OutboxMessage, OutboxStatus
from events_app.notifications.service import (
    LEASE,
    claim_due_messages,
    deliver_due_messages,
    render_outbox_message,
)
from tests.agenda import conftest as agenda_fixtures
from tests.agenda.conftest import at
from tests.notifications.conftest import SmtpCapture, calendar_parts, text_of
from tests.notifications.test_agenda_emails import _attachments, _deliver, _read

conference, rooms, add_session = agenda_fixtures.conference, agenda_fixtures.rooms, agenda_fixtures.add_session


async def _setup(conference, add_session, register, smtp: SmtpCapture):  # type: ignore[no-untyped-def]
    """S (11:00-12:30, Room A) and T (14:00-15:00, Room B), both picked by Anna; Bert picks neither."""
    s = (await add_session(title="Green catering", room="Room A", start="11:00", end="12:30")).draft.session
    t = (await add_session(title="Clean vehicles", room="Room B", start="14:00", end="15:00")).draft.session
    await publish_agenda(event=conference)
    anna = (await register(conference, email="anna@example.org")).registration
    await register(conference, email="bert@example.org")
    await set_session_picks(registration=anna, session_ids=[s.id, t.id])
    await _deliver(smtp)
    (picked,) = [m for m in smtp.to("anna@example.org") if m["Subject"].startswith("Your sessions")]
    smtp.received.clear()
    return s, t, anna, _read(calendar_parts(picked)[0].get_content(), "REQUEST")


async def _move(conference, session: AgendaSession, start: str, end: str, **more) -> None:  # type: ignore[no-untyped-def]
    patch = SessionPatch(starts_at=at(conference, 0, start), ends_at=at(conference, 0, end), **more)
    await update_session(event=conference, session_id=session.id, patch=patch)


async def test_a_move_undone_before_the_sender_runs_sends_nothing(
    conference, rooms, add_session, register, smtp: SmtpCapture
):
    s, _, anna, _ = await _setup(conference, add_session, register, smtp)
    await _move(conference, s, "16:00", "17:30")
    assert (await publish_agenda(event=conference)).emails_queued == 1
    await _move(conference, s, "11:00", "12:30")
    assert (await publish_agenda(event=conference)).emails_queued == 0

    assert await _deliver(smtp) == 0
    assert smtp.received == []
    (retired,) = await OutboxMessage.filter(kind="agenda_update")
    assert retired.status == OutboxStatus.SENT and retired.last_error == "superseded by a later update"
    assert retired.sent_at is None and retired.rendered_at is None


async def test_two_publishes_before_the_sender_runs_make_one_email_from_what_the_person_last_heard(
    conference, rooms, add_session, register, smtp: SmtpCapture, settings
):
    s, t, anna, invited = await _setup(conference, add_session, register, smtp)
    await _move(conference, s, "16:00", "17:30")
    await publish_agenda(event=conference)
    await _move(conference, s, "17:00", "18:30", room="Room B")
    await cancel_session(event=conference, session_id=t.id)
    await publish_agenda(event=conference)

    assert await _deliver(smtp) == 1
    (update,) = smtp.to("anna@example.org")
    assert smtp.to("bert@example.org") == []
    assert update["Subject"] == f"Agenda change: 2 of your sessions at {conference.title}"
    body = text_of(update)
    before, now = body.split("Before: ")[1].split("\n")[0], body.split("Now:    ")[1].split("\n")[0]
    assert "11:00\u201312:30" in before and before.strip().endswith("Room A")
    assert "17:00\u201318:30" in now and now.strip().endswith("Room B")
    assert "16:00" not in body  # the intermediate state Anna never heard of
    assert "- Moved: Green catering" in body and "- Cancelled: Clean vehicles" in body
    assert "MOVED" not in body and "CANCELLED" not in body
    # the newest SEQUENCE for both: S moved twice, T cancelled once
    uid_s, uid_t = (personal_session_uid(x, anna, settings.host) for x in (s, t))
    (part,) = calendar_parts(update)
    moved = _read(part.get_content(), "REQUEST")
    assert list(moved) == [uid_s] and moved[uid_s][0] == invited[uid_s][0] + 2
    assert moved[uid_s][1] == at(conference, 0, "17:00")
    cancelled = _read(_attachments(update)["cancel.ics"], "CANCEL")
    assert cancelled[uid_t][0] == invited[uid_t][0] + 1 and cancelled[uid_t][2] == "CANCELLED"
    assert [m.last_error for m in await OutboxMessage.filter(kind="agenda_update").order_by("id")] == [
        "superseded by a later update", ""
    ]


async def test_a_move_then_a_cancellation_says_cancelled_with_the_first_time(
    conference, rooms, add_session, register, smtp: SmtpCapture
):
    s, _, _, _ = await _setup(conference, add_session, register, smtp)
    await _move(conference, s, "16:00", "17:30")
    await publish_agenda(event=conference)
    await cancel_session(event=conference, session_id=s.id)
    await publish_agenda(event=conference)
    assert await _deliver(smtp) == 1
    (update,) = smtp.to("anna@example.org")
    assert update["Subject"] == "Agenda change: Green catering cancelled"
    assert "It was planned for " in text_of(update) and "11:00\u201312:30" in text_of(update)
    assert calendar_parts(update)[0].get_param("method") == "CANCEL"


async def test_an_email_already_sent_is_not_merged(conference, rooms, add_session, register, smtp: SmtpCapture):
    s, _, _, _ = await _setup(conference, add_session, register, smtp)
    await _move(conference, s, "16:00", "17:30")
    await publish_agenda(event=conference)
    assert await _deliver(smtp) == 1
    await _move(conference, s, "11:00", "12:30")
    await publish_agenda(event=conference)
    assert await _deliver(smtp) == 1
    _, back = smtp.to("anna@example.org")
    body = text_of(back)
    assert "16:00\u201317:30" in body.split("Before: ")[1].split("\n")[0]
    assert "11:00\u201312:30" in body.split("Now:    ")[1].split("\n")[0]


async def test_an_email_held_by_a_sender_is_not_sent_when_its_session_is_back(
    conference, rooms, add_session, register, smtp: SmtpCapture
):
    """The sender had claimed the first email (so the second publish could not merge it) but not
    rendered it yet: it renders nothing to say and is dropped instead of saying "moved" to the
    same place."""
    s, _, _, _ = await _setup(conference, add_session, register, smtp)
    await _move(conference, s, "16:00", "17:30")
    await publish_agenda(event=conference)
    (held,) = await claim_due_messages()
    await _move(conference, s, "11:00", "12:30")
    await publish_agenda(event=conference)
    with pytest.raises(NotNeeded):
        await render_outbox_message(held)

    later = utcnow() + LEASE + timedelta(seconds=1)  # the lease ran out: a sender takes both
    assert await deliver_due_messages(mailer=smtp.mailer(), now=later) == 0  # the first: not needed
    assert await deliver_due_messages(mailer=smtp.mailer(), now=later) == 1
    (update,) = smtp.to("anna@example.org")
    body = text_of(update)
    assert body.split("Before: ")[1].split("\n")[0] != body.split("Now:    ")[1].split("\n")[0]
    assert (await OutboxMessage.get(id=held.id)).last_error.startswith("not sent: ")


async def test_a_removed_room_reads_no_room_yet(conference, rooms, add_session, register, smtp: SmtpCapture):
    s, _, _, _ = await _setup(conference, add_session, register, smtp)
    await update_session(event=conference, session_id=s.id, patch=SessionPatch(room=None))
    await publish_agenda(event=conference)
    assert await _deliver(smtp) == 1
    (update,) = smtp.to("anna@example.org")
    body = text_of(update)
    assert body.split("Before: ")[1].split("\n")[0].strip().endswith(", Room A")
    assert body.split("Now:    ")[1].split("\n")[0].strip().endswith(", no room yet")
    html = update.get_body(preferencelist=("html",))
    assert html is not None and "no room yet" in html.get_content()
