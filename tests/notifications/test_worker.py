"""The sender loop (`run_sender`): it keeps going through SMTP and database outages, and two
senders never send one message twice. Waits poll for an outcome with a generous bound."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from tortoise import connections
from tortoise.transactions import in_transaction

from events_app.clock import utcnow
from events_app.notifications import service as outbox
from events_app.notifications.mailer import Mailer
from events_app.notifications.models import OutboxMessage, OutboxStatus
from events_app.notifications.service import deliver_due_messages
from events_app.notifications.worker import run_sender
from tests.notifications.conftest import SmtpCapture

WAIT = 30.0  # upper bound for anything to happen; tests return as soon as it has


async def eventually(check: Callable[[], Awaitable[bool]], what: str, *, within: float = WAIT) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def running_sender(mailer: Mailer, *, interval: float = 0.05) -> AsyncIterator[asyncio.Task[None]]:
    stop = asyncio.Event()
    task = asyncio.create_task(run_sender(mailer=mailer, stop=stop, interval=interval))
    try:
        yield task
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=WAIT)


async def test_the_loop_sends_what_is_queued_and_stops_when_asked(make_event, register, smtp: SmtpCapture):
    event = await make_event()
    async with running_sender(smtp.mailer()) as task:
        first = await register(event)
        await eventually(lambda: _received(smtp, first.registration.email), "the first email arrived")
        second = await register(event)
        await eventually(lambda: _received(smtp, second.registration.email), "the second email arrived")
    assert task.done() and task.exception() is None
    assert await OutboxMessage.filter(status=OutboxStatus.SENT).count() == 2
    assert len(smtp.received) == 2


async def _received(smtp: SmtpCapture, address: str) -> bool:
    return bool(smtp.to(address))


async def test_the_loop_rides_out_an_smtp_outage(make_event, register, smtp_down: SmtpCapture, monkeypatch):
    monkeypatch.setattr(outbox, "backoff", lambda attempts: timedelta(milliseconds=50))
    monkeypatch.setattr(outbox, "MAX_ATTEMPTS", 1_000_000)  # fast retries must not run out
    event = await make_event()
    people = [await register(event) for _ in range(5)]
    async with running_sender(smtp_down.mailer(timeout=5)) as task:

        async def retried() -> bool:
            return await OutboxMessage.filter(attempts__gte=2).count() == 5

        await eventually(retried, "every message failed twice")
        assert smtp_down.received == []
        smtp_down.start()

        async def all_sent() -> bool:
            return await OutboxMessage.filter(status=OutboxStatus.SENT).count() == 5

        await eventually(all_sent, "every message was sent")
        assert not task.done()
    assert smtp_down.count_by_recipient() == {p.registration.email: 1 for p in people}
    assert set(smtp_down.count_by_message_id().values()) == {1}


class Recorder:
    """Wraps a mailer; yields to the loop before each send so concurrent senders interleave."""

    def __init__(self, inner: Mailer) -> None:
        self.inner = inner
        self.sent: list[str] = []

    async def send(self, message) -> None:  # type: ignore[no-untyped-def]
        await asyncio.sleep(0.01)
        await self.inner.send(message)
        self.sent.append(str(message["Message-ID"]))


@pytest.mark.postgres_only
async def test_two_senders_racing_deliver_each_message_exactly_once(make_event, register, smtp: SmtpCapture):
    event = await make_event(capacity=60)
    for _ in range(50):
        await register(event)
    assert await OutboxMessage.all().count() == 50
    senders = [Recorder(smtp.mailer()), Recorder(smtp.mailer())]

    async def drain(mailer: Recorder) -> int:
        total = 0
        while sent := await deliver_due_messages(mailer=mailer, limit=5):
            total += sent
        return total

    counts = await asyncio.gather(*(drain(s) for s in senders))
    assert sum(counts) == 50
    assert all(count > 0 for count in counts), counts  # both really took part
    assert not set(senders[0].sent) & set(senders[1].sent)
    assert Counter(smtp.count_by_message_id().values()) == {1: 50}
    assert await OutboxMessage.filter(status=OutboxStatus.SENT, attempts=1).count() == 50
    assert await deliver_due_messages(mailer=senders[0], now=utcnow() + timedelta(days=1)) == 0


@pytest.mark.postgres_only
async def test_two_concurrent_claims_never_share_a_row(make_event, register):
    event = await make_event(capacity=60)
    for _ in range(30):
        await register(event)
    claims = await asyncio.gather(*(outbox.claim_due_messages(limit=10) for _ in range(4)))
    ids = [m.id for claim in claims for m in claim]
    assert len(ids) == len(set(ids)) == 30


async def _connect(database_url: str, database: str | None = None):  # type: ignore[no-untyped-def]
    import asyncpg

    parts = urlsplit(database_url)
    return await asyncpg.connect(
        host=parts.hostname, port=parts.port or 5432, user=parts.username or "postgres",
        password=parts.password, database=database or parts.path.strip("/"),
    )


async def _terminate_other_backends(database_url: str) -> int:
    conn = await _connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return sum(1 for row in rows if row[0])
    finally:
        await conn.close()


async def _with_retries(work: Callable[[], Awaitable[object]], what: str) -> object:
    """The test's own writes may meet a killed pooled connection once, like any client."""
    deadline = asyncio.get_running_loop().time() + WAIT
    while True:
        try:
            return await work()
        except Exception:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"could not {what} after the connections were killed") from None
            await asyncio.sleep(0.1)


