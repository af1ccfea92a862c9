"""Environment -> one frozen Settings object.

Every variable is read and checked once, at start-up. A missing or malformed
value raises :class:`ConfigError` whose message is one line naming the variable;
the CLI prints it and exits with status 2.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_VAR_DIR = PROJECT_ROOT / "var"


class ConfigError(Exception):
    """A configuration variable is missing or malformed."""

    def __init__(self, variable: str, problem: str) -> None:
        self.variable = variable
        super().__init__(f"configuration error: {variable} {problem}")


@dataclass(frozen=True, slots=True)
class RateLimit:
    """At most ``count`` attempts per ``seconds`` for one client key."""

    count: int
    seconds: int


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    scheme: str  # "smtp" | "smtps" | "smtp+starttls" | "file"
    host: str
    port: int
    username: str | None
    password: str | None
    path: Path | None  # for the "file" scheme: a folder where .eml files are written


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str
    secret_key: str
    base_url: str
    smtp: SmtpConfig
    rate_limit: RateLimit | None
    mail_from: str
    var_dir: Path
    privacy_version: str

    @property
    def is_https(self) -> bool:
        return self.base_url.startswith("https://")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite:")

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).hostname or "localhost"


_PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


def parse_rate_limit(raw: str) -> RateLimit | None:
    """``"10/minute"`` -> RateLimit(10, 60); ``"off"`` -> None."""
    value = raw.strip().lower()
    if value == "off":
        return None
    match = re.fullmatch(r"(\d{1,6})\s*/\s*(second|minute|hour|day)", value)
    if not match or int(match.group(1)) < 1:
        raise ConfigError("RATE_LIMIT", f"must look like '10/minute' or 'off', got {raw!r}")
    return RateLimit(int(match.group(1)), _PERIODS[match.group(2)])


def parse_database_url(raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme == "sqlite":
        if not raw[len("sqlite://") :]:
            raise ConfigError("DATABASE_URL", "needs a file path, e.g. sqlite://var/events.sqlite3")
        return raw
    if parts.scheme in {"postgres", "postgresql", "asyncpg"}:
        if not parts.hostname or not parts.path.strip("/"):
            raise ConfigError("DATABASE_URL", "needs a host and a database name")
        return "postgres" + raw[len(parts.scheme) :]
    raise ConfigError("DATABASE_URL", f"must start with sqlite:// or postgres://, got {raw!r}")


def parse_base_url(raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ConfigError("BASE_URL", f"must be an http(s) URL like https://events.example.org, got {raw!r}")
    if parts.query or parts.fragment:
        raise ConfigError("BASE_URL", "must not carry a query or fragment")
    return raw.rstrip("/")


def parse_smtp_url(raw: str, var_dir: Path) -> SmtpConfig:
    if not raw:
        return SmtpConfig("file", "", 0, None, None, var_dir / "mail")
    parts = urlsplit(raw)
    if parts.scheme == "file":
        if not parts.path:
            raise ConfigError("SMTP_URL", "file:// needs a folder path")
        return SmtpConfig("file", "", 0, None, None, Path(parts.path))
    defaults = {"smtp": 25, "smtps": 465, "smtp+starttls": 587}
    if parts.scheme not in defaults:
        raise ConfigError(
            "SMTP_URL", f"must start with smtp://, smtps://, smtp+starttls:// or file://, got {raw!r}"
        )
    try:
        port = parts.port or defaults[parts.scheme]
    except ValueError:
        raise ConfigError("SMTP_URL", "has a malformed port") from None
    if not parts.hostname:
        raise ConfigError("SMTP_URL", "needs a host name")
    return SmtpConfig(parts.scheme, parts.hostname, port, parts.username, parts.password, None)


def _secret_key(env: Mapping[str, str], var_dir: Path, https: bool) -> str:
    value = env.get("SECRET_KEY", "")
    if value:
        if len(value) < 32:
            raise ConfigError("SECRET_KEY", "must be at least 32 characters long")
        return value
    if https:
        raise ConfigError("SECRET_KEY", "is required when BASE_URL is https")
    key_file = var_dir / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    key_file.write_text(key + "\n")
    key_file.chmod(0o600)
    return key


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read the environment once and return the frozen settings."""
    env = os.environ if env is None else env
    var_dir = Path(env.get("EVENTS_APP_VAR_DIR") or DEFAULT_VAR_DIR)
    base_url = parse_base_url(env.get("BASE_URL") or "http://127.0.0.1:8000")
    database_url = parse_database_url(
        env.get("DATABASE_URL") or f"sqlite://{var_dir / 'events.sqlite3'}"
    )
    privacy_version = env.get("PRIVACY_VERSION") or "2026-11"
    if len(privacy_version) > 32 or not privacy_version.isprintable():
        raise ConfigError("PRIVACY_VERSION", "must be a short label of at most 32 characters, e.g. 2026-11")
    mail_from = env.get("MAIL_FROM") or f"events@{urlsplit(base_url).hostname}"
    if "@" not in mail_from or any(c in mail_from for c in "\r\n"):
        raise ConfigError("MAIL_FROM", f"must be an email address, got {mail_from!r}")
    return Settings(
        database_url=database_url,
        secret_key=_secret_key(env, var_dir, base_url.startswith("https://")),
        base_url=base_url,
        smtp=parse_smtp_url(env.get("SMTP_URL", ""), var_dir),
        rate_limit=parse_rate_limit(env.get("RATE_LIMIT") or "10/minute"),
        mail_from=mail_from,
        var_dir=var_dir,
        privacy_version=privacy_version,
    )


_current: Settings | None = None


def configure_settings(settings: Settings) -> Settings:
    """Install the process-wide settings (done once by create_app, the CLI or a test)."""
    global _current
    _current = settings
    return settings


def current_settings() -> Settings:
    if _current is None:
        return configure_settings(load_settings())
    return _current
