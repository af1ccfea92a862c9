"""Which online sessions' join links a registered person may see.

Two kinds of online session (a session with an ``online_url``):
- one that needs a sign-up (a workshop, a site visit, a webinar session, or any
  session with a capacity): its link goes to the people with a confirmed place in it;
- one that is open to every attendee (a plenary livestream, an online networking
  hour): its link goes to every confirmed registration of the event.
Never to the public: public pages and feeds show "Online" and nothing more.
"""

from __future__ import annotations

from events_app.agenda.models import AgendaSession, SessionStatus
from events_app.events.models import Event
from events_app.registration.models import Registration, RegistrationStatus


def is_open_online(session: AgendaSession) -> bool:
    """An online session that needs no sign-up: every confirmed attendee may join it."""
    return bool(session.online_url) and not session.pickable


def open_join_url(session: AgendaSession, registration: Registration) -> str:
    """The join link of an open online session, for a confirmed registration only."""
    if (
        is_open_online(session)
        and session.status == SessionStatus.PUBLISHED
        and registration.status == RegistrationStatus.CONFIRMED
    ):
        return session.online_url
    return ""


async def list_open_online_sessions(*, event: Event, with_cancelled: bool = False) -> list[AgendaSession]:
    """The event's published online sessions open to every attendee, by start time
    (``with_cancelled``: also the cancelled ones, for calendars that must drop them)."""
    statuses = [SessionStatus.PUBLISHED, SessionStatus.CANCELLED] if with_cancelled else [SessionStatus.PUBLISHED]
    sessions = await (
        AgendaSession.filter(event_id=event.id, status__in=statuses)
        .exclude(online_url="")
        .order_by("starts_at", "id")
    )
    return [s for s in sessions if is_open_online(s)]
