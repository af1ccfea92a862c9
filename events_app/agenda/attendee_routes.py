"""The attendee's personal agenda, reached through the private manage link."""

from __future__ import annotations

from starlette.routing import Route

routes: list[Route] = []
