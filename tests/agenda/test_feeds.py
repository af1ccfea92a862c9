"""Acceptance 4: the public and personal feeds read right in icalendar (the writer) and in
two independent readers, vobject and khal, on both sides of a daylight-saving change;
the public feed never holds a join URL; UIDs are stable and SEQUENCE grows."""

from __future__ import annotations

import calendar as month_calendar
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import vobject
from icalendar import Calendar

from events_app.agenda.feed_tokens import feed_token, revoke_feed
from events_app.agenda.feeds import forget_feeds
from events_app.agenda.picks import set_session_picks
from events_app.agenda.public import forget_public_agendas
from events_app.agenda.schemas import RoomInput, SessionInput, SessionPatch, SpeakerInput
from events_app.agenda.service import (
    cancel_session,
    create_room,
    create_session,
    create_speaker,
    publish_agenda,
    update_session,
)
from events_app.calendar.invite import invite_uid
from events_app.clock import utcnow
from events_app.registration.models import Registration
from events_app.registration.service import cancel_registration
from tests.calendar.readers import KHAL, khal_printics

YEAR = utcnow().year + 1
ZONE = ZoneInfo("Europe/Brussels")
SESSION_JOIN = "https://meet.example.org/j/session-secret-42"
EVENT_JOIN = "https://meet.example.org/j/event-secret-77"


def _last_sunday_of_october() -> int:
    return max(week[6] for week in month_calendar.monthcalendar(YEAR, 10))


SUNDAY = _last_sunday_of_october()  # summer time ends at 03:00 that morning


def local(day: int, hhmm: str) -> datetime:
    """Wall-clock time in Brussels, ``day`` days after the Saturday before the change."""
    h, m = map(int, hhmm.split(":"))
    return datetime(YEAR, 10, SUNDAY - 1, h, m, tzinfo=ZONE) + timedelta(days=day)


def utc(day: int, hhmm: str) -> datetime:
    """A UTC instant, ``day`` days after that Saturday (written out, not derived from the zone)."""
    h, m = map(int, hhmm.split(":"))
    return datetime(YEAR, 10, SUNDAY - 1, h, m, tzinfo=UTC) + timedelta(days=day)


def khal_time(day: int, hhmm: str) -> str:
    return f"{utc(day, hhmm):%Y-%m-%d %H:%M}"


@pytest.fixture(autouse=True)
def cold_caches():
    forget_public_agendas()
    forget_feeds()
    yield
    forget_public_agendas()
    forget_feeds()


@pytest.fixture
async def autumn(make_event):
    """Saturday 08:00 to Monday 17:00 around the end of summer time, with a room and a speaker."""
    event = await make_event(
        kind="conference", capacity=50, starts_at=local(0, "08:00").astimezone(UTC), ends_at=local(2, "17:00").astimezone(UTC)
    )
    await create_room(event=event, data=RoomInput(name="Hall 1", seats=50))
    speaker = await create_speaker(event=event, data=SpeakerInput(name="Ana Ruiz", organisation="City of Barcelona", country="ES"))

    async def add(title: str, day: int, start: str, end: str, **extra):  # type: ignore[no-untyped-def]
        data = {"title": title, "kind": "workshop", "starts_at": local(day, start), "ends_at": local(day, end), **extra}
        return (await create_session(event=event, data=SessionInput(**data))).draft

    sessions = {
        "summer": await add("Summer-time workshop", 0, "10:00", "11:00", room="Hall 1", speakers=[speaker.id]),
        "winter": await add("Winter-time workshop", 2, "10:00", "11:30", room="Hall 1"),
        "online": await add("Online clinic", 0, "14:00", "15:00", kind="webinar", online_url=SESSION_JOIN),
        "dropped": await add("Dropped session", 1, "10:00", "11:00", room="Hall 1"),
    }
    await publish_agenda(event=event)
    await cancel_session(event=event, session_id=sessions["dropped"].id)
    await publish_agenda(event=event)
    sessions["draft"] = await add("Unpublished idea", 1, "14:00", "15:00")
    return event, sessions


def renamed(ics: str, zone: str = "Europe/Brussels") -> str:
    """The text with its TZID renamed so that a reader must use our VTIMEZONE's rules."""
    return ics.replace(zone, f"X-Renamed-{uuid.uuid4().hex}")


def unfolded(ics: str) -> str:
    return ics.replace("\r\n ", "")


def _khal(tmp_path: Path, ics: str, name: str) -> list[str]:
    return khal_printics(tmp_path, ics, name).splitlines()


