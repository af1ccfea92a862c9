"""Checking people in: the answer to a scan is decided here, on the server, and logged.

A code is looked up by its exact secret (see :mod:`events_app.badges.tickets`). The answers:
``checked_in`` and ``already_checked_in`` (a repeated scan is harmless), or a refusal:
``ticket_not_valid`` (unknown, forged, malformed or replaced), ``wrong_event``,
``ticket_cancelled``, ``not_confirmed`` (still on the waiting list). Two desks scanning one
ticket at the same moment race on the unique registration column of ``checkin``: exactly one
insert wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from events_app.auth.models import User
from events_app.badges.tickets import find_by_code, normalise_code
from events_app.checkin.models import CheckIn, CheckInAction, CheckInLog, CheckInSource
from events_app.clock import utcnow
from events_app.errors import Conflict, NotFound, ServiceError
from events_app.events.models import Event, EventStatus
from events_app.registration.models import Registration, RegistrationStatus


class TicketNotValid(ServiceError):
    status_code = 404
    code = "ticket_not_valid"


class WrongEvent(ServiceError):
    status_code = 409
    code = "wrong_event"


class TicketCancelled(ServiceError):
    status_code = 409
    code = "ticket_cancelled"


class NotConfirmed(ServiceError):
    status_code = 409
    code = "not_confirmed"


@dataclass(frozen=True)
class CheckInResult:
    status: str  # "checked_in" | "already_checked_in"
    registration: Registration
    checkin: CheckIn

    @property
    def created(self) -> bool:
        return self.status == "checked_in"


def _desk(desk: str) -> str:
    return " ".join(str(desk or "").split())[:60]


async def _log(event: Event, registration: Registration | None, action: CheckInAction, *, desk: str,
               source: CheckInSource, user: User | None, now: datetime, reason: str = "",
               nonce: str | None = None) -> None:
    await CheckInLog.create(event_id=event.id, registration=registration, action=action, reason=reason, desk=desk,
                            source=source, user=user, nonce=nonce, at=now)


async def _refuse(event: Event, registration: Registration | None, error: ServiceError, *, desk: str,
                  source: CheckInSource, user: User | None, now: datetime) -> ServiceError:
    await _log(event, registration, CheckInAction.REFUSED, reason=error.code, desk=desk, source=source, user=user,
               now=now)
    return error


def _check_registration(event: Event, registration: Registration | None) -> ServiceError | None:
    if registration is None:
        return TicketNotValid("This code is not a valid ticket.")
    if registration.event_id != event.id:  # type: ignore[attr-defined]
        other = registration.event
        if other.status == EventStatus.DRAFT:  # a draft's title is not for the door team
            return WrongEvent("This ticket is for another event.")
        return WrongEvent(f"This ticket is for another event: {other.title}.")
    if registration.status == RegistrationStatus.CANCELLED:
        return TicketCancelled(f"{registration.name}'s registration was cancelled.")
    if registration.status != RegistrationStatus.CONFIRMED:
        return NotConfirmed(f"{registration.name} is on the waiting list, not confirmed.")
    return None


async def _insert(event: Event, registration: Registration, *, desk: str, source: CheckInSource,
                  user: User | None, now: datetime, nonce: str | None) -> CheckIn:
    if nonce is None:  # the common case, two statements: the check-in row decides, the log follows
        row = await CheckIn.create(event_id=event.id, registration_id=registration.id, checked_in_at=now,
                                   desk=desk, source=source, user=user)
        await _log(event, registration, CheckInAction.CHECKED_IN, desk=desk, source=source, user=user, now=now)
        return row
    async with in_transaction() as conn:  # an offline scan: its nonce and the check-in count together
        row = await CheckIn.create(event_id=event.id, registration_id=registration.id, checked_in_at=now,
                                   desk=desk, source=source, user=user, using_db=conn)
        await CheckInLog.create(event_id=event.id, registration_id=registration.id,
                                action=CheckInAction.CHECKED_IN, desk=desk, source=source, user=user,
                                nonce=nonce, at=now, using_db=conn)
    return row


async def admit(*, event: Event, registration: Registration, desk: str, source: CheckInSource,
                user: User | None, now: datetime | None = None, nonce: str | None = None) -> CheckInResult:
    """Check a confirmed registration in, or report the existing check-in (idempotent).

    The insert that loses a race reads the winner's row; when that row is gone again (an
    organiser's undo in between), the insert is simply tried again.
    """
    now = now or utcnow()
    desk = _desk(desk)
    for _ in range(3):
        try:
            row = await _insert(event, registration, desk=desk, source=source, user=user, now=now, nonce=nonce)
            return CheckInResult("checked_in", registration, row)
        except IntegrityError:
            existing = await CheckIn.filter(registration_id=registration.id).first()
            if existing is not None:
                await _log(event, registration, CheckInAction.ALREADY, desk=desk, source=source, user=user,
                           now=now, nonce=nonce)
                return CheckInResult("already_checked_in", registration, existing)
            if nonce is not None and await CheckInLog.filter(nonce=nonce).exists():
                raise  # the nonce was the duplicate (an offline scan uploaded twice)
    raise Conflict("This ticket is being checked in and undone at the same time: scan it again.")


async def check_in_code(*, event: Event, code: str, desk: str, user: User | None,
                        source: CheckInSource = CheckInSource.SCAN, now: datetime | None = None) -> CheckInResult:
    """Check in whoever's ticket ``code`` is, at ``event``; refusals raise (4xx) and are logged."""
    now = now or utcnow()
    desk = _desk(desk)
    canonical = normalise_code(code)
    registration = await find_by_code(canonical) if canonical else None
    problem = _check_registration(event, registration)
    if problem is not None:
        raise await _refuse(event, registration, problem, desk=desk, source=source, user=user, now=now)
    assert registration is not None
    return await admit(event=event, registration=registration, desk=desk, source=source, user=user, now=now)


