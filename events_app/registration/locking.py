"""The capacity lock, taken inside the transaction that changes who has a seat.

PostgreSQL: ``SELECT ... FOR UPDATE`` on the event row serialises every
transaction that takes or frees a seat of that event, across processes, until
commit; the session's ``lock_timeout`` (set for every connection in db.py) turns
a stuck lock into an error (503 to the client) instead of a hang.
SQLite: Tortoise runs one transaction at a time on its single connection (an
asyncio lock), which serialises them within the one process SQLite supports.
"""

from __future__ import annotations

from tortoise.backends.base.client import BaseDBAsyncClient

from events_app.events.models import Event


async def lock_event(event_id: int, conn: BaseDBAsyncClient) -> Event:
    """Lock the event row for the rest of ``conn``'s transaction and return it fresh."""
    return await Event.select_for_update().using_db(conn).get(id=event_id)
