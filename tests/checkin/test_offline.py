"""Offline check-in: the list for a laptop without the server, and merging its scans (issue 4, acceptance 4).

The list carries hashes of the ticket codes, never the codes. Merging checks each scan in at its
own time; the same file uploaded a second time changes nothing (the tables are compared row by
row); people checked in online first are reported as conflicts, refused scans with their reason,
and a bad file is a 4xx naming the field with nothing written.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from events_app.badges.tickets import new_secret, reissue_ticket
from events_app.checkin.models import CheckIn, CheckInLog
from events_app.checkin.offline import merge_offline_scans, offline_list, read_scans_file
from events_app.checkin.schemas import MAX_SCANS
from events_app.clock import utcnow
from events_app.errors import Invalid
from events_app.registration.models import Registration, RegistrationStatus
from events_app.registration.service import cancel_registration
from tests.checkin.conftest import snapshot


def sha(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def scans_file(slug: str, scans: list[dict[str, Any]], desk: str = "Laptop 2") -> dict[str, Any]:
    return {"format": "events-app-checkin-scans/1", "event": slug, "desk": desk, "scans": scans}


def at(minutes_ago: float) -> str:
    return (utcnow() - timedelta(minutes=minutes_ago)).isoformat()


# --- the list --------------------------------------------------------------------------------


async def test_the_list_has_hashes_never_codes(client, make_event, register, ticketed, organiser, door):
    event = await make_event(capacity=6, title="Offline forum")
    with_ticket = [await ticketed(event, name=f"Ticketed {n}") for n in range(3)]
    without_ticket = (await register(event, name="No ticket yet")).registration  # gets one for the list
    cancelled, cancelled_code = await ticketed(event, name="Cancelled person")
    await cancel_registration(registration_id=cancelled.id)
    cancelled_early = (await register(event, name="Cancelled before any ticket")).registration
    await cancel_registration(registration_id=cancelled_early.id)
    await register(event, name="Waiting person")
    await register(event, name="Waiting 2")
    await register(event, name="Waiting 3")  # capacity 6: the last ones wait
    waiting = await Registration.filter(event_id=event.id, status=RegistrationStatus.WAITLISTED).count()
    assert waiting >= 1
    scanned = await client.post("/api/v1/checkin", json={"event": event.slug, "code": with_ticket[0][1]}, headers=door)
    assert scanned.status_code == 200

    response = await client.get(f"/api/v1/events/{event.slug}/checkin/offline-list", headers=organiser)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    assert "attachment" in response.headers["content-disposition"]
    data = response.json()
    assert data["format"] == "events-app-checkin-list/1"
    assert data["event"] == {"slug": event.slug, "title": "Offline forum", "timezone": "Europe/Brussels"}
    assert datetime.fromisoformat(data["generated_at"]).utcoffset() is not None

    secrets = await Registration.filter(event_id=event.id, ticket_secret__isnull=False).values_list(
        "id", "ticket_secret", "status")
    assert all(secret not in response.text for _, secret, _ in secrets)  # no code, nor its secret part
    entries = {e["registration"]: e for e in data["entries"]}
    listed = {rid for rid, _, status in secrets if status in ("confirmed", "cancelled")}
    assert set(entries) == listed
    assert without_ticket.id in entries and cancelled_early.id not in entries
    for rid, secret, _ in secrets:
        if rid in entries:
            assert entries[rid]["code_sha256"] == sha("EA1-" + secret)
    assert entries[cancelled.id]["status"] == "cancelled" and entries[cancelled.id]["code_sha256"] == sha(cancelled_code)
    assert entries[with_ticket[0][0].id]["checked_in_at"] == scanned.json()["checked_in_at"]
    assert entries[with_ticket[1][0].id]["checked_in_at"] is None
    assert [e["name"] for e in data["entries"]] == sorted(e["name"] for e in data["entries"])
    assert not any(e["status"] == "waitlisted" for e in data["entries"])


# --- merging ---------------------------------------------------------------------------------


async def test_merge_applies_reports_and_a_second_upload_changes_nothing(client, make_event, ticketed, organiser,
                                                                         door):
    event = await make_event(capacity=30)
    other_event = await make_event(capacity=5)
    people = [await ticketed(event, name=f"Person {n:02}") for n in range(8)]
    online_first, online_code = people[0]
    online = await client.post("/api/v1/checkin", json={"event": event.slug, "code": online_code, "desk": "Main"},
                               headers=door)
    assert online.status_code == 200
    cancelled, cancelled_code = await ticketed(event, name="Cancelled")
    await cancel_registration(registration_id=cancelled.id)
    replaced, replaced_code = await ticketed(event, name="Replaced")
    await reissue_ticket(replaced)
    _, elsewhere_code = await ticketed(other_event)
    waiting, _ = await ticketed(event, name="Back on the list")
    await Registration.filter(id=waiting.id).update(status=RegistrationStatus.WAITLISTED)

    scans = [
        {"nonce": "scan-0001", "code": people[1][1], "scanned_at": at(50)},
        {"nonce": "scan-0002", "code": people[2][1].lower(), "scanned_at": at(49)},
        {"nonce": "scan-0003", "code_sha256": sha(people[3][1]), "scanned_at": at(48)},
        {"nonce": "scan-0004", "code_sha256": sha(people[4][1]).upper(), "scanned_at": at(47)},
        {"nonce": "scan-0005", "registration": people[5][0].id, "scanned_at": at(46)},
        {"nonce": "scan-0006", "code": online_code, "scanned_at": at(45)},  # conflict: checked in online
        {"nonce": "scan-0007", "code": people[1][1], "scanned_at": at(44)},  # the same person twice offline
        {"nonce": "scan-0008", "code": cancelled_code, "scanned_at": at(43)},
        {"nonce": "scan-0009", "code": replaced_code, "scanned_at": at(42)},
        {"nonce": "scan-0010", "code": elsewhere_code, "scanned_at": at(41)},
        {"nonce": "scan-0011", "code_sha256": sha("EA1-" + new_secret()), "scanned_at": at(40)},
        {"nonce": "scan-0012", "registration": 2_000_000, "scanned_at": at(39)},
        {"nonce": "scan-0013", "registration": waiting.id, "scanned_at": at(38)},
        {"nonce": "scan-0014", "code": "garbage", "scanned_at": at(37)},
        {"nonce": "scan-0015", "code": people[6][1], "scanned_at": at(-4)},  # clock 4 minutes ahead: fine
    ]
    upload = scans_file(event.slug, scans)
    url = f"/api/v1/events/{event.slug}/checkin/offline-scans"
    first = await client.post(url, json=upload, headers=organiser)
    assert first.status_code == 200, first.text
    report = first.json()
    assert (report["applied"], report["duplicates"]) == (6, 0)
    assert [(a["nonce"], a["registration"], a["desk"]) for a in report["already"]] == [
        ("scan-0006", online_first.id, "Main"), ("scan-0007", people[1][0].id, "Laptop 2")]
    assert report["already"][0]["checked_in_at"] == online.json()["checked_in_at"]
    assert {r["nonce"]: r["reason"] for r in report["refused"]} == {
        "scan-0008": "ticket_cancelled", "scan-0009": "ticket_not_valid", "scan-0010": "wrong_event",
        "scan-0011": "ticket_not_valid", "scan-0012": "not_found", "scan-0013": "not_confirmed",
        "scan-0014": "ticket_not_valid",
    }

    # each applied scan checked in at its own time, as an offline scan at the laptop's desk
    rows = {c.registration_id: c for c in await CheckIn.filter(event_id=event.id, source="offline")}
    assert set(rows) == {people[n][0].id for n in (1, 2, 3, 4, 5, 6)}
    assert rows[people[1][0].id].checked_in_at == datetime.fromisoformat(scans[0]["scanned_at"])
    assert {c.desk for c in rows.values()} == {"Laptop 2"}
    assert (await CheckIn.get(registration_id=online_first.id)).desk == "Main"  # the earlier check-in stands
    assert people[7][0].id not in rows

    # the same file again: nothing changes, every scan is a duplicate
    before = await snapshot()
    again = await client.post(url, json=upload, headers=organiser)
    assert again.status_code == 200
    assert again.json() == {"applied": 0, "duplicates": len(scans), "already": [], "refused": []}
    assert await snapshot() == before

    # a later file overlapping the first: only its new scans count
    later = scans_file(event.slug, [*scans[:3], {"nonce": "scan-0016", "code": people[7][1], "scanned_at": at(1)}])
    third = (await client.post(url, json=later, headers=organiser)).json()
    assert (third["applied"], third["duplicates"], third["already"], third["refused"]) == (1, 3, [], [])

    # the numbers count offline check-ins too
    stats = (await client.get(f"/api/v1/events/{event.slug}/checkin/stats", headers=door)).json()
    assert stats["checked_in"] == 8


async def test_the_service_takes_a_plain_dict_and_repeated_lines(make_event, ticketed, make_user):
    """What the organiser page does with an uploaded file: read it, merge it."""
    event = await make_event(capacity=5)
    registration, code = await ticketed(event)
    user = await make_user()
    line = {"nonce": "Nonce_abc-123", "code": code, "scanned_at": at(5)}
    data = scans_file(event.slug, [line, dict(line)], desk="")
    report = await merge_offline_scans(event, data, user)
    assert (report["applied"], report["duplicates"]) == (1, 1)
    row = await CheckIn.get(registration_id=registration.id)
    assert row.desk == "offline" and row.user_id == user.id  # type: ignore[attr-defined]
    parsed = read_scans_file(json.dumps(data).encode())
    assert await merge_offline_scans(event, parsed, user) == {"applied": 0, "duplicates": 2, "already": [],
                                                               "refused": []}
    listed = await offline_list(event)
    assert listed["entries"][0]["checked_in_at"] is not None


async def test_two_uploads_of_one_file_at_once_apply_it_once(make_event, ticketed):
    import asyncio

    event = await make_event(capacity=30)
    people = [await ticketed(event) for _ in range(20)]
    data = scans_file(event.slug, [{"nonce": f"nonce-{n:04}", "code": code, "scanned_at": at(30 - n)}
                                   for n, (_, code) in enumerate(people)])
    reports = await asyncio.gather(*(merge_offline_scans(event, data, None) for _ in range(3)))
    assert sum(r["applied"] for r in reports) == 20
    assert all(r["applied"] + r["duplicates"] + len(r["already"]) == 20 for r in reports)
    assert await CheckIn.filter(event_id=event.id).count() == 20
    assert await CheckInLog.filter(event_id=event.id, action="checked_in").count() == 20


# --- bad files -------------------------------------------------------------------------------


def _bad_files(slug: str, code: str) -> list[tuple[str, Any, int, str | None]]:
    """(name, body or raw bytes, status, field the error names)."""
    good = {"nonce": "good-nonce-1", "code": code, "scanned_at": at(10)}

    def with_scan(**changes: Any) -> dict[str, Any]:
        scan = {**good, **changes}
        return scans_file(slug, [scan])

    without = {k: v for k, v in good.items() if k != "scanned_at"}
    too_many = scans_file(slug, [{**good, "nonce": f"n-{i:08}"} for i in range(MAX_SCANS + 1)])
    return [
        ("not JSON", b"{format:", 400, None),
        ("a list", b"[]", 400, None),
        ("wrong format", {**scans_file(slug, [good]), "format": "events-app-checkin-scans/2"}, 422, "format"),
        ("no format", {k: v for k, v in scans_file(slug, [good]).items() if k != "format"}, 422, "format"),
        ("another event's file", scans_file("another-event", [good]), 422, "event"),
        ("scans not a list", {**scans_file(slug, []), "scans": {"a": 1}}, 422, "scans"),
        ("nonce too short", with_scan(nonce="short"), 422, "scans.0.nonce"),
        ("nonce too long", with_scan(nonce="n" * 65), 422, "scans.0.nonce"),
        ("nonce with a space", with_scan(nonce="bad nonce 1"), 422, "scans.0.nonce"),
        ("nonce with a slash", with_scan(nonce="bad/nonce/1"), 422, "scans.0.nonce"),
        ("nonce a number", with_scan(nonce=12345678), 422, "scans.0.nonce"),
        ("no scanned_at", scans_file(slug, [without]), 422, "scans.0.scanned_at"),
        ("scanned_at without offset", with_scan(scanned_at="2026-05-01T10:00:00"), 422, "scans.0.scanned_at"),
        ("scanned_at not a time", with_scan(scanned_at="yesterday"), 422, "scans.0.scanned_at"),
        ("scanned_at an hour ahead", with_scan(scanned_at=at(-60)), 422, "scans.0.scanned_at"),
        ("scanned_at in year 1", with_scan(scanned_at="0001-01-01T00:00:00+00:00"), 422, "scans.0.scanned_at"),
        ("two ways to name the ticket", with_scan(registration=1), 422, "scans.0"),
        ("no way to name the ticket", scans_file(slug, [{"nonce": "good-nonce-1", "scanned_at": at(1)}]), 422,
         "scans.0"),
        ("bad hash", scans_file(slug, [{"nonce": "good-nonce-1", "code_sha256": "xyz", "scanned_at": at(1)}]), 422,
         "scans.0.code_sha256"),
        ("registration zero", scans_file(slug, [{"nonce": "good-nonce-1", "registration": 0, "scanned_at": at(1)}]),
         422, "scans.0.registration"),
        ("unknown key in a scan", with_scan(person="x"), 422, "scans.0.person"),
        ("one nonce, two scans", scans_file(slug, [good, {**good, "scanned_at": at(3)}]), 422, "scans.1.nonce"),
        ("too many scans", too_many, 422, "scans"),
    ]


async def test_a_bad_file_is_a_4xx_naming_the_field_and_nothing_is_written(client, make_event, ticketed, organiser):
    event = await make_event(capacity=5)
    _, code = await ticketed(event)
    url = f"/api/v1/events/{event.slug}/checkin/offline-scans"
    before = await snapshot()
    for name, body, status, field in _bad_files(event.slug, code):
        if isinstance(body, bytes):
            response = await client.post(url, content=body, headers={**organiser, "Content-Type": "application/json"})
        else:
            response = await client.post(url, json=body, headers=organiser)
        assert response.status_code == status, (name, response.text[:500])
        if field:
            assert field in response.json()["error"]["fields"], (name, response.text[:500])
    huge = b'{"format": "' + b"x" * (9 * 1024 * 1024) + b'"}'
    too_large = await client.post(url, content=huge, headers={**organiser, "Content-Type": "application/json"})
    assert too_large.status_code == 413
    unknown = await client.post("/api/v1/events/no-such-event/checkin/offline-scans",
                                json=scans_file("no-such-event", []), headers=organiser)
    assert unknown.status_code == 404
    assert await snapshot() == before


async def test_a_bad_file_through_the_service_writes_nothing(make_event, ticketed):
    event = await make_event(capacity=5)
    registration, code = await ticketed(event)
    good = {"nonce": "first-good-1", "code": code, "scanned_at": at(10)}
    future = {"nonce": "second-bad-1", "code": code, "scanned_at": at(-30)}
    before = await snapshot()
    with pytest.raises(Invalid) as raised:
        await merge_offline_scans(event, scans_file(event.slug, [good, future]), None)
    assert set(raised.value.fields) == {"scans.1.scanned_at"}
    assert await snapshot() == before
