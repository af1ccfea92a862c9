"""Acceptance 4: the invites read the same in icalendar (which wrote them) and in two
independent readers, vobject and khal, across zones and both sides of daylight saving."""

from __future__ import annotations

import calendar as month_calendar
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import vobject
from icalendar import Calendar

from events_app.calendar.invite import invite_uid
from events_app.clock import utcnow
from events_app.notifications.models import OutboxMessage
from events_app.notifications.service import render_outbox_message
from events_app.registration.service import cancel_registration
from tests.calendar.readers import KHAL, khal_printics

YEAR = utcnow().year + 1  # always in the future, January included


def renamed(ics: str, zone: str) -> tuple[str, str]:
    """The invite with its TZID replaced by a name no tz database knows, so a reader must use
    our VTIMEZONE rules. Unique per call: vobject keeps the first VTIMEZONE of each TZID
    for the rest of the process."""
    tzid = f"X-Renamed-{uuid.uuid4().hex}"
    return ics.replace(zone, tzid), tzid


def _last_sunday(month: int) -> int:
    return max(week[6] for week in month_calendar.monthcalendar(YEAR, month))


@dataclass(frozen=True)
class Case:
    zone: str
    local: datetime  # naive wall-clock start in the zone
    offset_hours: float  # written out by hand, not derived from zoneinfo

    @property
    def start(self) -> datetime:
        return self.local.replace(tzinfo=ZoneInfo(self.zone))

    @property
    def utc_start(self) -> datetime:
        return (self.local - timedelta(hours=self.offset_hours)).replace(tzinfo=UTC)

    def __str__(self) -> str:
        return f"{self.zone}-{self.local:%m-%d}"


CASES = [
    Case("Europe/Vienna", datetime(YEAR, 1, 12, 9, 30), 1),
    Case("Europe/Vienna", datetime(YEAR, 7, 13, 9, 30), 2),
    Case("Europe/Brussels", datetime(YEAR, 1, 5, 9, 30), 1),  # before the change to summer time
    Case("Europe/Brussels", datetime(YEAR, 7, 6, 14, 0), 2),
    Case("Europe/Brussels", datetime(YEAR, 10, _last_sunday(10), 12, 0), 1),  # the day summer time ends
    Case("Europe/Lisbon", datetime(YEAR, 1, 20, 9, 30), 0),
    Case("Europe/Lisbon", datetime(YEAR, 7, 20, 9, 30), 1),
    Case("Europe/Helsinki", datetime(YEAR, 1, 26, 9, 30), 2),
    Case("Europe/Helsinki", datetime(YEAR, 3, _last_sunday(3), 12, 0), 3),  # the day summer time starts
    Case("Europe/Istanbul", datetime(YEAR, 1, 14, 9, 30), 3),  # no daylight saving
    Case("Europe/Istanbul", datetime(YEAR, 7, 14, 9, 30), 3),
]


async def _confirmation_ics(make_event, register, case: Case, **event_overrides) -> tuple[str, object, object]:  # type: ignore[no-untyped-def]
    event = await make_event(
        timezone=case.zone,
        starts_at=case.start.astimezone(UTC),
        ends_at=(case.start + timedelta(hours=3)).astimezone(UTC),
        **event_overrides,
    )
    outcome = await register(event, email="reader@example.org", name="Rita Reader")
    row = await render_outbox_message(
        await OutboxMessage.get(registration_id=outcome.registration.id, kind="confirmation")
    )
    return row.ics, event, outcome.registration


@pytest.mark.parametrize("case", CASES, ids=str)
async def test_icalendar_and_vobject_agree_on_the_invite(make_event, register, settings, case: Case):
    ics, event, registration = await _confirmation_ics(make_event, register, case)
    uid = invite_uid(event, registration, settings.host)

    # icalendar, the writer
    cal = Calendar.from_ical(ics)
    assert cal["METHOD"] == "REQUEST"
    (vevent,) = cal.walk("VEVENT")
    (vtimezone,) = cal.walk("VTIMEZONE")
    assert str(vevent["UID"]) == uid
    assert isinstance(int(vevent["SEQUENCE"]), int)
    assert str(vevent["ORGANIZER"]) == f"mailto:{settings.mail_from}"
    assert str(vevent["ATTENDEE"]) == "mailto:reader@example.org"
    assert vevent["DTSTART"].params["TZID"] == str(vtimezone["TZID"]) == case.zone
    assert vevent["DTEND"].params["TZID"] == case.zone
    assert vevent["DTSTART"].dt == case.utc_start

    # vobject, independent, with the zone named as IANA does, and renamed so only our rules count
    for text, tzid in ((ics, case.zone), renamed(ics, case.zone)):
        parsed = vobject.readOne(text)
        assert parsed.method.value == "REQUEST"
        assert len(parsed.contents["vevent"]) == 1 and len(parsed.contents["vtimezone"]) == 1
        assert parsed.vtimezone.tzid.value == tzid
        v = parsed.vevent
        assert v.uid.value == uid
        assert int(v.sequence.value) >= 0
        assert v.organizer.value == f"mailto:{settings.mail_from}"
        assert v.attendee.value == "mailto:reader@example.org"
        assert v.attendee.params["CN"] == ["Rita Reader"]
        start = v.dtstart.value
        assert (start.hour, start.minute) == (case.local.hour, case.local.minute)
        assert start.utcoffset() == timedelta(hours=case.offset_hours)
        assert start.astimezone(UTC) == case.utc_start
        assert v.dtend.value.astimezone(UTC) == case.utc_start + timedelta(hours=3)


