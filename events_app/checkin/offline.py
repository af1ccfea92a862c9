"""Check-in without the server: the list a second laptop takes offline, and merging its scans back.

The list names each confirmed (and, flagged, each cancelled) person with the SHA-256 of their
ticket code, never the code: a lost laptop gives nobody a ticket. The laptop records each scan
with a nonce of its own; merging checks each scan in at the time it was made (source
``offline``), and a nonce seen before changes nothing, so uploading the same file twice (or
two overlapping files) is harmless. Someone checked in already, online or by an earlier scan,
is reported as a conflict (``already``), with the first check-in's time and desk.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError

from events_app.auth.models import User
from events_app.badges.tickets import (
    CODE_PREFIX,
    code_hash,
    ensure_event_tickets,
    normalise_code,
    ticket_code,
)
from events_app.checkin.models import CheckIn, CheckInAction, CheckInLog, CheckInSource
from events_app.checkin.schemas import (
    LIST_FORMAT,
    OfflineAlreadyOut,
    OfflineEntryOut,
    OfflineEventOut,
    OfflineListOut,
    OfflineMergeOut,
    OfflineRefusedOut,
    OfflineScan,
    OfflineScansInput,
)
from events_app.checkin.service import _check_registration, _desk, admit
from events_app.clock import utcnow
from events_app.errors import Invalid
from events_app.events.models import Event
from events_app.registration.models import Registration, RegistrationStatus
from events_app.validation import parse, parse_json

PAST_LIMIT = timedelta(days=366)  # a scan from 2001 is a laptop whose clock was never set
FUTURE_SLACK = timedelta(minutes=5)  # a laptop's clock a little ahead is fine; hours ahead is not
CHUNK = 500  # ids per IN (...) query
MAX_FIELD_MESSAGES = 50


async def offline_list(event: Event, *, now: datetime | None = None) -> dict[str, Any]:
    """The event's check-in list for a laptop without the server (JSON-able).

    Every confirmed registration gets its ticket secret first, so the list covers everyone
    whose badge or ticket may be printed from now on.
    """
    now = now or utcnow()
    await ensure_event_tickets(event)
    rows = await Registration.filter(
        event_id=event.id, status__in=[RegistrationStatus.CONFIRMED, RegistrationStatus.CANCELLED],
        ticket_secret__isnull=False,
    ).order_by("name", "id").prefetch_related("organisation")
    checked = dict(await CheckIn.filter(event_id=event.id).values_list("registration_id", "checked_in_at"))
    zone = event.zone
    entries = [
        OfflineEntryOut(
            code_sha256=code_hash(ticket_code(r)), registration=r.id, name=r.name, organisation=r.organisation.name,
            country=r.organisation.country, badge_role=r.badge_role, status=r.status,
            checked_in_at=checked[r.id].astimezone(zone) if r.id in checked else None,
        )
        for r in rows
    ]
    return OfflineListOut(
        format=LIST_FORMAT, event=OfflineEventOut(slug=event.slug, title=event.title, timezone=event.timezone),
        generated_at=now.astimezone(zone).replace(microsecond=0), entries=entries,
    ).model_dump(mode="json")


def read_scans_file(raw: bytes) -> OfflineScansInput:
    """A scans file's bytes, strictly validated (400 not JSON, 422 naming the field).

    The likeliest mistake, uploading the downloaded list instead of the scans exported from the
    offline page, gets a sentence of its own rather than a list of field errors.
    """
    if b'"' + LIST_FORMAT.encode() + b'"' in raw[:4096]:
        raise Invalid("This is the check-in list, not a file of scans. Upload the file the offline page "
                      "exported (its name starts with checkin-scans).",
                      fields={"format": "the check-in list, not a scans file"})
    return parse_json(OfflineScansInput, raw)


def _chunks(values: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


def _validate(event: Event, data: OfflineScansInput, now: datetime) -> list[OfflineScan]:
    """The scans to consider (first of each nonce), or :class:`Invalid` before anything is written."""
    problems: dict[str, str] = {}
    if data.event != event.slug:
        problems["event"] = f"This file is for the event {data.event!r}, not {event.slug!r}."
    first: dict[str, OfflineScan] = {}
    for index, scan in enumerate(data.scans):
        if scan.scanned_at > now + FUTURE_SLACK:
            problems.setdefault(f"scans.{index}.scanned_at", "Lies in the future: check the laptop's clock.")
        elif scan.scanned_at < event.starts_at - PAST_LIMIT:
            problems.setdefault(f"scans.{index}.scanned_at",
                                "Lies more than a year before the event: check the laptop's clock.")
        seen = first.setdefault(scan.nonce, scan)
        if seen is not scan and seen != scan:
            problems.setdefault(f"scans.{index}.nonce", "Another scan in this file has the same nonce.")
    if problems:
        shown = dict(list(problems.items())[:MAX_FIELD_MESSAGES])
        raise Invalid("Some fields need attention; nothing was merged.", fields=shown)
    return list(first.values())


async def _seen_nonces(nonces: list[str]) -> set[str]:
    seen: set[str] = set()
    for chunk in _chunks(nonces):
        seen.update(await CheckInLog.filter(nonce__in=chunk).values_list("nonce", flat=True))
    return seen


async def _resolve(event: Event, scans: list[OfflineScan]) -> dict[str, Registration | None]:
    """nonce -> the registration the scan names (None: no such ticket or registration)."""
    secrets = sorted({code[len(CODE_PREFIX):] for s in scans if s.code is not None and (code := normalise_code(s.code))})
    by_secret: dict[str, Registration] = {}
    for chunk in _chunks(secrets):
        for r in await Registration.filter(ticket_secret__in=chunk).prefetch_related("event"):
            by_secret[r.ticket_secret] = r
    by_hash: dict[str, Registration] = {}
    if any(s.code_sha256 is not None for s in scans):
        for r in await Registration.filter(event_id=event.id, ticket_secret__isnull=False).prefetch_related("event"):
            by_hash[code_hash(ticket_code(r))] = r
    ids = sorted({s.registration for s in scans if s.registration is not None})
    by_id: dict[int, Registration] = {}
    for chunk in _chunks(ids):
        for r in await Registration.filter(event_id=event.id, id__in=chunk).prefetch_related("event"):
            by_id[r.id] = r
    out: dict[str, Registration | None] = {}
    for s in scans:
        if s.code is not None:
            code = normalise_code(s.code)
            out[s.nonce] = by_secret.get(code[len(CODE_PREFIX):]) if code else None
        elif s.code_sha256 is not None:
            out[s.nonce] = by_hash.get(s.code_sha256)
        else:
            out[s.nonce] = by_id.get(s.registration or 0)
    return out


async def merge_offline_scans(event: Event, data: OfflineScansInput | Mapping[str, Any], user: User | None, *,
                              now: datetime | None = None) -> dict[str, Any]:
    """Apply a file of offline scans to ``event``; return the report (JSON-able).

    ``{"applied": n, "duplicates": n, "already": [...], "refused": [...]}``. A bad file
    (format, event, a nonce, a time in the future, too many scans) raises :class:`Invalid`
    naming the field, and nothing is written.
    """
    now = now or utcnow()
    if not isinstance(data, OfflineScansInput):
        data = parse(OfflineScansInput, data)
    scans = _validate(event, data, now)
    desk = _desk(data.desk) or "offline"
    duplicates = len(data.scans) - len(scans)  # repeated lines of the file itself
    seen = await _seen_nonces([s.nonce for s in scans])
    fresh = sorted((s for s in scans if s.nonce not in seen), key=lambda s: s.scanned_at)
    duplicates += len(scans) - len(fresh)
    registrations = await _resolve(event, fresh)
    zone = event.zone
    applied = 0
    already: list[OfflineAlreadyOut] = []
    refused: list[OfflineRefusedOut] = []
    for scan in fresh:
        registration = registrations[scan.nonce]
        problem = _check_registration(event, registration)
        try:
            if problem is not None:
                reason = "not_found" if registration is None and scan.registration is not None else problem.code
                await CheckInLog.create(
                    event_id=event.id, registration=registration, action=CheckInAction.REFUSED, reason=reason,
                    desk=desk, source=CheckInSource.OFFLINE, user=user, nonce=scan.nonce, at=scan.scanned_at,
                )
                refused.append(OfflineRefusedOut(nonce=scan.nonce, reason=reason,
                                                 registration=registration.id if registration else None,
                                                 name=registration.name if registration else None))
                continue
            assert registration is not None
            result = await admit(event=event, registration=registration, desk=desk, source=CheckInSource.OFFLINE,
                                 user=user, now=scan.scanned_at, nonce=scan.nonce)
        except IntegrityError:
            duplicates += 1  # the same nonce arrived meanwhile (the file uploaded twice at once)
            continue
        if result.created:
            applied += 1
        else:
            already.append(OfflineAlreadyOut(
                nonce=scan.nonce, registration=registration.id, name=registration.name,
                checked_in_at=result.checkin.checked_in_at.astimezone(zone), desk=result.checkin.desk,
            ))
    return OfflineMergeOut(applied=applied, duplicates=duplicates, already=already, refused=refused).model_dump(
        mode="json")
