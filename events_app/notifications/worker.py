"""The outbox sender loop: `events-app worker`, or in-process under `make run`.

Each round runs in a fresh task (see STACK-NOTES: a long-lived task can keep a
broken pooled connection after a database restart), and a failing round only
logs and waits before the next. Every ``reminder_every`` seconds a round first
queues the webinar reminders that are due (notifications/reminders.py).
"""

from __future__ import annotations

import asyncio
import logging

from events_app.notifications.mailer import Mailer
from events_app.notifications.reminders import SCHEDULE_EVERY, queue_due_reminders
from events_app.notifications.service import deliver_due_messages

log = logging.getLogger("events_app.worker")


async def run_sender(
    *, mailer: Mailer, stop: asyncio.Event, interval: float = 1.0, reminder_every: float = SCHEDULE_EVERY
) -> None:
    loop = asyncio.get_running_loop()
    next_reminders = loop.time()
    while not stop.is_set():
        if loop.time() >= next_reminders:
            next_reminders = loop.time() + reminder_every
            try:
                await asyncio.create_task(queue_due_reminders())
            except Exception:
                log.exception("reminder round failed; retrying")
        sent = 0
        try:
            sent = await asyncio.create_task(deliver_due_messages(mailer=mailer))
        except Exception:
            log.exception("outbox round failed; retrying")
        if sent:
            continue  # more may be due: go again at once
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval)
        except TimeoutError:
            pass
