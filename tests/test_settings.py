from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from events_app.settings import ConfigError, load_settings

ROOT = Path(__file__).resolve().parent.parent


def test_defaults_make_a_local_sqlite_setup(tmp_path: Path) -> None:
    settings = load_settings({"EVENTS_APP_VAR_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite://{tmp_path / 'events.sqlite3'}"
    assert settings.base_url == "http://127.0.0.1:8000"
    assert len(settings.secret_key) >= 32
    assert (tmp_path / "secret_key").read_text().strip() == settings.secret_key
    # the generated key is reused, not regenerated
    assert load_settings({"EVENTS_APP_VAR_DIR": str(tmp_path)}).secret_key == settings.secret_key
    assert settings.rate_limit is not None and settings.smtp.scheme == "file"


def test_settings_are_frozen(tmp_path: Path) -> None:
    settings = load_settings({"EVENTS_APP_VAR_DIR": str(tmp_path)})
    with pytest.raises(AttributeError):
        settings.base_url = "http://elsewhere"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"DATABASE_URL": "mysql://x/y"}, "DATABASE_URL"),
        ({"DATABASE_URL": "postgres://"}, "DATABASE_URL"),
        ({"BASE_URL": "ftp://example.org"}, "BASE_URL"),
        ({"BASE_URL": "https://events.example.org"}, "SECRET_KEY"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"SMTP_URL": "imap://mail.example.org"}, "SMTP_URL"),
        ({"SMTP_URL": "smtp://mail.example.org:notaport"}, "SMTP_URL"),
        ({"RATE_LIMIT": "lots"}, "RATE_LIMIT"),
        ({"RATE_LIMIT": "0/minute"}, "RATE_LIMIT"),
        ({"MAIL_FROM": "nobody"}, "MAIL_FROM"),
        ({"PRIVACY_VERSION": "v" * 40}, "PRIVACY_VERSION"),
    ],
)
def test_malformed_values_name_the_variable(tmp_path: Path, env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings({"EVENTS_APP_VAR_DIR": str(tmp_path), **env})
    assert info.value.variable == variable
    assert variable in str(info.value) and "\n" not in str(info.value)


def test_valid_values_are_understood(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "EVENTS_APP_VAR_DIR": str(tmp_path),
            "DATABASE_URL": "postgresql://u:p@db.internal:5432/events",
            "BASE_URL": "https://events.example.org/",
            "SECRET_KEY": "k" * 40,
            "SMTP_URL": "smtp+starttls://user:pw@mail.example.org",
            "RATE_LIMIT": "off",
        }
    )
    assert settings.database_url.startswith("postgres://") and settings.is_https
    assert settings.base_url == "https://events.example.org"
    assert (settings.smtp.scheme, settings.smtp.port, settings.smtp.username) == ("smtp+starttls", 587, "user")
    assert settings.rate_limit is None


def test_cli_stops_with_one_line_naming_the_variable(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "events_app.cli", "migrate"],
        env={"PATH": "/usr/bin:/bin", "EVENTS_APP_VAR_DIR": str(tmp_path), "DATABASE_URL": "oracle://x"},
        capture_output=True, text=True, cwd=ROOT, timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "DATABASE_URL" in result.stderr
