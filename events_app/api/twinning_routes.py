"""JSON API v1 for the twinning programme (being built)."""

from __future__ import annotations

from starlette.routing import Route

routes: list[Route] = []
