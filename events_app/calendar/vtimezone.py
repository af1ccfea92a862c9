"""A compact, rule-based VTIMEZONE for an IANA zone.

icalendar's ``add_missing_timezones()`` writes a long RDATE list that ical.js
(Thunderbird) and vobject read an hour off. Calendar clients all read the
classic form (the one tzurl.org and Outlook write): one STANDARD and one
DAYLIGHT block, each with a yearly RRULE and a DTSTART in 1970, so the rules
cover any date an event can have, January included.

The rules are derived from the zone's real transitions in the year of the
event (a zone that changed its rules since then still gets the right offsets
for the event); a zone without daylight saving that year gets one fixed
STANDARD block with the offset in force at the event.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard, vRecur

_DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
RULES_FROM = 1970  # DTSTART year of the yearly rules: before any event we will ever write


@lru_cache(maxsize=256)
def _transitions(zone_name: str, year: int) -> tuple[tuple[datetime, timedelta, timedelta], ...]:
    """(UTC instant, offset before, offset after) for each offset change in ``year``.

    Cached: it scans the year hour by hour, and an event update emails every attendee.
    """
    zone = ZoneInfo(zone_name)
    found = []
    moment = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC)
    step = timedelta(hours=1)
    previous = moment.astimezone(zone).utcoffset()
    while moment < end:
        following = moment + step
        offset = following.astimezone(zone).utcoffset()
        if offset != previous:
            lo, hi = moment, following  # narrow to the minute
            while hi - lo > timedelta(minutes=1):
                mid = lo + (hi - lo) / 2
                if mid.astimezone(zone).utcoffset() == previous:
                    lo = mid
                else:
                    hi = mid
            found.append((hi, previous, offset))
            previous = offset
        moment = following
    return tuple(found)  # type: ignore[arg-type]


def _byday(local: datetime) -> tuple[int, int]:
    """(n, weekday) of ``local`` in its month: n = -1 for the last such weekday, else 1..4."""
    if (local + timedelta(days=7)).month != local.month:
        return -1, local.weekday()
    return (local.day - 1) // 7 + 1, local.weekday()


def _nth_weekday(year: int, month: int, n: int, weekday: int) -> int:
    """Day of the month of the ``n``-th (``-1``: last) ``weekday`` of ``month`` in ``year``."""
    days = [week[weekday] for week in calendar.monthcalendar(year, month) if week[weekday]]
    return days[n - 1] if n > 0 else days[-1]


def build_vtimezone(zone_name: str, at: datetime) -> Timezone:
    """VTIMEZONE for ``zone_name`` whose rules give the right offsets at ``at`` and all its year."""
    zone = ZoneInfo(zone_name)
    local = at.astimezone(zone)
    tz = Timezone()
    tz.add("tzid", zone_name)
    changes = _transitions(zone_name, local.year)
    if len(changes) != 2:  # no daylight saving (or an irregular year): the offset at the event
        offset = local.utcoffset()
        std = TimezoneStandard()
        std.add("dtstart", datetime(RULES_FROM, 1, 1))
        std.add("tzoffsetfrom", offset)
        std.add("tzoffsetto", offset)
        std.add("tzname", local.tzname())
        tz.add_component(std)
        return tz
    for instant, before, after in changes:
        local_wall = (instant + before).replace(tzinfo=None)  # wall clock just before the change
        n, weekday = _byday(local_wall)
        first = local_wall.replace(
            year=RULES_FROM, day=_nth_weekday(RULES_FROM, local_wall.month, n, weekday)
        )
        part = TimezoneDaylight() if after > before else TimezoneStandard()
        part.add("dtstart", first)
        part.add("tzoffsetfrom", before)
        part.add("tzoffsetto", after)
        part.add("tzname", (instant + timedelta(minutes=1)).astimezone(zone).tzname())
        part.add("rrule", vRecur(freq="YEARLY", bymonth=local_wall.month, byday=f"{n}{_DAYS[weekday]}"))
        tz.add_component(part)
    return tz
