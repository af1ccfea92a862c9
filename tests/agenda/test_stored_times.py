"""Moments are stored in UTC whatever offset they came with (SQLite compares them as text)."""

from __future__ import annotations

from datetime import timedelta, timezone

from tortoise import connections

from events_app.agenda.schemas import SessionPatch
from events_app.agenda.service import publish_agenda, update_session
from tests.agenda.conftest import at


async def test_session_times_are_stored_in_utc_after_create_edit_and_publish(conference, rooms, add_session):
    plus_one = timezone(timedelta(hours=1))
    first = (await add_session(title="A", starts_at=at(conference, 0, "10:00").astimezone(plus_one),
                               ends_at=at(conference, 0, "11:00").astimezone(plus_one))).draft
    await publish_agenda(event=conference)
    await update_session(event=conference, session_id=first.id, patch=SessionPatch(
        starts_at=at(conference, 0, "12:00").astimezone(plus_one), ends_at=at(conference, 0, "13:00").astimezone(plus_one)))
    await publish_agenda(event=conference)
    rows = await connections.get("default").execute_query_dict("SELECT starts_at, ends_at FROM agenda_session")
    for row in rows:
        for value in row.values():
            assert str(value).endswith("+00:00") or getattr(value, "utcoffset", lambda: None)() == timedelta(0), value