async def check_in_registration(*, event: Event, registration_id: int, desk: str, user: User | None,
                                now: datetime | None = None) -> CheckInResult:
    """Check in a person found by name or email at the desk (no code)."""
    now = now or utcnow()
    registration = await Registration.filter(id=registration_id, event_id=event.id).prefetch_related(
        "event", "organisation").first() if 0 < registration_id <= 2**31 - 1 else None
    if registration is None:
        raise NotFound("No such registration at this event.")
    problem = _check_registration(event, registration)
    if problem is not None:
        raise await _refuse(event, registration, problem, desk=_desk(desk), source=CheckInSource.SEARCH, user=user,
                            now=now)
    return await admit(event=event, registration=registration, desk=desk, source=CheckInSource.SEARCH, user=user,
                       now=now)


async def undo_check_in(*, event: Event, registration_id: int, user: User | None,
                        now: datetime | None = None) -> Registration:
    """Organiser: take a check-in back (a mistaken scan); the person can be checked in again."""
    now = now or utcnow()
    registration = await Registration.filter(id=registration_id, event_id=event.id).first() \
        if 0 < registration_id <= 2**31 - 1 else None
    if registration is None:
        raise NotFound("No such registration at this event.")
    async with in_transaction() as conn:
        deleted = await CheckIn.filter(registration_id=registration.id).using_db(conn).delete()
        if not deleted:
            raise Conflict(f"{registration.name} is not checked in.")
        await CheckInLog.create(event_id=event.id, registration_id=registration.id, action=CheckInAction.UNDONE,
                                source=CheckInSource.SEARCH, user=user, at=now, using_db=conn)
    return registration


@dataclass(frozen=True)
class Counts:
    checked_in: int
    expected: int
    per_hour: list[tuple[str, int]]  # local "HH:00" of the event's zone -> check-ins, today's hours so far

    @property
    def percent(self) -> int:
        return 0 if not self.expected else round(100 * self.checked_in / self.expected)


async def checkin_counts(*, event: Event, now: datetime | None = None, hours: int = 12) -> Counts:
    """Checked in / expected (confirmed), and check-ins per hour for the last ``hours`` hours."""
    now = now or utcnow()
    checked_in = await CheckIn.filter(event_id=event.id, registration__status=RegistrationStatus.CONFIRMED).count()
    expected = await Registration.filter(event_id=event.id, status=RegistrationStatus.CONFIRMED).count()
    zone = ZoneInfo(event.timezone)
    # whole hours stepped in UTC (a DST night has 23 or 25 of them), each labelled in the event's zone
    end = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    starts = [end - timedelta(hours=hours - h) for h in range(hours)]
    stamps = await CheckIn.filter(event_id=event.id, checked_in_at__gte=starts[0]).values_list(
        "checked_in_at", flat=True)
    counts = [0] * hours
    for stamp in stamps:
        index = int((stamp.astimezone(UTC) - starts[0]).total_seconds() // 3600)
        if 0 <= index < hours:
            counts[index] += 1
    buckets = {}
    for start, count in zip(starts, counts, strict=True):
        label = start.astimezone(zone).strftime("%H:%M")  # "02:00" twice in autumn: the second is "02:00 (2)"
        buckets[label if label not in buckets else f"{label} (2)"] = count
    return Counts(checked_in, expected, list(buckets.items()))


async def recent_checkins(*, event: Event, limit: int = 10) -> list[CheckIn]:
    """The latest check-ins at the event, newest first, with the person and organisation."""
    return list(await CheckIn.filter(event_id=event.id).order_by("-checked_in_at", "-id").limit(limit)
                .prefetch_related("registration__organisation"))


@dataclass(frozen=True)
class Found:
    registration: Registration
    checkin: CheckIn | None


async def search_attendees(*, event: Event, query: str, limit: int = 20) -> list[Found]:
    """People of the event whose name, email or organisation contains ``query`` (at least 2 characters)."""
    query = " ".join(str(query).replace("\x00", "").split())[:100]
    if len(query) < 2:
        return []
    from tortoise.expressions import Q

    rows = list(await Registration.filter(event_id=event.id).filter(
        Q(name__icontains=query) | Q(email__icontains=query) | Q(organisation__name__icontains=query)
    ).order_by("name", "id").limit(limit).prefetch_related("organisation"))
    checkins = {c.registration_id: c for c in await CheckIn.filter(  # type: ignore[attr-defined]
        registration_id__in=[r.id for r in rows])}
    return [Found(r, checkins.get(r.id)) for r in rows]
