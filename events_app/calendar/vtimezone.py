"""A compact, rule-based VTIMEZONE for an IANA zone.

icalendar's ``add_missing_timezones()`` writes a long RDATE list that ical.js
(Thunderbird) and vobject read an hour off. Calendar clients all read the
classic form: one STANDARD and one DAYLIGHT block, each with a yearly RRULE.
We derive those rules from the zone's actual transitions in the given year.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard, vRecur

_DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


def _transitions(zone: ZoneInfo, year: int) -> list[tuple[datetime, timedelta, timedelta]]:
    """(UTC instant, offset before, offset after) for each offset change in ``year``."""
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
            found.append((hi, previous, offset))  # type: ignore[arg-type]
            previous = offset
        moment = following
    return found


def _byday(local: datetime) -> str:
    day = _DAYS[local.weekday()]
    next_week = local + timedelta(days=7)
    if next_week.month != local.month:
        return f"-1{day}"
    return f"{(local.day - 1) // 7 + 1}{day}"


def build_vtimezone(zone_name: str, year: int) -> Timezone:
    """VTIMEZONE whose rules start the year before ``year``, so they cover all of ``year``."""
    zone = ZoneInfo(zone_name)
    year -= 1
    tz = Timezone()
    tz.add("tzid", zone_name)
    changes = _transitions(zone, year)
    if len(changes) != 2:  # no daylight saving (or an irregular year): one fixed STANDARD block
        offset = datetime(year, 7, 1, tzinfo=UTC).astimezone(zone).utcoffset()
        std = TimezoneStandard()
        std.add("dtstart", datetime(1970, 1, 1))
        std.add("tzoffsetfrom", offset)
        std.add("tzoffsetto", offset)
        std.add("tzname", datetime(year, 7, 1, tzinfo=UTC).astimezone(zone).tzname())
        tz.add_component(std)
        return tz
    for instant, before, after in changes:
        local_wall = (instant + before).replace(tzinfo=None)  # wall clock just before the change
        part = TimezoneDaylight() if after > before else TimezoneStandard()
        part.add("dtstart", local_wall)
        part.add("tzoffsetfrom", before)
        part.add("tzoffsetto", after)
        part.add("tzname", (instant + timedelta(minutes=1)).astimezone(zone).tzname())
        part.add("rrule", vRecur(freq="YEARLY", bymonth=local_wall.month, byday=_byday(local_wall)))
        tz.add_component(part)
    return tz
