"""Organiser pages for webinars: reminder times and the recording link."""

from __future__ import annotations

from starlette.routing import Route

routes: list[Route] = []
