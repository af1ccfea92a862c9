"""Ten desks scanning one ticket at the same moment: exactly one "checked in" (issue 4, acceptance 3).

* PostgreSQL: 10 concurrent scans of each of 20 tickets through real HTTP, spread over two
  `events-app serve` processes sharing the database (the log shows they really overlapped: for
  some tickets a losing desk started before the winner's check-in time).
* Any database: 10 concurrent calls of the service (asyncio.gather), and the same through the
  ASGI app.
* PostgreSQL: the race window forced wide open (all ten transactions held just before their
  INSERT until every one has reached it): still exactly one winner.
* Control: a naive check-then-insert with the same forced overlap gives more than one
  "checked in" or an error, and the same assertions catch it, so the tests above can fail.

The assertions look at the answers (one ``checked_in``, nine ``already_checked_in`` naming the
winner's time and desk) and at the rows (one ``checkin``, and a log of one check-in and nine
repeats), so neither a double answer nor a double row can pass.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

import events_app.checkin.service as checkin_service
from events_app.checkin.models import CheckIn, CheckInLog, CheckInSource
from events_app.checkin.service import CheckInResult, check_in_code
from events_app.events.models import Event
from events_app.registration.models import Registration

DESKS = 10


async def assert_one_winner(event: Event, registration: Registration, answers: list[tuple[str, str, str]]) -> None:
    """``answers``: (status, checked_in_at, desk) of each desk. Exactly one won; the rest name the winner."""
    assert len(answers) == DESKS
    statuses = Counter(status for status, _, _ in answers)
    assert statuses == {"checked_in": 1, "already_checked_in": DESKS - 1}, answers
    winner = next((at, desk) for status, at, desk in answers if status == "checked_in")
    assert {(at, desk) for status, at, desk in answers if status != "checked_in"} == {winner}, answers
    rows = await CheckIn.filter(registration_id=registration.id).values_list("desk", flat=True)
    assert rows == [winner[1]]
    log = Counter(await CheckInLog.filter(registration_id=registration.id).values_list("action", flat=True))
    assert log == {"checked_in": 1, "already_checked_in": DESKS - 1}, log


def _from_result(result: CheckInResult | BaseException) -> tuple[str, str, str]:
    if isinstance(result, BaseException):
        return (f"error: {type(result).__name__}", "", "")
    return (result.status, result.checkin.checked_in_at.isoformat(), result.checkin.desk)


def _from_response(response: httpx.Response) -> tuple[str, str, str]:
    if response.status_code != 200:
        return (f"HTTP {response.status_code}: {response.text[:200]}", "", "")
    body = response.json()
    return (body["status"], body["checked_in_at"], body["desk"])


async def _scan_many(event: Event, code: str) -> list[CheckInResult | BaseException]:
    return list(await asyncio.gather(
        *(check_in_code(event=event, code=code, desk=f"Desk {n}", user=None) for n in range(DESKS)),
        return_exceptions=True,
    ))


async def simultaneous_posts(urls: list[str], path: str, bodies: list[dict[str, Any]],
                             headers: dict[str, str]) -> list[tuple[int, dict[str, Any]]]:
    """POST each body to its server at the same instant: every connection is opened first, then
    all the requests are written in one go (httpx would space them out by its own overhead)."""
    streams = []
    for url in urls:
        parts = urlsplit(url)
        streams.append(await asyncio.open_connection(parts.hostname, parts.port))
    for (_, writer), url, body in zip(streams, urls, bodies, strict=True):
        raw = json.dumps(body).encode()
        head = [f"POST {path} HTTP/1.1", f"Host: {urlsplit(url).netloc}", "Content-Type: application/json",
                f"Content-Length: {len(raw)}", "Connection: close", *(f"{k}: {v}" for k, v in headers.items())]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + raw)

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> tuple[int, dict[str, Any]]:
        data = await reader.read()  # the server closes the connection after its answer
        writer.close()
        head, _, body = data.partition(b"\r\n\r\n")
        return int(head.split()[1]), json.loads(body)

    async with asyncio.timeout(30):
        return list(await asyncio.gather(*(answer(reader, writer) for reader, writer in streams)))


@pytest.mark.postgres_only
async def test_ten_desks_over_http_on_two_server_processes(make_event, ticketed, door, app_servers):
    event = await make_event(capacity=50, slug="race-door")
    tickets = [await ticketed(event) for _ in range(20)]
    servers = app_servers(count=2)
    urls = [servers[n % 2].url for n in range(DESKS)]
    for registration, code in tickets:
        bodies = [{"event": event.slug, "code": code, "desk": f"Desk {n}"} for n in range(DESKS)]
        responses = await simultaneous_posts(urls, "/api/v1/checkin", bodies, door)
        answers = [(b["status"], b["checked_in_at"], b["desk"]) if status == 200 else (f"HTTP {status}: {b}", "", "")
                   for status, b in responses]
        await assert_one_winner(event, registration, answers)
    assert all(server.process.poll() is None for server in servers)
    assert await CheckIn.filter(event_id=event.id).count() == len(tickets)
    # The scans really overlapped: for some tickets a desk that lost had started before the winner.
    overlapped = 0
    for registration, _ in tickets:
        won = await CheckIn.get(registration_id=registration.id)
        lost = await CheckInLog.filter(registration_id=registration.id, action="already_checked_in").values_list(
            "at", flat=True)
        overlapped += any(at < won.checked_in_at for at in lost)
    print(f"\n{overlapped} of {len(tickets)} tickets: a losing desk started before the winner's time")
    assert overlapped >= 1


async def test_ten_concurrent_service_calls(make_event, ticketed):
    event = await make_event(capacity=50)
    for _ in range(3):
        registration, code = await ticketed(event)
        results = await _scan_many(event, code)
        await assert_one_winner(event, registration, [_from_result(r) for r in results])
        await CheckIn.filter(event_id=event.id).delete()
        await CheckInLog.filter(event_id=event.id).delete()


async def test_ten_concurrent_requests_through_the_app(make_event, ticketed, door, client):
    event = await make_event(capacity=50)
    registration, code = await ticketed(event)
    responses = await asyncio.gather(*(
        client.post("/api/v1/checkin", json={"event": event.slug, "code": code, "desk": f"Desk {n}"}, headers=door)
        for n in range(DESKS)
    ))
    await assert_one_winner(event, registration, [_from_response(r) for r in responses])


def _held_before_insert(monkeypatch: pytest.MonkeyPatch) -> asyncio.Barrier:
    """Make every ``CheckIn.create`` wait until all ten desks have reached it (inside their transactions)."""
    barrier = asyncio.Barrier(DESKS)
    real_create = CheckIn.create.__func__  # type: ignore[attr-defined]

    async def create(cls: type[CheckIn], *args: Any, **kwargs: Any) -> CheckIn:
        await barrier.wait()
        return await real_create(cls, *args, **kwargs)

    monkeypatch.setattr(CheckIn, "create", classmethod(create))
    return barrier


@pytest.mark.postgres_only
async def test_forced_overlap_still_one_winner(make_event, ticketed, monkeypatch):
    event = await make_event(capacity=50)
    registration, code = await ticketed(event)
    barrier = _held_before_insert(monkeypatch)
    async with asyncio.timeout(30):
        results = await _scan_many(event, code)
    assert barrier.n_waiting == 0
    await assert_one_winner(event, registration, [_from_result(r) for r in results])


async def naive_admit(*, event: Event, registration: Registration, desk: str, source: CheckInSource,
                      user: Any, now: Any = None, nonce: Any = None) -> CheckInResult:
    """A check-then-insert with no answer for the lost race: what the real ``admit`` must not be."""
    now = now or checkin_service.utcnow()
    existing = await CheckIn.filter(registration_id=registration.id).first()
    if existing is not None:
        await CheckInLog.create(event_id=event.id, registration_id=registration.id, action="already_checked_in",
                                desk=desk, source=source, at=now)
        return CheckInResult("already_checked_in", registration, existing)
    row = await CheckIn.create(event_id=event.id, registration_id=registration.id, checked_in_at=now, desk=desk,
                               source=source)
    await CheckInLog.create(event_id=event.id, registration_id=registration.id, action="checked_in", desk=desk,
                            source=source, at=now)
    return CheckInResult("checked_in", registration, row)


async def test_control_a_naive_check_then_insert_is_caught(make_event, ticketed, monkeypatch):
    event = await make_event(capacity=50)
    registration, code = await ticketed(event)
    monkeypatch.setattr(checkin_service, "admit", naive_admit)
    _held_before_insert(monkeypatch)  # outside any transaction here, so SQLite can hold them too
    async with asyncio.timeout(30):
        results = await _scan_many(event, code)
    answers = [_from_result(r) for r in results]
    assert sum(status != "already_checked_in" for status, _, _ in answers) > 1, answers
    with pytest.raises(AssertionError):
        await assert_one_winner(event, registration, answers)
