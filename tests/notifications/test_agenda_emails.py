"""Acceptance 3: emails about session places and agenda changes keep attendees' calendars in sync.

Delivered through the real outbox sender to a real SMTP server (aiosmtpd); every invite
is read by icalendar and by vobject (an independent reader).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

import vobject
from icalendar import Calendar

from events_app.agenda.models import AgendaSession
from events_app.agenda.picks import set_session_picks
from events_app.agenda.schemas import SessionInput, SessionPatch
from events_app.agenda.service import cancel_session, create_session, publish_agenda, update_session
from events_app.calendar.sessions import personal_session_uid
from events_app.clock import utcnow
from events_app.notifications.models import OutboxMessage
from events_app.notifications.service import deliver_due_messages, render_outbox_message
from events_app.registration.service import cancel_registration
from tests.agenda import conftest as agenda_fixtures
from tests.agenda.conftest import at
from tests.notifications.conftest import SmtpCapture, calendar_parts, text_of

# The agenda fixtures (an event with rooms, a session factory), shared with tests/agenda.
conference, rooms, add_session = agenda_fixtures.conference, agenda_fixtures.rooms, agenda_fixtures.add_session
JOIN = "https://meet.example.org/workshop-7"


async def _deliver(smtp: SmtpCapture) -> int:
    total = 0
    while sent := await deliver_due_messages(mailer=smtp.mailer()):
        total += sent
    return total


def _attachments(message: EmailMessage) -> dict[str, str]:
    found = {}
    for part in message.walk():
        if part.get_filename():
            found[part.get_filename()] = part.get_content().decode()
    return found


def _read(text: str, method: str) -> dict[str, Any]:
    """Both readers agree; return {uid: (sequence, start, status)} as icalendar reads it."""
    cal = Calendar.from_ical(text)
    assert cal["METHOD"] == method
    assert len(cal.walk("VTIMEZONE")) == 1
    events = {}
    for vevent in cal.walk("VEVENT"):
        assert vevent["DTSTAMP"] and vevent["ORGANIZER"] and vevent["ATTENDEE"]
        assert vevent["DTSTART"].params["TZID"] == "Europe/Brussels"
        events[str(vevent["UID"])] = (int(vevent["SEQUENCE"]), vevent["DTSTART"].dt, str(vevent["STATUS"]))
    # vobject, with the zone renamed so that only our VTIMEZONE rules count
    tzid = f"X-Renamed-{uuid.uuid4().hex}"
    parsed = vobject.readOne(text.replace("Europe/Brussels", tzid))
    assert parsed.method.value == method
    seen = {}
    for v in parsed.contents["vevent"]:
        seen[v.uid.value] = (int(v.sequence.value), v.dtstart.value.astimezone(UTC), v.status.value)
    assert seen == {uid: (seq, start.astimezone(UTC), status) for uid, (seq, start, status) in events.items()}
    return events


async def _sessions(conference, add_session) -> dict[str, AgendaSession]:  # type: ignore[no-untyped-def]
    made = {
        "S": await add_session(title="Green catering", room="Room A", start="10:00", end="11:00"),
        "T": await add_session(title="Clean vehicles", room="Room B", start="14:00", end="15:00"),
        "U": await add_session(title="Circular furniture", room="Room A", day=1, start="10:00", end="11:00"),
    }
    await publish_agenda(event=conference)
    return {name: await AgendaSession.get(id=result.draft.id) for name, result in made.items()}


async def _move(conference, session: AgendaSession, day: int, start: str, end: str, room: str | None = None) -> None:  # type: ignore[no-untyped-def]
    patch: dict[str, Any] = {"starts_at": at(conference, day, start), "ends_at": at(conference, day, end)}
    if room:
        patch["room"] = room
    await update_session(event=conference, session_id=session.id, patch=SessionPatch(**patch))


async def test_moving_and_cancelling_a_picked_session_updates_only_that_persons_calendar(
    conference, rooms, add_session, register, smtp: SmtpCapture, settings
):
    s = await _sessions(conference, add_session)
    anna = (await register(conference, name="Anna Picker", email="anna@example.org")).registration
    bert = (await register(conference, name="Bert Other", email="bert@example.org")).registration
    await set_session_picks(registration=anna, session_ids=[s["S"].id, s["T"].id])
    await set_session_picks(registration=bert, session_ids=[s["U"].id])
    await _deliver(smtp)

    (picked,) = [m for m in smtp.to("anna@example.org") if m["Subject"] == f"Your sessions at {conference.title}"]
    assert "Green catering" in text_of(picked) and "Room A" in text_of(picked)
    assert "(Europe/Brussels time)" in text_of(picked)
    first = _read(calendar_parts(picked)[0].get_content(), "REQUEST")
    uid_s = personal_session_uid(s["S"], anna, settings.host)
    uid_t = personal_session_uid(s["T"], anna, settings.host)
    assert set(first) == {uid_s, uid_t}
    smtp.received.clear()

    # 1. Move S: Anna gets one email, same UID, SEQUENCE + 1; Bert gets nothing.
    await _move(conference, s["S"], 0, "16:00", "17:00", room="Room B")
    summary = await publish_agenda(event=conference)
    assert summary.emails_queued == 1
    assert await _deliver(smtp) == 1
    (update,) = smtp.to("anna@example.org")
    assert smtp.to("bert@example.org") == []
    assert update["Subject"] == "Agenda change: Green catering moved"
    (part,) = calendar_parts(update)
    assert part.get_param("method") == "REQUEST"
    moved = _read(part.get_content(), "REQUEST")
    assert set(moved) == {uid_s}
    assert moved[uid_s][0] == first[uid_s][0] + 1
    assert moved[uid_s][1] == at(conference, 0, "16:00")
    assert _attachments(update) == {"invite.ics": part.get_content()}
    body = text_of(update)
    assert "Before: " in body and "10:00" in body and "Now:    " in body and "16:00" in body and "Room B" in body
    smtp.received.clear()

    # 2. Move both of Anna's sessions in one publish: still one email, one REQUEST with both.
    await _move(conference, s["S"], 0, "09:00", "10:00")
    await _move(conference, s["T"], 1, "15:00", "16:00")
    await publish_agenda(event=conference)
    assert await _deliver(smtp) == 1
    (update,) = smtp.to("anna@example.org")
    assert update["Subject"] == f"Agenda change: 2 of your sessions at {conference.title}"
    both = _read(calendar_parts(update)[0].get_content(), "REQUEST")
    assert both[uid_s][0] == first[uid_s][0] + 2 and both[uid_t][0] == first[uid_t][0] + 1
    assert both[uid_t][1] == at(conference, 1, "15:00")
    smtp.received.clear()

    # 3. Cancel S: METHOD:CANCEL with the same UID and a higher SEQUENCE.
    await cancel_session(event=conference, session_id=s["S"].id)
    await publish_agenda(event=conference)
    assert await _deliver(smtp) == 1
    (cancelled,) = smtp.to("anna@example.org")
    assert cancelled["Subject"] == "Agenda change: Green catering cancelled"
    (part,) = calendar_parts(cancelled)
    assert part.get_param("method") == "CANCEL"
    gone = _read(part.get_content(), "CANCEL")
    assert gone[uid_s][0] > both[uid_s][0] and gone[uid_s][2] == "CANCELLED"
    assert _attachments(cancelled) == {"cancel.ics": part.get_content()}
    assert "Cancelled: Green catering" in text_of(cancelled)
    assert smtp.to("bert@example.org") == []
    # The personal UID never collides with the public one.
    assert not uid_s.startswith(f"session-{s['S'].uid}@")


async def test_one_email_carries_new_places_and_given_up_places(
    conference, rooms, add_session, register, smtp: SmtpCapture, settings
):
    s = await _sessions(conference, add_session)
    anna = (await register(conference, email="anna@example.org")).registration
    await set_session_picks(registration=anna, session_ids=[s["S"].id])
    await _deliver(smtp)
    smtp.received.clear()

    await set_session_picks(registration=anna, session_ids=[s["T"].id, s["U"].id])
    assert await _deliver(smtp) == 1
    (message,) = smtp.to("anna@example.org")
    assert [p.get_content_type() for p in message.walk()] == [
        "multipart/mixed", "multipart/alternative", "text/plain", "text/html", "text/calendar",
        "application/ics", "application/ics", "application/ics",
    ]
    files = _attachments(message)
    # Two new places: one file each (a single UID per object, as CalDAV and Outlook want);
    # the inline invite carries both, so one email updates them together where clients allow.
    assert sorted(files) == ["cancel.ics", "invite-1.ics", "invite-2.ics"]
    (alternative,) = calendar_parts(message)
    assert alternative.get_param("method") == "REQUEST"
    added = _read(alternative.get_content(), "REQUEST")
    assert set(added) == {personal_session_uid(s[n], anna, settings.host) for n in ("T", "U")}
    one_by_one = {uid for name in ("invite-1.ics", "invite-2.ics") for uid in _read(files[name], "REQUEST")}
    assert one_by_one == set(added) and all(len(_read(files[n], "REQUEST")) == 1 for n in ("invite-1.ics", "invite-2.ics"))
    dropped = _read(files["cancel.ics"], "CANCEL")
    assert set(dropped) == {personal_session_uid(s["S"], anna, settings.host)}
    body = text_of(message)
    assert "You have a place in:" in body and "You gave up your place in:" in body
    assert "Green catering" in body.split("You gave up your place in:")[1]


async def test_waitlist_then_promotion_with_a_join_link_only_for_a_confirmed_place(
    conference, rooms, add_session, register, smtp: SmtpCapture
):
    visit = (
        await add_session(title="Online study visit", kind="site_visit", capacity=1, online_url=JOIN, room="Room A")
    ).draft
    await publish_agenda(event=conference)
    anna = (await register(conference, email="anna@example.org")).registration
    bert = (await register(conference, email="bert@example.org")).registration
    await _deliver(smtp)
    smtp.received.clear()  # the confirmations
    await set_session_picks(registration=anna, session_ids=[visit.id])
    await set_session_picks(registration=bert, session_ids=[visit.id])
    await _deliver(smtp)

    (seated,) = smtp.to("anna@example.org")
    assert JOIN in text_of(seated) and JOIN in calendar_parts(seated)[0].get_content()
    (waiting,) = smtp.to("bert@example.org")
    assert "Your place on the waiting list: 1" in text_of(waiting)
    assert calendar_parts(waiting) == [] and _attachments(waiting) == {}
    html = waiting.get_body(preferencelist=("html",))
    assert html is not None and JOIN not in html.get_content() and JOIN not in text_of(waiting)
    smtp.received.clear()

    await set_session_picks(registration=anna, session_ids=[])
    assert await _deliver(smtp) == 2
    (promoted,) = smtp.to("bert@example.org")
    assert promoted["Subject"] == "A place opened up in Online study visit"
    assert JOIN in text_of(promoted)
    invite = calendar_parts(promoted)[0].get_content()
    assert JOIN in invite
    _read(invite, "REQUEST")
    (gave_up,) = smtp.to("anna@example.org")
    (part,) = calendar_parts(gave_up)
    assert part.get_param("method") == "CANCEL" and JOIN not in part.get_content() and JOIN not in text_of(gave_up)


async def test_waitlisted_people_hear_about_a_cancellation_without_an_invite(
    conference, rooms, add_session, register, smtp: SmtpCapture
):
    visit = (await add_session(title="Port visit", kind="site_visit", capacity=1, room="Room A")).draft
    await publish_agenda(event=conference)
    anna = (await register(conference, email="anna@example.org")).registration
    bert = (await register(conference, email="bert@example.org")).registration
    await set_session_picks(registration=anna, session_ids=[visit.id])
    await set_session_picks(registration=bert, session_ids=[visit.id])
    await _deliver(smtp)
    smtp.received.clear()
    await cancel_session(event=conference, session_id=visit.id)
    await publish_agenda(event=conference)
    assert await _deliver(smtp) == 2
    (to_bert,) = smtp.to("bert@example.org")
    assert calendar_parts(to_bert) == [] and "You were on its waiting list." in text_of(to_bert)
    (to_anna,) = smtp.to("anna@example.org")
    assert calendar_parts(to_anna)[0].get_param("method") == "CANCEL"


async def test_a_rename_is_listed_and_updates_the_calendar(conference, rooms, add_session, register):
    s = await _sessions(conference, add_session)
    anna = (await register(conference)).registration
    await set_session_picks(registration=anna, session_ids=[s["S"].id])
    await update_session(event=conference, session_id=s["S"].id, patch=SessionPatch(title="Green and fair catering"))
    await publish_agenda(event=conference)
    row = await render_outbox_message(await OutboxMessage.get(kind="agenda_update"))
    assert '"Green catering" is now called "Green and fair catering"' in row.body_text
    assert "&ldquo;Green catering&rdquo; is now called" in row.body_html
    assert "SUMMARY:Green and fair catering" in row.ics and row.ics_method == "REQUEST"
    assert row.subject == "Agenda change: Green catering renamed"
    assert row.body_text.count("Renamed: ") == 1


async def test_a_rendered_email_keeps_its_calendars_for_every_retry(conference, rooms, add_session, register):
    s = await _sessions(conference, add_session)
    anna = (await register(conference)).registration
    await set_session_picks(registration=anna, session_ids=[s["S"].id])
    first = await render_outbox_message(await OutboxMessage.get(kind="session_picks"))
    assert [c["filename"] for c in first.payload["calendars"]] == ["invite.ics"]
    await _move(conference, s["S"], 0, "16:00", "17:00")
    await publish_agenda(event=conference)
    again = await render_outbox_message(await OutboxMessage.get(id=first.id))
    assert again.ics == first.ics and again.payload == first.payload


def _event_at(local: datetime, zone: str) -> dict[str, Any]:
    start = local.replace(tzinfo=ZoneInfo(zone))
    return {"starts_at": start.astimezone(UTC), "ends_at": (start + timedelta(hours=9)).astimezone(UTC), "timezone": zone}


async def test_summer_and_winter_sessions_read_right_in_vobject(make_event, register, settings):
    year = utcnow().year + 1
    for month, offset in ((1, 1), (7, 2)):
        event = await make_event(kind="conference", capacity=50, **_event_at(datetime(year, month, 14, 8, 0), "Europe/Brussels"))
        local = datetime(year, month, 14, 9, 30, tzinfo=ZoneInfo("Europe/Brussels"))
        session = (
            await create_session(
                event=event,
                data=SessionInput(title=f"Workshop {month}", kind="workshop", starts_at=local, ends_at=local + timedelta(hours=1)),
            )
        ).draft
        await publish_agenda(event=event)
        person = (await register(event)).registration
        await set_session_picks(registration=person, session_ids=[session.id])
        row = await render_outbox_message(await OutboxMessage.get(kind="session_picks", registration_id=person.id))
        tzid = f"X-Renamed-{uuid.uuid4().hex}"
        parsed = vobject.readOne(row.ics.replace("Europe/Brussels", tzid))
        start = parsed.vevent.dtstart.value
        assert (start.hour, start.minute) == (9, 30)
        assert start.utcoffset() == timedelta(hours=offset)  # written out by hand: +01:00 winter, +02:00 summer
        assert start.astimezone(UTC) == datetime(year, month, 14, 9 - offset, 30, tzinfo=UTC)


async def test_a_cancelled_registration_gets_no_join_link_in_a_late_update(
    conference, rooms, add_session, register
):
    session = (await add_session(title="Online lab", online_url=JOIN, room="Room A")).draft
    await publish_agenda(event=conference)
    anna = (await register(conference)).registration
    await set_session_picks(registration=anna, session_ids=[session.id])
    await cancel_registration(registration_id=anna.id)
    row = await render_outbox_message(await OutboxMessage.get(kind="session_picks"))
    assert JOIN not in row.ics and JOIN not in row.body_text and JOIN not in row.body_html


async def test_a_new_join_link_reaches_only_confirmed_places(conference, rooms, add_session, register):
    lab = (await add_session(title="Online lab", capacity=1, online_url=JOIN, room="Room A")).draft
    await publish_agenda(event=conference)
    seated = (await register(conference)).registration
    waiting = (await register(conference)).registration
    await set_session_picks(registration=seated, session_ids=[lab.id])
    await set_session_picks(registration=waiting, session_ids=[lab.id])
    new_link = "https://meet.example.org/workshop-7-new-room"
    await update_session(event=conference, session_id=lab.id, patch=SessionPatch(online_url=new_link))
    await publish_agenda(event=conference)
    (row,) = await OutboxMessage.filter(kind="agenda_update")
    assert row.registration_id == seated.id  # type: ignore[attr-defined]
    row = await render_outbox_message(row)
    assert "Online link changed: Online lab" in row.body_text
    assert row.subject == "Agenda change: new online link for Online lab"
    assert new_link in row.body_text and new_link in row.ics and JOIN + "\n" not in row.body_text
