"""How an outbox row becomes a MIME message, and the mailers that send it (SMTP or files)."""

from __future__ import annotations

import base64
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path
from typing import Protocol

import aiosmtplib

from events_app.clock import utcnow
from events_app.notifications.models import OutboxMessage
from events_app.settings import SmtpConfig


class Mailer(Protocol):
    async def send(self, message: EmailMessage) -> None: ...


class PermanentDeliveryError(Exception):
    """The server refused the message for good (5xx for its recipient): retrying cannot help."""


def calendar_files(row: OutboxMessage) -> list[tuple[str, str]]:
    """(file name, text) of each calendar attachment: the ones the renderer listed in the
    payload (agenda emails: invite.ics and cancel.ics), else the one invite.ics."""
    listed = (row.payload or {}).get("calendars") if isinstance(row.payload, dict) else None
    if listed:
        return [(str(c["filename"]), str(c["ics"])) for c in listed]
    return [("invite.ics", row.ics)] if row.ics else []


def build_mime(row: OutboxMessage, *, sender: str) -> EmailMessage:
    """text/plain + text/html (+ text/calendar) alternatives, and each calendar as an .ics attachment."""
    msg = EmailMessage()
    msg["Subject"] = row.subject
    msg["From"] = formataddr(("EcoProcura network events", sender))
    msg["To"] = formataddr((row.to_name, row.to_email))
    msg["Message-ID"] = row.message_id
    msg["Date"] = format_datetime(row.created_at or utcnow())
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(row.body_text)
    msg.add_alternative(row.body_html, subtype="html")
    if row.ics:
        msg.add_alternative(row.ics, subtype="calendar", params={"method": row.ics_method})
    for filename, text in calendar_files(row):
        msg.add_attachment(text.encode(), maintype="application", subtype="ics", filename=filename)
    for item in (row.payload or {}).get("attachments", []) if isinstance(row.payload, dict) else []:
        maintype, _, subtype = str(item["content_type"]).partition("/")
        msg.add_attachment(base64.b64decode(item["data"]), maintype=maintype, subtype=subtype,
                           filename=str(item["filename"]))
    return msg


class SmtpMailer:
    def __init__(self, config: SmtpConfig, *, timeout: float = 15.0) -> None:
        self.config = config
        self.timeout = timeout

    async def send(self, message: EmailMessage) -> None:
        try:
            await aiosmtplib.send(
                message,
                hostname=self.config.host,
                port=self.config.port,
                username=self.config.username,
                password=self.config.password,
                use_tls=self.config.scheme == "smtps",
                start_tls=True if self.config.scheme == "smtp+starttls" else False,
                timeout=self.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            # Every recipient got a 5xx (no such mailbox...): a retry would be refused again.
            # 4xx refusals (greylisting, full mailbox) stay ordinary, retried failures.
            if exc.recipients and all(r.code >= 500 for r in exc.recipients):
                detail = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in exc.recipients)
                raise PermanentDeliveryError(detail) from exc
            raise


class FileMailer:
    """Writes each message as an .eml file: the default for local runs without SMTP."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def send(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        safe_id = "".join(c if c.isalnum() or c in ".-" else "_" for c in message["Message-ID"])
        (self.folder / f"{safe_id}.eml").write_bytes(bytes(message))


def mailer_for(config: SmtpConfig) -> Mailer:
    if config.scheme == "file":
        assert config.path is not None
        return FileMailer(config.path)
    return SmtpMailer(config)
