"""`events-app badges`, run as a real subprocess on its own SQLite file holding the demo data."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.pdf_tools import pdf_pages, pdf_text, qr_codes, squeeze

ROOT = Path(__file__).resolve().parent.parent.parent
SLUG = "ecoprocura-2027"


def run_cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "EVENTS_APP_VAR_DIR": str(home),
        "DATABASE_URL": f"sqlite://{home / 'cli.sqlite3'}",
        "SMTP_URL": f"file://{home / 'mail'}",
    }
    return subprocess.run([sys.executable, "-m", "events_app.cli", *args], env=env, capture_output=True,
                          text=True, cwd=ROOT, timeout=120)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("badges_cli_seed")
    for command in ("migrate", "seed-demo"):
        result = run_cli(home, command)
        assert result.returncode == 0, result.stderr
    return home


@pytest.fixture
def home(seeded: Path, tmp_path: Path) -> Path:
    """A copy of the demo database of its own (tests mark badges as printed)."""
    shutil.copy(seeded / "cli.sqlite3", tmp_path / "cli.sqlite3")
    shutil.copy(seeded / "secret_key", tmp_path / "secret_key")
    return tmp_path


def confirmed(home: Path) -> list[tuple[int, str, str]]:
    return sqlite3.connect(home / "cli.sqlite3").execute(
        "select r.id, r.name, r.ticket_secret from registration r join event e on e.id = r.event_id "
        "where e.slug = ? and r.status = 'confirmed'", (SLUG,)).fetchall()


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.suffix in {".pdf", ".tmp"})


@pytest.mark.parametrize("layout", ["a6", "a4-4up", "fold"])
def test_writes_the_badges_of_the_event(home: Path, layout: str) -> None:
    out = home / "badges.pdf"
    result = run_cli(home, "badges", SLUG, "-o", str(out), "--layout", layout)
    assert result.returncode == 0, result.stderr
    people = confirmed(home)
    assert len(people) >= 5
    assert result.stdout.strip() == f"Wrote {len(people)} badges ({layout}) to {out}."
    assert result.stderr == ""  # no progress bar when standard error is not a terminal
    pdf = out.read_bytes()
    text = squeeze(pdf_text(pdf))
    assert all(squeeze(name) in text for _id, name, _secret in people)
    per_page = {"a6": 1, "a4-4up": 4, "fold": 2}[layout]
    assert pdf_pages(pdf) == -(-len(people) // per_page)
    if layout == "a4-4up":  # the secrets were given on first use; the QR codes hold them
        assert sorted(qr_codes(pdf)) == sorted(f"EA1-{secret}" for _id, _name, secret in confirmed(home))
    assert leftovers(home) == ["badges.pdf"]


def test_progress_lines_on_standard_error(home: Path) -> None:
    result = run_cli(home, "badges", SLUG, "-o", str(home / "b.pdf"), "--progress")
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines[0].startswith("Rendering ") and "badges (a6) for EcoProcura 2027" in lines[0]
    assert lines[-1] == "Rendering: 100%"
    assert all(line.startswith("Rendering") for line in lines) and len(lines) >= 3
    assert "Rendering" not in result.stdout


@pytest.mark.parametrize("args, field", [
    (["no-such-event"], "no-such-event:"),
    ([SLUG, "--layout", "b5"], "--layout:"),
    ([SLUG, "--since", "2027-13-01"], "--since:"),
    ([SLUG, "--since", "yesterday"], "--since:"),
    ([SLUG, "--role", "vip"], "--role:"),
])
def test_bad_input_is_one_line_exit_2_nothing_written(home: Path, args: list[str], field: str) -> None:
    out = home / "out.pdf"
    out.write_bytes(b"the previous file")
    result = run_cli(home, "badges", *args[:1], "-o", str(out), *args[1:])
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(f"events-app badges: {field}"), result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert out.read_bytes() == b"the previous file"
    assert leftovers(home) == ["out.pdf"]


def test_unusable_output_is_refused_before_work(home: Path) -> None:
    missing = run_cli(home, "badges", SLUG, "-o", str(home / "nowhere" / "b.pdf"))
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1 and "does not exist" in missing.stderr
    folder = run_cli(home, "badges", SLUG, "-o", str(home))
    assert folder.returncode == 2 and "is a folder" in folder.stderr
    no_output = run_cli(home, "badges", SLUG)
    assert no_output.returncode == 2 and no_output.stderr.startswith("events-app badges: -o:")
    assert leftovers(home) == []


def test_filters_and_mark_printed(home: Path) -> None:
    people = confirmed(home)
    db = sqlite3.connect(home / "cli.sqlite3")
    db.execute("update registration set badge_role = 'participant'")  # the demo gives some other roles
    db.execute("update registration set badge_role = 'speaker' where id = ?", (people[0][0],))
    db.commit()
    speakers = run_cli(home, "badges", SLUG, "-o", str(home / "s.pdf"), "--role", "speaker", "--mark-printed")
    assert speakers.returncode == 0, speakers.stderr
    assert speakers.stdout.splitlines() == [f"Wrote 1 badges (a6) to {home / 's.pdf'}.", "Marked 1 badges as printed."]
    assert "SPEAKER" in pdf_text((home / "s.pdf").read_bytes())

    rest = run_cli(home, "badges", SLUG, "-o", str(home / "r.pdf"), "--not-printed", "--mark-printed")
    assert rest.returncode == 0 and f"Wrote {len(people) - 1} badges" in rest.stdout
    printed = db.execute("select count(*) from registration r join event e on e.id = r.event_id "
                         "where e.slug = ? and r.badge_printed_at is not null", (SLUG,)).fetchone()[0]
    assert printed == len(people)

    nothing = run_cli(home, "badges", SLUG, "-o", str(home / "n.pdf"), "--not-printed")
    assert nothing.returncode == 1 and "nothing written" in nothing.stderr and not (home / "n.pdf").exists()
    future = run_cli(home, "badges", SLUG, "-o", str(home / "n.pdf"), "--since", "2099-01-01")
    assert future.returncode == 1 and not (home / "n.pdf").exists()
    today = run_cli(home, "badges", SLUG, "-o", str(home / "t.pdf"), "--since", "2000-01-01")
    assert today.returncode == 0 and f"Wrote {len(people)} badges" in today.stdout
