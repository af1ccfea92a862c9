"""Capacity is never exceeded under concurrency (acceptance 1).

* PostgreSQL: 300 concurrent API registrations for 50 places, sent to two separate
  server processes sharing one database.
* Any database: the same shape in one process through the ASGI app.
* Control: with the event lock monkeypatched away the same code oversells, so
  the tests above can fail.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import httpx
import pytest
from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient

import events_app.registration.service as registration_service
from events_app.events.models import Event
from events_app.notifications.models import OutboxMessage
from events_app.registration import seat_claim
from events_app.registration.models import Registration, RegistrationStatus
from events_app.registration.schemas import RegistrationInput
from events_app.registration.service import register_attendee

CAPACITY = 50
PEOPLE = 300


def person(n: int, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": f"Racer {n}",
        "email": f"racer{n}@example.org",
        "job_title": "Buyer",
        # a handful of organisations, several of them new at once: exercises find-or-create too
        "organisation": f"Municipality {n % 7}",
        "organisation_kind": "municipality",
        "country": "BE",
        "consent": True,
    }
    data.update(overrides)
    return data


async def post_registration(
    client: httpx.AsyncClient, base_url: str, slug: str, n: int
) -> httpx.Response:
    return await client.post(f"{base_url}/api/v1/events/{slug}/registrations", json=person(n))


def outcome_of(response: httpx.Response) -> tuple[str, int | None]:
    """(status, waitlist position) as the API reported them."""
    body = response.json()
    return body["status"], body["waitlist_position"]


async def recomputed_positions(event: Event) -> list[int]:
    """Each waitlisted person's position, recomputed from the database (FIFO by waitlist_seq)."""
    waiting = await Registration.filter(
        event_id=event.id, status=RegistrationStatus.WAITLISTED
    ).order_by("waitlist_seq")
    return [
        await registration_service.waitlist_position(registration) or 0 for registration in waiting
    ]


async def assert_exact_outcome(event: Event, responses: list[httpx.Response]) -> None:
    server_errors = [(r.status_code, r.text[:300]) for r in responses if r.status_code >= 500]
    assert not server_errors, server_errors
    not_created = [(r.status_code, r.text[:300]) for r in responses if r.status_code != 201]
    assert not not_created, not_created  # distinct emails: every one is a new registration

    outcomes = [outcome_of(r) for r in responses]
    assert Counter(status for status, _ in outcomes) == {
        "confirmed": CAPACITY,
        "waitlisted": PEOPLE - CAPACITY,
    }
    reported = sorted(position for status, position in outcomes if status == "waitlisted")
    assert reported == list(range(1, PEOPLE - CAPACITY + 1))
    assert all(position is None for status, position in outcomes if status == "confirmed")

    rows = await Registration.filter(event_id=event.id).values_list("status", "waitlist_seq")
    assert len(rows) == PEOPLE
    assert Counter(status for status, _ in rows) == {
        "confirmed": CAPACITY,
        "waitlisted": PEOPLE - CAPACITY,
    }
    seqs = sorted(seq for status, seq in rows if status == "waitlisted")
    assert seqs == list(range(1, PEOPLE - CAPACITY + 1))  # no gap, no duplicate
    assert await recomputed_positions(event) == list(range(1, PEOPLE - CAPACITY + 1))
    assert await OutboxMessage.filter(registration__event_id=event.id).count() == PEOPLE
    kinds = Counter(await OutboxMessage.all().values_list("kind", flat=True))
    assert kinds == {"confirmation": CAPACITY, "waitlist": PEOPLE - CAPACITY}


@pytest.mark.postgres_only
async def test_two_server_processes_never_oversell(make_event, app_servers):
    event = await make_event(capacity=CAPACITY, slug="race-two-processes")
    servers = app_servers(count=2)
    limits = httpx.Limits(max_connections=PEOPLE, max_keepalive_connections=PEOPLE)
    async with httpx.AsyncClient(limits=limits, timeout=60.0) as client:
        responses = await asyncio.gather(
            *(post_registration(client, servers[n % 2].url, event.slug, n) for n in range(PEOPLE))
        )
    # half of the requests went to each process, and both are still up
    assert all(server.process.poll() is None for server in servers)
    await assert_exact_outcome(event, list(responses))


async def test_one_process_never_oversells(make_event, client):
    event = await make_event(capacity=CAPACITY, slug="race-one-process")
    responses = await asyncio.gather(
        *(post_registration(client, "", event.slug, n) for n in range(PEOPLE))
    )
    await assert_exact_outcome(event, list(responses))


async def test_same_email_twenty_times_at_once_registers_once(make_event, client):
    event = await make_event(capacity=5, slug="race-same-email")
    responses = await asyncio.gather(
        *(
            client.post(
                f"/api/v1/events/{event.slug}/registrations",
                json=person(
                    1, email="Same.Person@Example.org" if n % 2 else "same.person@example.org"
                ),
            )
            for n in range(20)
        )
    )
    # one created (201), nineteen told about the existing registration (200)
    assert sorted(r.status_code for r in responses) == [200] * 19 + [201], [
        r.text for r in responses
    ]
    assert {outcome_of(r)[0] for r in responses} == {"confirmed"}
    assert await Registration.filter(event_id=event.id).count() == 1
    assert await OutboxMessage.all().count() == 1


