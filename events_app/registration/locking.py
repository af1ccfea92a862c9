"""The capacity lock, taken inside the transaction that changes who has a seat.

PostgreSQL: ``SELECT ... FOR UPDATE`` on the event row serialises every
transaction that takes or frees a seat of that event, across processes, until
commit; a ``lock_timeout`` turns a stuck lock into an error instead of a hang.
SQLite: Tortoise runs one transaction at a time on its single connection (an
asyncio lock), which serialises them within the one process SQLite supports.
"""

from __future__ import annotations

from tortoise.backends.base.client import BaseDBAsyncClient

from events_app.events.models import Event

LOCK_TIMEOUT_MS = 5000


async def lock_event(event_id: int, conn: BaseDBAsyncClient) -> Event:
    """Lock the event row for the rest of ``conn``'s transaction and return it fresh."""
    if conn.capabilities.dialect == "postgres":
        await conn.execute_query(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT_MS}ms'")
    return await Event.select_for_update().using_db(conn).get(id=event_id)
