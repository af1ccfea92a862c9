"""A registration or an event is cancelled: the one cancellation email also removes the
person's own session entries (personal UIDs) from their calendar.

Delivered through the real outbox sender to a real SMTP server (aiosmtpd); every calendar
object is read by icalendar and vobject (``_read``).
"""

from __future__ import annotations

from email.message import EmailMessage

from icalendar import Calendar

from events_app.agenda.models import AgendaSession
from events_app.agenda.picks import set_session_picks
from events_app.agenda.service import publish_agenda
from events_app.calendar.invite import invite_uid
from events_app.calendar.sessions import personal_session_uid
from events_app.events.models import EventStatus
from events_app.events.schemas import EventPatch
from events_app.events.service import update_event
from events_app.registration.service import cancel_registration
from tests.agenda import conftest as agenda_fixtures
from tests.notifications.conftest import SmtpCapture, calendar_parts, text_of
from tests.notifications.test_agenda_emails import _attachments, _deliver, _read

conference, rooms, add_session = agenda_fixtures.conference, agenda_fixtures.rooms, agenda_fixtures.add_session
JOIN = "https://meet.example.org/cancel-me-42"


def _everything(message: EmailMessage) -> str:
    html = message.get_body(preferencelist=("html",))
    assert html is not None
    parts = [text_of(message), html.get_content(), *(p.get_content() for p in calendar_parts(message))]
    return "\n".join([*parts, *_attachments(message).values()])


async def _sessions(add_session) -> dict[str, AgendaSession]:  # type: ignore[no-untyped-def]
    made = {
        "S": await add_session(title="Online lab", room="Room A", start="10:00", end="11:00", online_url=JOIN),
        "T": await add_session(title="Clean vehicles", room="Room B", start="14:00", end="15:00"),
        "V": await add_session(title="Port visit", kind="site_visit", capacity=1, day=1, start="10:00", end="11:00"),
        "W": await add_session(title="Depot visit", kind="site_visit", capacity=1, day=1, start="14:00", end="15:00"),
    }
    return {name: result.draft.session for name, result in made.items()}


async def test_cancelling_a_registration_removes_the_persons_sessions_in_the_same_email(
    conference, rooms, add_session, register, smtp: SmtpCapture, settings
):
    s = await _sessions(add_session)
    await publish_agenda(event=conference)
    anna = (await register(conference, name="Anna Leaving", email="anna@example.org")).registration
    bert = (await register(conference, name="Bert Waiting", email="bert@example.org")).registration
    await set_session_picks(registration=bert, session_ids=[s["W"].id])
    await set_session_picks(registration=anna, session_ids=[s[n].id for n in "STVW"])  # waits for W
    await set_session_picks(registration=bert, session_ids=[s["W"].id, s["V"].id])  # waits for V
    await _deliver(smtp)
    (picked,) = [m for m in smtp.to("anna@example.org") if m["Subject"].startswith("Your sessions")]
    invited = _read(calendar_parts(picked)[0].get_content(), "REQUEST")
    uids = {n: personal_session_uid(s[n], anna, settings.host) for n in "STVW"}
    assert set(invited) == {uids[n] for n in "STV"}
    smtp.received.clear()

    await cancel_registration(registration_id=anna.id)
    await _deliver(smtp)
    (cancelled,) = smtp.to("anna@example.org")  # one email, not one more per session
    assert cancelled["Subject"] == f"Your registration for {conference.title} is cancelled"

    # Inline: one CANCEL object, the event's entry first (clients that read one act on it),
    # then the three sessions Anna had a seat in; not W, where she only waited.
    (part,) = calendar_parts(cancelled)
    assert part.get_param("method") == "CANCEL"
    event_uid = invite_uid(conference, anna, settings.host)
    gone = _read(part.get_content(), "CANCEL")
    assert list(gone) == [event_uid, uids["S"], uids["T"], uids["V"]]
    for name in "STV":
        sequence, start, status = gone[uids[name]]
        assert sequence > invited[uids[name]][0] and status == "CANCELLED" and start == s[name].starts_at

    # Attached: the event's own CANCEL as before, and one single-UID CANCEL per session.
    files = _attachments(cancelled)
    assert sorted(files) == ["cancel-1.ics", "cancel-2.ics", "cancel-3.ics", "invite.ics"]
    assert list(_read(files["invite.ics"], "CANCEL")) == [event_uid]
    one_by_one = [_read(files[f"cancel-{n}.ics"], "CANCEL") for n in (1, 2, 3)]
    assert [list(found) for found in one_by_one] == [[uids["S"]], [uids["T"]], [uids["V"]]]
    assert len(Calendar.from_ical(files["cancel-1.ics"]).walk("VTIMEZONE")) == 1

    body = text_of(cancelled)
    assert "Your places in these sessions are also cancelled:" in body
    listed = body.split("also cancelled:")[1]
    assert all(title in listed for title in ("Online lab", "Clean vehicles", "Port visit"))
    assert "Depot visit" not in body
    assert JOIN not in _everything(cancelled)

    # Bert gets the seat Anna left in V and nothing about W.
    (promoted,) = smtp.to("bert@example.org")
    assert promoted["Subject"] == "A place opened up in Port visit"


async def test_a_cancellation_without_sessions_is_unchanged(conference, rooms, register, smtp: SmtpCapture, settings):
    anna = (await register(conference, email="anna@example.org")).registration
    await cancel_registration(registration_id=anna.id)
    await _deliver(smtp)
    _, cancelled = smtp.to("anna@example.org")
    (part,) = calendar_parts(cancelled)
    assert list(_read(part.get_content(), "CANCEL")) == [invite_uid(conference, anna, settings.host)]
    assert _attachments(cancelled) == {"invite.ics": part.get_content()}
    assert "also cancelled" not in text_of(cancelled)


async def test_cancelling_the_event_removes_everyones_sessions_too(
    conference, rooms, add_session, register, smtp: SmtpCapture, settings
):
    s = await _sessions(add_session)
    await publish_agenda(event=conference)
    anna = (await register(conference, email="anna@example.org")).registration
    bert = (await register(conference, email="bert@example.org")).registration
    await set_session_picks(registration=anna, session_ids=[s["S"].id])
    await _deliver(smtp)
    (picked,) = [m for m in smtp.to("anna@example.org") if m["Subject"].startswith("Your sessions")]
    uid = personal_session_uid(s["S"], anna, settings.host)
    invited = _read(calendar_parts(picked)[0].get_content(), "REQUEST")
    smtp.received.clear()

    await update_event(slug=conference.slug, patch=EventPatch(status=EventStatus.CANCELLED))
    assert await _deliver(smtp) == 2
    (to_anna,) = smtp.to("anna@example.org")
    (part,) = calendar_parts(to_anna)
    gone = _read(part.get_content(), "CANCEL")
    assert list(gone) == [invite_uid(conference, anna, settings.host), uid]
    assert gone[uid][0] > invited[uid][0] and gone[uid][2] == "CANCELLED"
    files = _attachments(to_anna)
    assert sorted(files) == ["cancel.ics", "invite.ics"] and list(_read(files["cancel.ics"], "CANCEL")) == [uid]
    assert "This session you had a place in is cancelled with it:" in text_of(to_anna)
    assert JOIN not in _everything(to_anna)

    (to_bert,) = smtp.to("bert@example.org")  # no sessions: the event's CANCEL only
    assert list(_read(calendar_parts(to_bert)[0].get_content(), "CANCEL")) == [
        invite_uid(conference, bert, settings.host)
    ]
    assert sorted(_attachments(to_bert)) == ["invite.ics"] and "cancelled with it" not in text_of(to_bert)
