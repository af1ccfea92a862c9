"""JSON API v1 for the agenda: rooms, speakers, sessions, publish, and attendees' picks."""

from __future__ import annotations

from starlette.routing import Route

routes: list[Route] = []
