"""A real SMTP server (aiosmtpd) on loopback that keeps every message it accepts."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from events_app.notifications.mailer import SmtpMailer
from events_app.settings import SmtpConfig
from tests.conftest import free_port


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def to(self) -> str:
        assert len(self.rcpt_tos) == 1, self.rcpt_tos
        return self.rcpt_tos[0]

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])


class SmtpCapture:
    """aiosmtpd handler and its controller. ``refuse`` holds addresses answered with 550."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.received: list[Received] = []
        self.refuse: set[str] = set()
        self._controller: Controller | None = None

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]) -> str:
        if address in self.refuse:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def start(self) -> None:
        assert self._controller is None, "already running"
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def mailer(self, *, timeout: float = 10.0) -> SmtpMailer:
        return SmtpMailer(SmtpConfig("smtp", "127.0.0.1", self.port, None, None, None), timeout=timeout)

    # --- looking at what arrived -------------------------------------------------------
    def to(self, address: str) -> list[EmailMessage]:
        return [r.message for r in self.received if address in r.rcpt_tos]

    def count_by_recipient(self) -> Counter[str]:
        return Counter(r.to for r in self.received)

    def count_by_message_id(self) -> Counter[str]:
        return Counter(r.message_id for r in self.received)


@pytest.fixture
def smtp_down() -> Iterator[SmtpCapture]:
    """A capture on a free port that is NOT listening yet: call ``.start()`` to bring it up."""
    capture = SmtpCapture(free_port())
    try:
        yield capture
    finally:
        capture.stop()


@pytest.fixture
def smtp(smtp_down: SmtpCapture) -> SmtpCapture:
    smtp_down.start()
    return smtp_down


# --- reading messages ------------------------------------------------------------------

def calendar_parts(message: EmailMessage) -> list[EmailMessage]:
    return [p for p in message.walk() if p.get_content_type() == "text/calendar"]


def ics_attachments(message: EmailMessage) -> list[EmailMessage]:
    return [p for p in message.walk() if p.get_filename() == "invite.ics"]


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None, "no text/plain part"
    return str(part.get_content())


def manage_path(message: EmailMessage) -> str:
    """The path of the manage link in the plain-text body (the base URL is http://testserver)."""
    found = re.findall(r"http://testserver(/manage/[A-Za-z0-9_\-]+)", text_of(message))
    assert len(set(found)) == 1, found
    return found[0]