@pytest.mark.postgres_only
async def test_the_loop_carries_on_after_its_connections_are_killed(
    make_event, register, smtp: SmtpCapture, database_url: str
):
    event = await make_event()
    async with running_sender(smtp.mailer()) as task:
        before = await register(event)
        await eventually(lambda: _received(smtp, before.registration.email), "the email before the kill arrived")

        assert await _terminate_other_backends(database_url) >= 1

        await _with_retries(lambda: register(event, email="after@example.org"), "register")
        await eventually(lambda: _received(smtp, "after@example.org"), "the email queued after the kill arrived")
        assert not task.done()
    assert task.exception() is None
    assert smtp.count_by_recipient() == {before.registration.email: 1, "after@example.org": 1}


@contextlib.asynccontextmanager
async def database_refusing_connections(database_url: str) -> AsyncIterator[None]:
    """Kill every session of the test database and refuse new ones until the block ends."""
    name = urlsplit(database_url).path.strip("/")
    admin = await _connect(database_url, database="postgres")
    try:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        await admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name)
        yield
    finally:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        await admin.close()


@pytest.mark.postgres_only
async def test_the_loop_survives_a_database_outage_and_recovers(
    make_event, register, smtp: SmtpCapture, database_url: str, caplog: pytest.LogCaptureFixture
):
    """Connections killed AND refused for a while (like a restart): rounds fail, the loop lives on."""
    caplog.set_level(logging.ERROR, logger="events_app.worker")
    event = await make_event()
    async with running_sender(smtp.mailer()) as task:
        before = await register(event)
        await eventually(lambda: _received(smtp, before.registration.email), "the email before the outage arrived")

        async def rounds_failed() -> bool:
            return sum(1 for r in caplog.records if r.name == "events_app.worker") >= 3

        async with database_refusing_connections(database_url):
            await eventually(rounds_failed, "the sender noticed the outage")
            assert not task.done()

        await _with_retries(lambda: register(event, email="after@example.org"), "register")
        await eventually(lambda: _received(smtp, "after@example.org"), "the email queued after the outage arrived")
        assert not task.done()
    assert task.exception() is None
    assert smtp.count_by_recipient() == {before.registration.email: 1, "after@example.org": 1}


async def _select_one() -> None:
    async with in_transaction() as conn:
        await conn.execute_query("SELECT 1")


@pytest.mark.postgres_only
async def test_outages_neither_leak_pool_connections_nor_break_a_long_lived_task(database_url: str, settings):
    """Tortoise 1.1.9 kept a pooled connection for good when BEGIN failed on a killed one
    (events_app/db_guard.py): a few outages, and the pool could no longer give out all its
    connections. This task also keeps working in the same task, without a fresh one."""
    failures: Counter[str] = Counter()
    for _ in range(6):
        await asyncio.gather(*(_select_one() for _ in range(3)))  # some pooled connections to kill
        async with database_refusing_connections(database_url):
            for _ in range(3):
                try:
                    await _select_one()  # in this long-lived task, on purpose
                except Exception as exc:
                    failures[type(exc).__name__] += 1
        await _with_retries(_select_one, "run a transaction in the same task")
    assert sum(failures.values()) >= 6, failures  # the outages really broke transactions

    size = connections.get("default")._pool.get_max_size()
    entered = 0
    release = asyncio.Event()

    async def hold() -> None:
        nonlocal entered
        async with in_transaction() as conn:
            await conn.execute_query("SELECT 1")
            entered += 1
            await release.wait()

    async def all_held() -> bool:
        return entered == size

    holders = [asyncio.create_task(hold()) for _ in range(size)]
    try:
        await eventually(all_held, f"all {size} pooled connections were in use at once")
    finally:
        release.set()
        await asyncio.gather(*holders, return_exceptions=True)
