"""Bench-only ASGI app: the real app plus one endpoint that does a single Tortoise INSERT.

Served exactly like the real app (same uvicorn settings, workers, database and
pool) so that ``POST /bench/insert`` is the yardstick for
``POST /api/v1/events/{slug}/registrations``: the same middleware, the same JSON
body read, one row written instead of a registration.

    uvicorn bench.baseline_app:create_baseline_app --factory
"""

from __future__ import annotations

import uuid

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from events_app.clock import utcnow
from events_app.main import create_app
from events_app.notifications.models import OutboxMessage, OutboxStatus

BASELINE_PATH = "/bench/insert"


async def insert_one(request: Request) -> Response:
    body = await request.json()
    message = await OutboxMessage.create(
        message_id=f"<bench-{uuid.uuid4().hex}@bench>",
        kind="bench",
        to_email=str(body.get("email", ""))[:254],
        to_name=str(body.get("name", ""))[:120],
        subject="bench",
        body_text="",
        body_html="",
        status=OutboxStatus.SENT,  # never picked up by a sender
        next_attempt_at=utcnow(),
    )
    return JSONResponse({"id": message.id}, status_code=201)


def create_baseline_app() -> Starlette:
    app = create_app()
    app.router.routes.insert(0, Route(BASELINE_PATH, insert_one, methods=["POST"]))
    return app
