"""Config for Tortoise's own CLI (`tortoise -c tortoise_conf.TORTOISE_ORM makemigrations`)."""

from events_app.db import tortoise_config

TORTOISE_ORM = tortoise_config("sqlite://var/makemigrations.sqlite3")
