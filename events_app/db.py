"""Tortoise configuration listing every feature's models, and schema migration."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from tortoise import Tortoise, connections
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.migrations.api import migrate

from events_app import db_guard

db_guard.install()  # Tortoise 1.1.9 leaks a pooled connection when BEGIN fails: see db_guard.py

MODEL_MODULES = [
    "events_app.events.models",
    "events_app.organisations.models",
    "events_app.registration.models",
    "events_app.notifications.models",
    "events_app.auth.models",
    "events_app.agenda.models",
    "events_app.twinning.models",
    "events_app.checkin.models",
    "events_app.badges.models",
]


def _with_pool(url: str) -> str:
    """Give PostgreSQL a pool big enough for load (asyncpg's default maxsize is 5)."""
    if url.startswith("postgres") and "maxsize=" not in url:
        return url + ("&" if urlsplit(url).query else "?") + "maxsize=20"
    return url


# Every PostgreSQL session: a lock wait longer than this fails (503) instead of hanging.
PG_SERVER_SETTINGS = {"lock_timeout": "5s", "idle_in_transaction_session_timeout": "60s"}


def _connection(database_url: str) -> str | dict[str, Any]:
    url = _with_pool(database_url)
    if not url.startswith("postgres"):
        return url
    config = expand_db_url(url)
    config["credentials"]["server_settings"] = dict(PG_SERVER_SETTINGS)
    return config


def tortoise_config(database_url: str) -> dict[str, Any]:
    return {
        "connections": {"default": _connection(database_url)},
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
