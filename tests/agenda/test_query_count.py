"""Acceptance 7: the public agenda page and the event feed cost the same number of SQL
queries for 10 sessions as for 150 (rooms, tracks and speakers read in bulk).

Queries are counted with a handler on the ``tortoise.db_client`` logger, where both the
SQLite and the asyncpg client log every statement they send (at DEBUG). The per-process
cache of built agendas is emptied before each cold count; a warm read is counted too.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager

from bench.agenda_pages import seed_conference
from events_app.agenda.feed_tokens import feed_token
from events_app.agenda.feeds import forget_feeds
from events_app.agenda.models import AgendaSession
from events_app.agenda.picks import list_pickable_sessions, set_session_picks
from events_app.agenda.public import forget_public_agendas
from tests.conftest import TEST_DB

_STATEMENT = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b", re.IGNORECASE)


class _Counter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if _STATEMENT.match(text):
            self.statements.append(text)


@contextmanager
def counting() -> Iterator[_Counter]:
    logger = logging.getLogger("tortoise.db_client")
    handler = _Counter()
    level, propagate = logger.level, logger.propagate
    logger.setLevel(logging.DEBUG)
    logger.propagate = False  # keep pytest's log capture out of it
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate


def cold() -> None:
    forget_public_agendas()
    forget_feeds()


async def _count(client, path: str, *, warm: bool = False) -> int:  # type: ignore[no-untyped-def]
    if not warm:
        cold()
    with counting() as counter:
        response = await client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return len(counter.statements)


async def _counts_for(client, slug: str) -> dict[str, int]:  # type: ignore[no-untyped-def]
    session_id = (await AgendaSession.filter(event__slug=slug).order_by("-id").first()).id
    counts = {
        "agenda": await _count(client, f"/events/{slug}/agenda"),
        "agenda_filtered": await _count(client, f"/events/{slug}/agenda?kind=workshop&track=1"),
        "feed": await _count(client, f"/events/{slug}/calendar.ics"),
        "session": await _count(client, f"/events/{slug}/sessions/{session_id}"),
        "stylesheet": await _count(client, f"/events/{slug}/agenda.css"),
    }
    await client.get(f"/events/{slug}/agenda")  # warm the cache
    counts["agenda_warm"] = await _count(client, f"/events/{slug}/agenda", warm=True)
    counts["feed_warm"] = await _count(client, f"/events/{slug}/calendar.ics", warm=True)
    return counts


async def test_query_count_does_not_grow_with_the_number_of_sessions(client, settings):
    small = await seed_conference(slug="small-agenda", sessions=10, speakers=6, attendees=0)
    big = await seed_conference(slug="big-agenda", sessions=150, speakers=60, attendees=0)
    assert await AgendaSession.filter(event_id=big.id).count() == 150

    few = await _counts_for(client, small.slug)
    many = await _counts_for(client, big.slug)
    assert few == many, (TEST_DB, few, many)
    # cold: the event, then rooms, tracks, speakers and sessions in bulk (+1 fresh seat count
    # on a session page); warm: only the event row, to learn the agenda's current version
    assert many["agenda"] == many["feed"] == many["agenda_filtered"] == many["stylesheet"] == 5
    assert many["session"] == 6
    assert many["agenda_warm"] == many["feed_warm"] == 1


async def test_personal_feed_query_count_does_not_grow_with_the_picks(client, settings, register):
    event = await seed_conference(slug="picks-agenda", sessions=30, speakers=10, attendees=0)
    sessions = await list_pickable_sessions(event=event)
    by_time: dict[object, AgendaSession] = {}
    for session in sessions:  # one per time slot: picks must not overlap
        by_time.setdefault(session.starts_at, session)
    choice = list(by_time.values())
    assert len(choice) >= 6
    one = (await register(event)).registration
    six = (await register(event)).registration
    await set_session_picks(registration=one, session_ids=[choice[0].id])
    await set_session_picks(registration=six, session_ids=[s.id for s in choice[:6]])

    counts = []
    for registration in (one, six):
        with counting() as counter:
            response = await client.get(f"/calendar/{feed_token(registration)}.ics")
        assert response.status_code == 200
        counts.append(len(counter.statements))
    assert counts[0] == counts[1] <= 6, counts