async def test_public_feed_reads_right_in_icalendar_and_vobject(client, settings, autumn):
    event, sessions = autumn
    response = await client.get(f"/events/{event.slug}/calendar.ics")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert response.headers["etag"] and response.headers["last-modified"].endswith("GMT")
    assert "max-age" in response.headers["cache-control"]
    ics = response.text

    cal = Calendar.from_ical(ics)
    assert "METHOD" not in cal
    assert str(cal["X-WR-CALNAME"]) == f"{event.title}: agenda"
    (vtimezone,) = cal.walk("VTIMEZONE")
    assert str(vtimezone["TZID"]) == "Europe/Brussels"
    assert "RDATE" not in unfolded(ics)
    assert {str(part["RRULE"].to_ical().decode()) for part in vtimezone.subcomponents} == {
        "FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3", "FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10",
    }
    vevents = {str(v["SUMMARY"]): v for v in cal.walk("VEVENT")}
    assert set(vevents) == {"Summer-time workshop", "Winter-time workshop", "Online clinic", "Dropped session"}
    for name in ("summer", "winter", "online", "dropped"):
        session = sessions[name].session
        vevent = vevents[session.title]
        assert str(vevent["UID"]) == f"session-{session.uid}@{settings.host}"
        assert vevent["DTSTAMP"].dt.tzinfo is not None
        assert vevent["DTSTART"].params["TZID"] == "Europe/Brussels"
    assert vevents["Summer-time workshop"]["DTSTART"].dt.astimezone(UTC) == utc(0, "08:00")
    assert vevents["Winter-time workshop"]["DTSTART"].dt.astimezone(UTC) == utc(2, "09:00")
    assert str(vevents["Dropped session"]["STATUS"]) == "CANCELLED"
    assert int(vevents["Dropped session"]["SEQUENCE"]) == 1
    assert str(vevents["Summer-time workshop"]["STATUS"]) == "CONFIRMED"
    assert "Ana Ruiz (City of Barcelona)" in str(vevents["Summer-time workshop"]["DESCRIPTION"])
    assert "meet.example.org" not in str(vevents["Online clinic"].get("LOCATION", ""))

    # vobject: the zone as named by IANA, and renamed so that only our VTIMEZONE counts
    for text in (ics, renamed(ics)):
        parsed = vobject.readOne(text)
        starts = {v.summary.value: (v.dtstart.value, v.dtend.value) for v in parsed.vevent_list}
        summer_start, summer_end = starts["Summer-time workshop"]
        winter_start, winter_end = starts["Winter-time workshop"]
        assert (summer_start.hour, summer_start.minute, summer_end.hour) == (10, 0, 11)
        assert summer_start.utcoffset() == timedelta(hours=2)
        assert (winter_start.hour, winter_start.minute, winter_end.hour, winter_end.minute) == (10, 0, 11, 30)
        assert winter_start.utcoffset() == timedelta(hours=1)
        assert winter_start.astimezone(UTC) == utc(2, "09:00")


@pytest.mark.skipif(KHAL is None, reason="khal is not installed (Debian package `khal`; .ci/run installs it)")
async def test_khal_reads_the_public_and_personal_feeds(client, autumn, register, tmp_path):
    event, sessions = autumn
    ics = (await client.get(f"/events/{event.slug}/calendar.ics")).text
    expected = sorted([
        f"{khal_time(0, '08:00')}|{khal_time(0, '09:00')}|Summer-time workshop",
        f"{khal_time(0, '12:00')}|{khal_time(0, '13:00')}|Online clinic",
        f"{khal_time(1, '09:00')}|{khal_time(1, '10:00')}|Dropped session",
        f"{khal_time(2, '09:00')}|{khal_time(2, '10:30')}|Winter-time workshop",
    ])
    for text, name in ((ics, "public.ics"), (renamed(ics), "public-renamed.ics")):
        lines = _khal(tmp_path, text, name)
        assert lines[0] == f"4 events found in {tmp_path / name}"
        assert sorted(lines[1:]) == expected

    registration = (await register(event)).registration
    await set_session_picks(registration=registration, session_ids=[sessions["summer"].id, sessions["winter"].id])
    personal = (await client.get(f"/calendar/{feed_token(registration)}.ics")).text
    lines = _khal(tmp_path, renamed(personal), "personal.ics")
    assert lines[0].startswith("3 events found")
    assert sorted(lines[1:]) == sorted([
        f"{khal_time(0, '06:00')}|{khal_time(2, '16:00')}|{event.title}",
        f"{khal_time(0, '08:00')}|{khal_time(0, '09:00')}|Summer-time workshop",
        f"{khal_time(2, '09:00')}|{khal_time(2, '10:30')}|Winter-time workshop",
    ])


