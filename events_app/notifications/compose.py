"""Subject, plain text and HTML of each email, from templates/emails/."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from events_app.calendar.invite import personal_join_url
from events_app.events.models import Event
from events_app.organisations.models import Organisation
from events_app.registration.models import Registration
from events_app.web import jinja_env

SUBJECTS = {
    "confirmation": "Your place at {title} is confirmed",
    "waitlist": "You are on the waiting list for {title}",
    "promotion": "A place opened up: you are now registered for {title}",
    "cancellation": "Your registration for {title} is cancelled",
    "event_update": "Updated: {title}",
    "event_cancelled": "Cancelled: {title}",
    "manage_link": "Your link to manage your registration for {title}",
    "new_ticket": "Your new ticket for {title}",
}


@dataclass(frozen=True, slots=True)
class EmailDraft:
    subject: str
    text: str
    html: str


def compose_registration_email(
    *,
    kind: str,
    registration: Registration,
    event: Event,
    organisation: Organisation,
    manage_url: str | None,
    event_url: str,
    waitlist_position: int | None,
    has_invite: bool,
    sessions: Sequence[object] = (),
) -> EmailDraft:
    """``sessions``: lines (agenda_render.SessionLine) of the sessions a cancellation also removes."""
    context = {
        "kind": kind,
        "registration": registration,
        "event": event,
        "organisation": organisation,
        "manage_url": manage_url,
        "event_url": event_url,
        "waitlist_position": waitlist_position,
        "has_invite": has_invite,
        "sessions": list(sessions),
        "join_url": personal_join_url(event, registration, "REQUEST" if has_invite else None),
    }
    text = jinja_env.get_template(f"emails/{kind}.txt").render(context)
    html = jinja_env.get_template(f"emails/{kind}.html").render(context)
    return EmailDraft(SUBJECTS[kind].format(title=event.title), text, html)
