"""A capped session is never over-subscribed under concurrency (issue 3, acceptance 2).

* PostgreSQL: 200 confirmed attendees pick a 25-seat site visit at once through
  ``PUT /api/v1/manage/{token}/sessions``, sent to two separate server processes
  sharing one database: exactly 25 seats, 175 on the FIFO waitlist, no 5xx.
* PostgreSQL: overlap and all-or-nothing hold under the same load.
* Any database: the same shapes in one process through the ASGI app.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from events_app.agenda import picks
from events_app.agenda.models import AgendaSession, PickStatus, SessionPick
from events_app.agenda.picks import set_session_picks
from events_app.agenda.service import publish_agenda
from events_app.events.models import Event
from events_app.registration.service import RegistrationOutcome
from tests.agenda.conftest import SessionFactory
from tests.registration import conftest as race_fixtures

app_servers = race_fixtures.app_servers  # real `events-app serve` processes on the test database

SEATS = 25
PEOPLE = 200

Send = Callable[[int, dict[str, Any]], Awaitable[httpx.Response]]


async def confirmed_people(conference: Event, register: Callable[..., Awaitable[RegistrationOutcome]]) -> list[str]:
    """PEOPLE confirmed registrations; their manage-link tokens."""
    tokens = []
    for n in range(PEOPLE):
        outcome = await register(conference, name=f"Picker {n}", email=f"picker{n}@example.org")
        assert outcome.registration.status == "confirmed" and outcome.manage_token
        tokens.append(outcome.manage_token)
    return tokens


async def send_all(send: Send, bodies: list[dict[str, Any]]) -> list[httpx.Response]:
    async with asyncio.timeout(180):
        return list(await asyncio.gather(*(send(n, body) for n, body in enumerate(bodies))))


def no_server_errors(responses: list[httpx.Response]) -> None:
    errors = [(r.status_code, r.text[:300]) for r in responses if r.status_code >= 500]
    assert not errors, errors


async def assert_counters_match_rows(*session_ids: int) -> None:
    for session_id in session_ids:
        session = await AgendaSession.get(id=session_id)
        rows = Counter(await SessionPick.filter(session_id=session_id).values_list("status", flat=True))
        assert (session.confirmed_count, session.waitlisted_count) == (
            rows[PickStatus.CONFIRMED], rows[PickStatus.WAITLISTED]
        ), session.title
        if session.capacity is not None:
            assert session.confirmed_count <= session.capacity


def pick_in(response: httpx.Response, session_id: int) -> dict[str, Any] | None:
    return next((p for p in response.json()["picks"] if p["session"]["id"] == session_id), None)


# --- scenario 1: everyone wants the site visit -------------------------------------------


async def site_visit_rush(conference: Event, add_session: SessionFactory, register: Any, send: Send) -> None:
    visit = (await add_session(title="Visit to the biogas plant", kind="site_visit", capacity=SEATS,
                               start="14:00", end="17:00")).draft
    await publish_agenda(event=conference)
    tokens = await confirmed_people(conference, register)

    responses = await send_all(send, [{"token": t, "session_ids": [visit.id]} for t in tokens])

    no_server_errors(responses)
    assert [r.status_code for r in responses] == [200] * PEOPLE, [r.text[:200] for r in responses if r.status_code != 200]
    picks = [pick_in(r, visit.id) for r in responses]
    assert all(p is not None for p in picks)
    statuses = Counter(p["status"] for p in picks if p)
    assert statuses == {"confirmed": SEATS, "waitlisted": PEOPLE - SEATS}
    positions = sorted(p["waitlist_position"] for p in picks if p and p["status"] == "waitlisted")
    assert positions == list(range(1, PEOPLE - SEATS + 1))  # as each person was told: FIFO, no repeats

    rows = await SessionPick.filter(session_id=visit.id).values_list("status", "waitlist_seq")
    assert Counter(status for status, _ in rows) == {"confirmed": SEATS, "waitlisted": PEOPLE - SEATS}
    assert sorted(seq for status, seq in rows if status == "waitlisted") == list(range(1, PEOPLE - SEATS + 1))
    assert all(seq is None for status, seq in rows if status == "confirmed")
    stored = await AgendaSession.get(id=visit.id)
    assert (stored.confirmed_count, stored.waitlisted_count, stored.waitlist_last_seq) == (
        SEATS, PEOPLE - SEATS, PEOPLE - SEATS
    )
    await assert_counters_match_rows(visit.id)


# --- scenario 2: all-or-nothing and overlap under load -----------------------------------


async def mixed_rush(conference: Event, add_session: SessionFactory, register: Any, send: Send) -> None:
    """Four groups at once:
    0: the site visit and a morning workshop, waitlist false -> both, or (visit full) neither;
    1: the site visit and a workshop that overlaps it -> always refused, nothing kept;
    2: the morning workshop only -> always a seat;
    3: the site visit, waitlist true -> a seat or a waitlist place.
    """
    visit = (await add_session(title="Visit", kind="site_visit", capacity=SEATS, start="14:00", end="16:00")).draft
    morning = (await add_session(title="Morning", capacity=PEOPLE, start="09:30", end="10:30")).draft
    overlapping = (await add_session(title="Overlapping", capacity=PEOPLE, start="15:00", end="16:30")).draft
    await publish_agenda(event=conference)
    tokens = await confirmed_people(conference, register)
    wants = {
        0: {"session_ids": [visit.id, morning.id], "waitlist": False},
        1: {"session_ids": [overlapping.id, visit.id]},
        2: {"session_ids": [morning.id]},
        3: {"session_ids": [visit.id]},
    }
    group = [n % 4 for n in range(PEOPLE)]

    responses = await send_all(send, [{"token": t, **wants[group[n]]} for n, t in enumerate(tokens)])

    no_server_errors(responses)
    by_group: dict[int, list[httpx.Response]] = {g: [] for g in wants}
    for n, response in enumerate(responses):
        by_group[group[n]].append(response)
    # overlap: every one refused with the reason, nothing kept
    assert {(r.status_code, r.json()["error"]["code"]) for r in by_group[1]} == {(409, "session_overlap")}
    # the morning workshop alone: always a seat
    assert {r.status_code for r in by_group[2]} == {200}
    # both or neither: a 200 holds both seats, a 409 says the visit is full
    pairs = by_group[0]
    assert {r.status_code for r in pairs} <= {200, 409}
    assert all(r.json()["error"]["code"] == "session_full" for r in pairs if r.status_code == 409)
    for response in (r for r in pairs if r.status_code == 200):
        assert {p["session"]["id"]: p["status"] for p in response.json()["picks"]} == {
            visit.id: "confirmed", morning.id: "confirmed"
        }
    assert {r.status_code for r in by_group[3]} == {200}

    # in the database: nobody holds half of a pair, nobody holds an overlapping pair
    held: dict[int, dict[int, str]] = {}
    for registration_id, session_id, status in await SessionPick.filter(
        session__event_id=conference.id, status__not=PickStatus.CANCELLED
    ).values_list("registration_id", "session_id", "status"):
        held.setdefault(registration_id, {})[session_id] = status
    assert not any(overlapping.id in h for h in held.values())
    pair_holders = [h for h in held.values() if visit.id in h and morning.id in h]
    assert all(h == {visit.id: "confirmed", morning.id: "confirmed"} for h in pair_holders)
    pair_ok = sum(r.status_code == 200 for r in pairs)
    assert len(pair_holders) == pair_ok <= SEATS
    assert len(held) == pair_ok + len(by_group[2]) + len(by_group[3])  # the refused hold nothing
    visit_row = await AgendaSession.get(id=visit.id)
    assert visit_row.confirmed_count == SEATS  # the 100 who asked for the visit filled it
    waiting = sum(pick_in(r, visit.id)["status"] == "waitlisted" for r in by_group[3])  # type: ignore[index]
    assert waiting == visit_row.waitlisted_count == PEOPLE // 4 - (SEATS - pair_ok)
    morning_row = await AgendaSession.get(id=morning.id)
    assert morning_row.confirmed_count == PEOPLE // 4 + pair_ok
    assert (await AgendaSession.get(id=overlapping.id)).confirmed_count == 0
    await assert_counters_match_rows(visit.id, morning.id, overlapping.id)


def through_servers(servers: list[race_fixtures.ServerProcess], client: httpx.AsyncClient) -> Send:
    async def send(n: int, body: dict[str, Any]) -> httpx.Response:
        body = dict(body)
        token = body.pop("token")
        return await client.put(f"{servers[n % len(servers)].url}/api/v1/manage/{token}/sessions", json=body)

    return send


def through_app(client: httpx.AsyncClient) -> Send:
    async def send(n: int, body: dict[str, Any]) -> httpx.Response:
        body = dict(body)
        token = body.pop("token")
        return await client.put(f"/api/v1/manage/{token}/sessions", json=body)

    return send


SCENARIOS = {"site-visit-rush": site_visit_rush, "all-or-nothing-and-overlap": mixed_rush}


@pytest.mark.postgres_only
@pytest.mark.parametrize("scenario", list(SCENARIOS))
async def test_two_server_processes(conference, add_session, register, app_servers, scenario):
    servers = app_servers(count=2)
    limits = httpx.Limits(max_connections=PEOPLE, max_keepalive_connections=PEOPLE)
    async with httpx.AsyncClient(limits=limits, timeout=120.0) as client:
        await SCENARIOS[scenario](conference, add_session, register, through_servers(servers, client))
    assert all(server.process.poll() is None for server in servers)  # both still up


@pytest.mark.parametrize("scenario", list(SCENARIOS))
async def test_one_process(conference, add_session, register, client, scenario):
    await SCENARIOS[scenario](conference, add_session, register, through_app(client))


# --- control: without the session row lock, the same code oversells ----------------------


GROUP = 10  # picks held at the same point at once (the test pool has 20 connections)


def unlocked_lock_sessions(barrier: asyncio.Barrier):
    """A test double for ``picks._lock_sessions`` that reads the sessions WITHOUT ``FOR UPDATE``,
    and holds each transaction until ``GROUP`` of them have read the counters: the race
    window the real lock closes, made wide instead of left to chance."""

    async def lock_sessions(session_ids: list[int], conn: Any) -> dict[int, AgendaSession]:
        rows = await AgendaSession.filter(id__in=session_ids).using_db(conn).order_by("id")
        await barrier.wait()
        return {int(s.id): s for s in rows}

    return lock_sessions


@pytest.mark.postgres_only
async def test_control_without_the_session_lock_it_oversells(conference, add_session, register, monkeypatch):
    visit = (await add_session(title="Visit", kind="site_visit", capacity=5, start="14:00", end="16:00")).draft
    await publish_agenda(event=conference)
    people = [(await register(conference)).registration for _ in range(4 * GROUP)]
    monkeypatch.setattr(picks, "_lock_sessions", unlocked_lock_sessions(asyncio.Barrier(GROUP)))
    async with asyncio.timeout(60):
        await asyncio.gather(*(set_session_picks(registration=r, session_ids=[visit.id]) for r in people))
    confirmed = await SessionPick.filter(session_id=visit.id, status=PickStatus.CONFIRMED).count()
    assert confirmed > 5, "the control did not oversell: the race tests could not fail"