async def test_no_join_url_in_public_feeds_of_online_sessions_and_online_events(client, make_event, autumn):
    event, sessions = autumn
    public = await client.get(f"/events/{event.slug}/calendar.ics")
    assert SESSION_JOIN not in unfolded(public.text) and "session-secret" not in unfolded(public.text)
    single = await client.get(f"/events/{event.slug}/sessions/{sessions['online'].id}.ics")
    assert SESSION_JOIN not in unfolded(single.text)

    webinar = await make_event(kind="webinar", is_online=True, online_url=EVENT_JOIN, venue_name="", venue_address="")
    session = (await create_session(event=webinar, data=SessionInput(
        title="Live demo", kind="webinar", starts_at=webinar.starts_at + timedelta(hours=1),
        ends_at=webinar.starts_at + timedelta(hours=2), online_url=SESSION_JOIN,
    ))).draft
    await publish_agenda(event=webinar)
    for path in (
        f"/events/{webinar.slug}/calendar.ics",
        f"/events/{webinar.slug}/sessions/{session.id}.ics",
        f"/events/{webinar.slug}/agenda",
        f"/events/{webinar.slug}/sessions/{session.id}",
    ):
        text = unfolded((await client.get(path)).text)
        assert EVENT_JOIN not in text and SESSION_JOIN not in text and "meet.example.org" not in text, path
    assert "Live demo" in (await client.get(f"/events/{webinar.slug}/calendar.ics")).text


