"""The rule-based VTIMEZONE, read back by an independent parser (vobject), must give the
same UTC offset as the IANA database on every day of the event's year."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import vobject
from icalendar import Calendar

from events_app.calendar.vtimezone import build_vtimezone
from events_app.clock import utcnow

NEXT_YEAR = utcnow().year + 1
ZONES = [
    "Europe/Brussels",
    "Europe/Vienna",
    "Europe/Lisbon",
    "Europe/Helsinki",
    "Europe/London",
    "Europe/Dublin",  # "negative" daylight saving in tzdata: winter is the exception there
    "Europe/Istanbul",  # no daylight saving
    "Europe/Minsk",  # no daylight saving
    "Atlantic/Azores",  # -01:00 / +00:00
    "America/New_York",  # second Sunday of March, first Sunday of November
    "Australia/Sydney",  # southern hemisphere: daylight saving across New Year
    "Asia/Tokyo",
]


def _vobject_zone(zone_name: str, at: datetime):  # type: ignore[no-untyped-def]
    cal = Calendar()
    cal.add("version", "2.0")
    cal.add("prodid", "-//test//EN")
    cal.add_component(build_vtimezone(zone_name, at))
    parsed = vobject.readOne(cal.to_ical().decode())
    return parsed.vtimezone.gettzinfo()


@pytest.mark.parametrize("zone_name", ZONES)
def test_every_day_of_the_year_has_the_right_offset(zone_name: str) -> None:
    event_start = datetime(NEXT_YEAR, 1, 15, 9, 30, tzinfo=ZoneInfo(zone_name))
    parsed = _vobject_zone(zone_name, event_start)
    zone = ZoneInfo(zone_name)
    day = date(NEXT_YEAR, 1, 1)
    wrong = []
    while day.year == NEXT_YEAR:
        noon = datetime(day.year, day.month, day.day, 12, 0)
        if noon.replace(tzinfo=parsed).utcoffset() != noon.replace(tzinfo=zone).utcoffset():
            wrong.append(day.isoformat())
        day += timedelta(days=1)
    assert wrong == []


@pytest.mark.parametrize("zone_name", ZONES)
def test_rules_start_before_any_event(zone_name: str) -> None:
    """A STANDARD/DAYLIGHT block applies only from its DTSTART: it must precede the event."""
    event_start = datetime(NEXT_YEAR, 1, 2, 9, 30, tzinfo=ZoneInfo(zone_name))
    vtimezone = build_vtimezone(zone_name, event_start)
    starts = [sub["DTSTART"].dt for sub in vtimezone.subcomponents]
    assert starts and all(start < event_start.replace(tzinfo=None) for start in starts)
    assert str(vtimezone["TZID"]) == zone_name


def test_zone_without_dst_uses_the_offset_in_force_at_the_event() -> None:
    """Istanbul was +02/+03 until 2016 and is +03 all year since: the block must say +03."""
    vtimezone = build_vtimezone("Europe/Istanbul", datetime(NEXT_YEAR, 1, 5, 9, 30, tzinfo=UTC))
    (standard,) = vtimezone.subcomponents
    assert standard.name == "STANDARD"
    assert standard["TZOFFSETTO"].td == standard["TZOFFSETFROM"].td == timedelta(hours=3)
    assert "RRULE" not in standard


def test_european_rules_are_the_last_sundays_of_march_and_october() -> None:
    vtimezone = build_vtimezone("Europe/Brussels", datetime(NEXT_YEAR, 6, 1, tzinfo=UTC))
    rules = {sub.name: sub["RRULE"] for sub in vtimezone.subcomponents}
    assert rules["DAYLIGHT"]["BYMONTH"] == [3] and rules["DAYLIGHT"]["BYDAY"] == ["-1SU"]
    assert rules["STANDARD"]["BYMONTH"] == [10] and rules["STANDARD"]["BYDAY"] == ["-1SU"]
    daylight = next(sub for sub in vtimezone.subcomponents if sub.name == "DAYLIGHT")
    assert daylight["DTSTART"].dt == datetime(1970, 3, 29, 2, 0)  # the rule's own first day
    assert daylight["TZOFFSETFROM"].td == timedelta(hours=1) and daylight["TZOFFSETTO"].td == timedelta(hours=2)