def test_the_vienna_examples_of_the_brief() -> None:
    """09:30 Vienna in January is 09:30+01:00 = 08:30 UTC; in July 09:30+02:00."""
    january, july = CASES[0], CASES[1]
    assert january.utc_start.strftime("%H:%M") == "08:30"
    assert july.utc_start.strftime("%H:%M") == "07:30"


def _khal(tmp_path: Path, ics: str, name: str) -> str:
    return khal_printics(tmp_path, ics, name, "{start}|{end}|{title}|{location}")


@pytest.mark.skipif(KHAL is None, reason="khal is not installed (Debian package `khal`; .ci/run installs it)")
@pytest.mark.parametrize("case", CASES, ids=str)
async def test_khal_reads_the_same_times(make_event, register, tmp_path: Path, case: Case):
    ics, event, _ = await _confirmation_ics(make_event, register, case, title="Khal check", venue_name="Hall A")
    end = case.utc_start + timedelta(hours=3)
    expected = f"{case.utc_start:%Y-%m-%d %H:%M}|{end:%Y-%m-%d %H:%M}|Khal check|Hall A, Rue de la Loi 1, Brussels"
    for text, name in ((ics, "invite.ics"), (renamed(ics, case.zone)[0], "renamed.ics")):
        lines = _khal(tmp_path, text, name).splitlines()
        assert lines[0] == "1 events found in " + str(tmp_path / name)
        assert lines[1:] == [expected]


async def test_uid_is_stable_per_registration_and_sequence_grows(make_event, register, settings):
    event = await make_event(capacity=5)
    anna = await register(event, email="anna@example.org")
    bruno = await register(event, email="bruno@example.org")
    await cancel_registration(registration_id=anna.registration.id)
    again = await register(event, email="anna@example.org")  # the same registration, reactivated
    assert again.registration.id == anna.registration.id

    def invites(registration_id: int) -> list[tuple[str, str, str, int]]:
        return [
            (row.kind, str(cal["METHOD"]), str(cal.walk("VEVENT")[0]["UID"]), int(cal.walk("VEVENT")[0]["SEQUENCE"]))
            for row in rows
            if row.registration_id == registration_id
            for cal in [Calendar.from_ical(row.ics)]
        ]

    rows = [await render_outbox_message(r) for r in await OutboxMessage.all().order_by("id")]
    anna_invites = invites(anna.registration.id)
    assert [(kind, method) for kind, method, _, _ in anna_invites] == [
        ("confirmation", "REQUEST"), ("cancellation", "CANCEL"), ("confirmation", "REQUEST"),
    ]
    assert {uid for _, _, uid, _ in anna_invites} == {invite_uid(event, anna.registration, settings.host)}
    sequences = [seq for _, _, _, seq in anna_invites]
    assert sequences == sorted(sequences) and len(set(sequences)) == 3
    (bruno_invite,) = invites(bruno.registration.id)
    assert bruno_invite[2] != anna_invites[0][2]


async def test_cancellation_invite_reads_as_cancel_in_vobject(make_event, register, settings):
    event = await make_event()
    outcome = await register(event)
    await cancel_registration(registration_id=outcome.registration.id)
    row = await render_outbox_message(await OutboxMessage.get(kind="cancellation"))
    parsed = vobject.readOne(row.ics)
    assert parsed.method.value == "CANCEL"
    assert parsed.vevent.status.value == "CANCELLED"
    assert parsed.vevent.uid.value == invite_uid(event, outcome.registration, settings.host)
    assert int(parsed.vevent.sequence.value) == 1