async def test_uid_stable_across_publishes_and_sequence_grows_after_a_move(client, autumn):
    event, sessions = autumn
    winter = sessions["winter"].session

    def entry(ics: str) -> tuple[str, int, datetime]:
        (vevent,) = [v for v in Calendar.from_ical(ics).walk("VEVENT") if str(v["SUMMARY"]) == winter.title]
        return str(vevent["UID"]), int(vevent["SEQUENCE"]), vevent["DTSTART"].dt

    first = await client.get(f"/events/{event.slug}/calendar.ics")
    uid, sequence, start = entry(first.text)
    assert sequence == 0
    again = await client.get(f"/events/{event.slug}/calendar.ics", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.text == ""

    await update_session(event=event, session_id=winter.id, patch=SessionPatch(starts_at=local(2, "13:00"), ends_at=local(2, "14:00")))
    unpublished = await client.get(f"/events/{event.slug}/calendar.ics")
    assert entry(unpublished.text) == (uid, 0, start)  # pending edits stay out of the feed
    assert "Unpublished idea" not in unpublished.text  # and so do drafts
    await publish_agenda(event=event)
    moved = await client.get(f"/events/{event.slug}/calendar.ics", headers={"If-None-Match": first.headers["etag"]})
    assert moved.status_code == 200 and moved.headers["etag"] != first.headers["etag"]
    new_uid, new_sequence, new_start = entry(moved.text)
    assert new_uid == uid and new_sequence == sequence + 1
    assert new_start.astimezone(UTC) == utc(2, "12:00")
    assert "Unpublished idea" in moved.text  # published with the move
    await update_session(event=event, session_id=sessions["summer"].id, patch=SessionPatch(description="More detail."))
    await publish_agenda(event=event)  # another publish that leaves this session alone
    later = await client.get(f"/events/{event.slug}/calendar.ics")
    assert entry(later.text) == (uid, 1, new_start)


async def test_personal_feed_holds_the_event_and_the_confirmed_picks(client, settings, autumn, register):
    event, sessions = autumn
    person = (await register(event, email="rita@example.org", name="Rita Reader")).registration
    await set_session_picks(registration=person, session_ids=[sessions["summer"].id, sessions["online"].id, sessions["winter"].id])
    # a later cancellation of a picked session shows as CANCELLED; an unpicked one is absent
    await cancel_session(event=event, session_id=sessions["winter"].id)
    await publish_agenda(event=event)

    response = await client.get(f"/calendar/{feed_token(person)}.ics")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert "no-store" in response.headers["cache-control"]
    assert response.headers["referrer-policy"] == "no-referrer"
    ics = response.text
    cal = Calendar.from_ical(ics)
    assert "METHOD" not in cal
    vevents = {str(v["SUMMARY"]): v for v in cal.walk("VEVENT")}
    assert set(vevents) == {event.title, "Summer-time workshop", "Online clinic", "Winter-time workshop"}
    assert str(vevents[event.title]["UID"]) == invite_uid(event, person, settings.host)
    for name in ("summer", "online", "winter"):
        session = sessions[name].session
        assert str(vevents[session.title]["UID"]) == f"session-{session.uid}-registration-{person.uid}@{settings.host}"
    assert str(vevents["Winter-time workshop"]["STATUS"]) == "CANCELLED"
    assert int(vevents["Winter-time workshop"]["SEQUENCE"]) == 1
    # the join link of the picked online session, for this confirmed person only
    assert SESSION_JOIN in str(vevents["Online clinic"]["DESCRIPTION"])
    assert SESSION_JOIN in str(vevents["Online clinic"]["LOCATION"])
    assert unfolded(ics).count(SESSION_JOIN) == 2

    # vobject reads the same wall-clock times (renamed zone: our rules only)
    parsed = vobject.readOne(renamed(ics))
    starts = {v.summary.value: v.dtstart.value for v in parsed.vevent_list}
    assert (starts["Summer-time workshop"].hour, starts["Summer-time workshop"].utcoffset()) == (10, timedelta(hours=2))
    assert (starts["Winter-time workshop"].hour, starts["Winter-time workshop"].utcoffset()) == (10, timedelta(hours=1))

    # someone who did not pick the online session never gets its link
    other = (await register(event)).registration
    await set_session_picks(registration=other, session_ids=[sessions["summer"].id])
    other_ics = unfolded((await client.get(f"/calendar/{feed_token(other)}.ics")).text)
    assert SESSION_JOIN not in other_ics and "Online clinic" not in other_ics


async def test_personal_feed_sequence_follows_session_and_pick(client, autumn, register):
    event, sessions = autumn
    person = (await register(event)).registration
    summer = sessions["summer"]
    await set_session_picks(registration=person, session_ids=[summer.id])
    await set_session_picks(registration=person, session_ids=[])
    gone = (await client.get(f"/calendar/{feed_token(person)}.ics")).text
    assert "Summer-time workshop" not in gone  # a dropped place leaves the feed
    await set_session_picks(registration=person, session_ids=[summer.id])  # back: pick sequence 2
    await update_session(event=event, session_id=summer.id, patch=SessionPatch(starts_at=local(0, "11:00"), ends_at=local(0, "12:00")))
    await publish_agenda(event=event)  # session sequence 1
    cal = Calendar.from_ical((await client.get(f"/calendar/{feed_token(person)}.ics")).text)
    (vevent,) = [v for v in cal.walk("VEVENT") if str(v["SUMMARY"]) == "Summer-time workshop"]
    assert int(vevent["SEQUENCE"]) == 3


async def test_online_event_join_link_only_for_a_confirmed_registration(client, make_event, register):
    webinar = await make_event(kind="webinar", capacity=1, is_online=True, online_url=EVENT_JOIN, venue_name="", venue_address="")
    confirmed = (await register(webinar)).registration
    waiting = (await register(webinar)).registration
    assert waiting.status == "waitlisted"
    mine = unfolded((await client.get(f"/calendar/{feed_token(confirmed)}.ics")).text)
    assert EVENT_JOIN in mine
    theirs = unfolded((await client.get(f"/calendar/{feed_token(waiting)}.ics")).text)
    assert EVENT_JOIN not in theirs and "(waiting list)" in theirs and "STATUS:TENTATIVE" in theirs


async def test_revoked_forged_and_malformed_tokens_are_404(client, autumn, register):
    event, _ = autumn
    person = (await register(event)).registration
    token = feed_token(person)
    assert (await client.get(f"/calendar/{token}.ics")).status_code == 200
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    for bad in (forged, "nonsense", "a" * 500, f"{uuid.uuid4().hex}-0-{'A' * 22}"):
        assert (await client.get(f"/calendar/{bad}.ics")).status_code == 404, bad
    await revoke_feed(registration_id=person.id)
    assert (await client.get(f"/calendar/{token}.ics")).status_code == 404
    fresh = await Registration.get(id=person.id)
    assert (await client.get(f"/calendar/{feed_token(fresh)}.ics")).status_code == 200


PLENARY_JOIN = "https://meet.example.org/j/plenary-live-9"


async def _livestream(event, title: str = "Opening plenary (livestream)", day: int = 0):  # type: ignore[no-untyped-def]
    """An online plenary: no sign-up, its join link for every confirmed attendee."""
    data = SessionInput(
        title=title, kind="plenary", starts_at=local(day, "09:00"), ends_at=local(day, "09:45"), online_url=PLENARY_JOIN,
    )
    draft = (await create_session(event=event, data=data)).draft
    await publish_agenda(event=event)
    return draft


async def test_open_online_session_with_its_link_in_every_confirmed_personal_feed(client, settings, autumn, register):
    event, sessions = autumn
    live = await _livestream(event)
    person = (await register(event)).registration  # picked nothing
    ics = unfolded((await client.get(f"/calendar/{feed_token(person)}.ics")).text)
    vevents = {str(v["SUMMARY"]): v for v in Calendar.from_ical(ics).walk("VEVENT")}
    assert set(vevents) == {event.title, "Opening plenary (livestream)"}
    entry = vevents["Opening plenary (livestream)"]
    assert str(entry["UID"]) == f"session-{live.session.uid}-registration-{person.uid}@{settings.host}"
    assert PLENARY_JOIN in str(entry["DESCRIPTION"]) and PLENARY_JOIN in str(entry["LOCATION"])
    assert str(entry["STATUS"]) == "CONFIRMED"
    # never in the public feeds and pages
    for path in (f"/events/{event.slug}/calendar.ics", f"/events/{event.slug}/sessions/{live.id}.ics",
                 f"/events/{event.slug}/agenda", f"/events/{event.slug}/sessions/{live.id}"):
        assert PLENARY_JOIN not in unfolded((await client.get(path)).text), path
    # cancelled by the organisers: stays in the personal feed as CANCELLED, without its link
    await cancel_session(event=event, session_id=live.id)
    await publish_agenda(event=event)
    ics = unfolded((await client.get(f"/calendar/{feed_token(person)}.ics")).text)
    (entry,) = [v for v in Calendar.from_ical(ics).walk("VEVENT") if str(v["SUMMARY"]) == live.title]
    assert str(entry["STATUS"]) == "CANCELLED" and int(entry["SEQUENCE"]) == 1
    assert PLENARY_JOIN not in ics


async def test_open_online_session_not_in_a_waitlisted_persons_feed(client, make_event, register):
    event = await make_event(kind="conference", capacity=1, starts_at=local(0, "08:00").astimezone(UTC), ends_at=local(2, "17:00").astimezone(UTC))
    await _livestream(event)
    await register(event)
    waiting = (await register(event)).registration
    assert waiting.status == "waitlisted"
    ics = unfolded((await client.get(f"/calendar/{feed_token(waiting)}.ics")).text)
    assert PLENARY_JOIN not in ics and "livestream" not in ics


async def test_cancelled_registration_feed_cancels_every_entry(client, settings, autumn, register):
    """Calendar apps keep a feed's entries until the feed says otherwise: a cancelled
    registration's feed answers, with the event and every session CANCELLED and no join link."""
    event, sessions = autumn
    live = await _livestream(event)
    person = (await register(event)).registration
    await set_session_picks(registration=person, session_ids=[sessions["summer"].id, sessions["online"].id])
    token = feed_token(person)
    before = Calendar.from_ical((await client.get(f"/calendar/{token}.ics")).text)
    sequences = {str(v["UID"]): int(v["SEQUENCE"]) for v in before.walk("VEVENT")}
    assert len(sequences) == 4

    await cancel_registration(registration_id=person.id)
    response = await client.get(f"/calendar/{token}.ics")
    assert response.status_code == 200
    ics = unfolded(response.text)
    assert "meet.example.org" not in ics
    vevents = {str(v["SUMMARY"]): v for v in Calendar.from_ical(ics).walk("VEVENT")}
    assert set(vevents) == {event.title, "Summer-time workshop", "Online clinic", live.title}
    for vevent in vevents.values():
        assert str(vevent["STATUS"]) == "CANCELLED", vevent["SUMMARY"]
        assert int(vevent["SEQUENCE"]) > sequences[str(vevent["UID"])], vevent["SUMMARY"]  # same UIDs, newer
    assert str(vevents[event.title]["UID"]) == invite_uid(event, person, settings.host)
    # vobject reads it too
    assert {v.status.value for v in vobject.readOne(renamed(ics)).vevent_list} == {"CANCELLED"}
    # a revoked URL of a cancelled registration is gone
    await revoke_feed(registration_id=person.id)
    assert (await client.get(f"/calendar/{token}.ics")).status_code == 404


async def test_cancelled_registration_of_an_online_event_loses_the_event_link(client, make_event, register):
    webinar = await make_event(kind="webinar", is_online=True, online_url=EVENT_JOIN, venue_name="", venue_address="")
    person = (await register(webinar)).registration
    assert EVENT_JOIN in unfolded((await client.get(f"/calendar/{feed_token(person)}.ics")).text)
    await cancel_registration(registration_id=person.id)
    ics = unfolded((await client.get(f"/calendar/{feed_token(person)}.ics")).text)
    assert EVENT_JOIN not in ics and "STATUS:CANCELLED" in ics and "Your registration is cancelled." in ics
