"""Twinning emails: rendered when queued (they carry no calendar) and sent by the outbox sender."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from events_app.clock import utcnow
from events_app.notifications.models import OutboxMessage
from events_app.settings import current_settings
from events_app.web import jinja_env

SUBJECTS = {
    "twinning_confirm": "Please confirm your twinning request: {title}",
    "twinning_link": "Your link to your twinning request: {title}",
    "twinning_taken": "Your authority has a twinning request already: {title}",
    "twinning_shortlist": "Rank your possible twins: {title}",
    "twinning_intro": "Meet your twin: {title}",
    "twinning_declined": "Your proposed twinning will not go ahead: {title}",
    "twinning_accepted": "Your twinning is confirmed: {title}",
    "twinning_unpaired": "No twin for you yet: {title}",
}


def request_url(token: str) -> str:
    return f"{current_settings().base_url}/twinning/requests/{token}"


async def queue_twinning_email(*, kind: str, to_email: str, to_name: str, title: str, context: dict[str, Any],
                               conn: BaseDBAsyncClient, now: datetime | None = None) -> OutboxMessage:
    """Render ``templates/emails/twinning/<kind>.txt|html`` now and write it to the outbox."""
    now = now or utcnow()
    settings = current_settings()
    data = {"to_name": to_name, "title": title, "base_url": settings.base_url, **context}
    name = kind.removeprefix("twinning_")
    text = jinja_env.get_template(f"emails/twinning/{name}.txt").render(data)
    html = jinja_env.get_template(f"emails/twinning/{name}.html").render(data)
    return await OutboxMessage.create(
        message_id=f"<twinning.{name}.{int(now.timestamp() * 1e6)}.{secrets.token_hex(8)}@{settings.host}>",
        kind=kind,
        registration=None,
        to_email=to_email,
        to_name=to_name,
        payload={"twinning": True},
        subject=SUBJECTS[kind].format(title=title)[:300],
        body_text=text,
        body_html=html,
        rendered_at=now,
        next_attempt_at=now,
        using_db=conn,
    )