# --- control: without the lock, the same code oversells -----------------------------------


GROUP = 10  # registrations held at the same point at once (the test pool has 20 connections)


def unlocked_lock_event(barrier: asyncio.Barrier):
    """A test double for ``lock_event`` that reads the event WITHOUT ``FOR UPDATE``.

    It also holds each transaction until ``GROUP`` of them have read the event, so
    that they all count the confirmed seats before any of them commits: the
    race window the real lock closes, made wide instead of left to chance.
    """

    async def lock_event(event_id: int, conn: BaseDBAsyncClient) -> Event:
        event = await Event.filter(id=event_id).using_db(conn).get()
        await barrier.wait()
        return event

    return lock_event


@pytest.mark.postgres_only
async def test_control_without_the_lock_it_oversells(make_event, monkeypatch):
    """The ORM path (reactivations, and every path on SQLite) with its lock removed."""
    barrier = asyncio.Barrier(GROUP)
    monkeypatch.setattr(registration_service, "one_statement_claim_available", lambda: False)
    monkeypatch.setattr(registration_service, "lock_event", unlocked_lock_event(barrier))
    capacity, people = 5, 4 * GROUP
    for attempt in range(3):
        event = await make_event(capacity=capacity, slug=f"race-unlocked-{attempt}")
        async with asyncio.timeout(60):
            outcomes = await asyncio.gather(
                *(
                    register_attendee(slug=event.slug, data=RegistrationInput(**person(n)))
                    for n in range(people)
                )
            )
        confirmed = await Registration.filter(event_id=event.id, status="confirmed").count()
        assert confirmed == sum(o.registration.status == "confirmed" for o in outcomes)
        if confirmed > capacity:
            break
    assert confirmed > capacity, "the control did not oversell: the race tests could not fail"


@pytest.mark.postgres_only
@pytest.mark.parametrize("one_statement", [True, False], ids=["one-statement-claim", "orm-path"])
async def test_with_the_real_lock_the_same_load_does_not_oversell(make_event, monkeypatch, one_statement):
    monkeypatch.setattr(registration_service, "one_statement_claim_available", lambda: one_statement)
    capacity, people = 5, 4 * GROUP
    event = await make_event(capacity=capacity, slug="race-locked")
    await asyncio.gather(
        *(
            register_attendee(slug=event.slug, data=RegistrationInput(**person(n)))
            for n in range(people)
        )
    )
    assert await Registration.filter(event_id=event.id, status="confirmed").count() == capacity
    event = await Event.get(id=event.id)
    assert event.confirmed_count == capacity and event.waitlist_last_seq == people - capacity


def stale_claim(barrier: asyncio.Barrier):
    """A test double for the one-statement claim that decides from a stale read.

    It reads the counter first, waits until ``GROUP`` claims have read it, then runs
    the same statement with that stale decision: the check-then-act race that the
    conditional UPDATE closes.
    """

    async def claim(**kwargs):
        conn = connections.get("default")
        row = (await conn.execute_query_dict(
            "SELECT confirmed_count < capacity AS free FROM event WHERE id = $1", [kwargs["event_id"]]
        ))[0]
        await barrier.wait()
        sql = seat_claim.CLAIM_SQL.replace("confirmed_count < capacity", "$13::boolean")
        rows = await conn.execute_query_dict(
            sql,
            [
                kwargs["event_id"], str(kwargs["registration_uid"]), kwargs["organisation_id"], kwargs["name"],
                kwargs["email"], kwargs["email_key"], kwargs["job_title"], kwargs["consent_version"],
                kwargs["now"], kwargs["token_hash"], kwargs["message_id"], kwargs["manage_url"], row["free"],
            ],
        )
        row = rows[0]
        return seat_claim.Claim(int(row["id"]), str(row["status"]), row["waitlist_seq"], None)

    return claim


@pytest.mark.postgres_only
async def test_control_one_statement_claim_with_a_stale_check_oversells(make_event, monkeypatch):
    barrier = asyncio.Barrier(GROUP)
    monkeypatch.setattr(registration_service, "claim_seat_postgres", stale_claim(barrier))
    capacity, people = 5, 4 * GROUP
    for attempt in range(3):
        event = await make_event(capacity=capacity, slug=f"race-stale-{attempt}")
        async with asyncio.timeout(60):
            await asyncio.gather(
                *(register_attendee(slug=event.slug, data=RegistrationInput(**person(n))) for n in range(people))
            )
        confirmed = await Registration.filter(event_id=event.id, status="confirmed").count()
        if confirmed > capacity:
            break
    assert confirmed > capacity, "the control did not oversell: the race tests could not fail"
