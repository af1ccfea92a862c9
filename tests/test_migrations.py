"""The checked-in migrations match the models (no change waiting for makemigrations)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
import asyncio, sys
from tortoise.cli.cli import tortoise_cli_context
from tortoise.migrations.autodetector import MigrationAutodetector
from events_app.db import tortoise_config

async def main():
    config = tortoise_config("sqlite://" + sys.argv[1])
    apps = config["apps"]
    async with tortoise_cli_context(config) as ctx:
        writers = await MigrationAutodetector(ctx.apps, apps).changes()
    print("PENDING:" + ",".join(w.name for w in writers))

asyncio.run(main())
"""


def test_models_and_migrations_agree(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "check.sqlite3")],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "PENDING:\n" in result.stdout or result.stdout.strip() == "PENDING:", (
        "models changed without a migration: run `tortoise -c tortoise_conf.TORTOISE_ORM makemigrations`\n"
        + result.stdout
    )
