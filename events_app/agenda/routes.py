"""Public agenda pages and calendar feeds."""

from __future__ import annotations

from starlette.routing import Route

routes: list[Route] = []
