"""Tortoise configuration listing every feature's models, and schema migration."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from tortoise import Tortoise, connections
from tortoise.migrations.api import migrate

MODEL_MODULES = [
    "events_app.events.models",
    "events_app.organisations.models",
    "events_app.registration.models",
    "events_app.notifications.models",
    "events_app.auth.models",
]


def _with_pool(url: str) -> str:
    """Give PostgreSQL a pool big enough for load (asyncpg's default maxsize is 5)."""
    if url.startswith("postgres") and "maxsize=" not in url:
        return url + ("&" if urlsplit(url).query else "?") + "maxsize=20"
    return url


def tortoise_config(database_url: str) -> dict[str, Any]:
    return {
        "connections": {"default": _with_pool(database_url)},
        "apps": {
            "models": {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": "events_app.migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def init_db(database_url: str) -> None:
    await Tortoise.init(config=tortoise_config(database_url), _enable_global_fallback=True)


async def close_db() -> None:
    await connections.close_all()


async def migrate_db(database_url: str) -> None:
    """Apply every checked-in migration (idempotent)."""
    try:
        await migrate(config=tortoise_config(database_url))
    finally:
        await connections.close_all()
