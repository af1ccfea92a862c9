"""JSON API v1 (mounted at /api/v1) and the health check."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from tortoise import connections


async def healthz(request: Request) -> Response:
    try:
        await connections.get("default").execute_query("SELECT 1")
    except Exception:
        return JSONResponse({"status": "unavailable"}, status_code=503)
    return JSONResponse({"status": "ok"})


health_routes = [Route("/healthz", healthz, name="healthz")]
routes: list[Route] = []
