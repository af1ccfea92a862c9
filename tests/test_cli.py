"""The `events-app` console script, run as a real subprocess on its own SQLite file."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_cli(tmp: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "EVENTS_APP_VAR_DIR": str(tmp),
        "DATABASE_URL": f"sqlite://{tmp / 'cli.sqlite3'}",
        "SMTP_URL": f"file://{tmp / 'mail'}",
    }
    return subprocess.run(
        [sys.executable, "-m", "events_app.cli", *args],
        input=stdin, env=env, capture_output=True, text=True, cwd=ROOT, timeout=120,
    )


@pytest.fixture
def migrated(tmp_path: Path) -> Path:
    result = run_cli(tmp_path, "migrate")
    assert result.returncode == 0, result.stderr
    return tmp_path


def test_migrate_is_idempotent(migrated: Path) -> None:
    again = run_cli(migrated, "migrate")
    assert again.returncode == 0 and "up to date" in again.stdout
    tables = {r[0] for r in sqlite3.connect(migrated / "cli.sqlite3").execute("select name from sqlite_master where type='table'")}
    assert {"event", "registration", "organisation", "outbox_message", "app_user", "manage_link"} <= tables


def test_seed_demo_loads_the_network_once(migrated: Path) -> None:
    first = run_cli(migrated, "seed-demo")
    assert first.returncode == 0, first.stderr
    assert "Organiser demo login: organiser@example.org / " in first.stdout
    db = sqlite3.connect(migrated / "cli.sqlite3")
    events = dict(db.execute("select slug, capacity from event").fetchall())
    assert events["ecoprocura-2027"] == 400 and events["network-seminar-2027"] == 120
    assert sum(1 for slug in events if slug.startswith("webinar-")) == 3
    kinds = {r[0] for r in db.execute("select kind from event")}
    assert {"conference", "seminar", "webinar"} <= kinds
    zones = {r[0] for r in db.execute("select timezone from event")}
    assert all(zone.startswith("Europe/") for zone in zones)
    countries = {r[0] for r in db.execute("select country from organisation")}
    assert len(countries) >= 5
    second = run_cli(migrated, "seed-demo")
    assert second.returncode == 0 and "already has events" in second.stdout
    assert db.execute("select count(*) from event").fetchone()[0] == len(events)


def test_create_organiser_reads_the_password_from_stdin_and_token_works(migrated: Path) -> None:
    created = run_cli(migrated, "create-organiser", "Lead@City.example", "--role", "admin", stdin="a long enough password\n")
    assert created.returncode == 0, created.stderr
    row = sqlite3.connect(migrated / "cli.sqlite3").execute("select email, role, password_hash from app_user").fetchone()
    assert row[0] == "lead@city.example" and row[1] == "admin" and row[2].startswith("$argon2id$")
    token = run_cli(migrated, "create-token", "lead@city.example")
    assert token.returncode == 0 and token.stdout.strip().startswith("ea_") and len(token.stdout.strip()) > 40
    stored = sqlite3.connect(migrated / "cli.sqlite3").execute("select token_hash from api_token").fetchone()[0]
    assert token.stdout.strip() not in stored


def test_cli_errors_are_clear(migrated: Path) -> None:
    short = run_cli(migrated, "create-organiser", "x@city.example", "--role", "organiser", stdin="short\n")
    assert short.returncode == 1 and "password" in short.stderr and "Traceback" not in short.stderr
    bad_role = run_cli(migrated, "create-organiser", "x@city.example", "--role", "boss", stdin="long enough password\n")
    assert bad_role.returncode == 2 and "invalid choice" in bad_role.stderr
    no_user = run_cli(migrated, "create-token", "nobody@city.example")
    assert no_user.returncode == 1 and "No account" in no_user.stderr
    workers = run_cli(migrated, "serve", "--workers", "2")
    assert workers.returncode == 2 and "SQLite" in workers.stderr


# --- `events-app worker` -----------------------------------------------------------------


def test_worker_sends_the_outbox_over_smtp_and_stops_cleanly_on_sigterm(migrated: Path) -> None:
    """The real console command: demo registrations' emails reach a loopback SMTP server once each."""
    import signal
    import time
    from collections import Counter

    from tests.conftest import free_port
    from tests.notifications.conftest import SmtpCapture

    assert run_cli(migrated, "seed-demo").returncode == 0
    db = sqlite3.connect(migrated / "cli.sqlite3")
    queued = dict(db.execute("select message_id, to_email from outbox_message").fetchall())
    assert len(queued) >= 10
    smtp = SmtpCapture(free_port())
    smtp.start()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "EVENTS_APP_VAR_DIR": str(migrated),
        "DATABASE_URL": f"sqlite://{migrated / 'cli.sqlite3'}",
        "SMTP_URL": f"smtp://127.0.0.1:{smtp.port}",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "events_app.cli", "worker", "--interval", "0.2"],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while len(smtp.received) < len(queued) and worker.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert worker.poll() is None, "the worker exited early"
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate()
        smtp.stop()
    assert worker.returncode == 0, err
    assert "Outbox sender running (smtp)" in out
    assert Counter(r.message_id for r in smtp.received) == Counter(queued.keys())  # each exactly once
    assert {r.message_id: r.to for r in smtp.received} == queued
    statuses = db.execute("select status, count(*) from outbox_message group by status").fetchall()
    assert statuses == [("sent", len(queued))]
