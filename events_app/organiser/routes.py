"""Organiser pages (sign-in required: admin or organiser)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from events_app.auth.access import require_organiser
from events_app.events.service import list_all_events
from events_app.web import render


async def events_index(request: Request) -> Response:
    require_organiser(request)
    return render(request, "organiser/events.html", {"summaries": await list_all_events()})


routes = [
    Route("/organiser", events_index, name="organiser_events"),
]
