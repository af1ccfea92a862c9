"""The organiser's agenda builder (day-by-room grid, htmx)."""

from __future__ import annotations

from starlette.routing import Route

routes: list[Route] = []
