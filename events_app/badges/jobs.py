"""Badge PDFs built in the background for the organiser's page.

``start_badge_job`` records a BadgeJob row and starts the build in this server process: an
asyncio task (a fresh one per job) selects the badges, renders them in a worker thread
(``run_in_threadpool``: rendering is CPU-bound) and writes the file to
``<var_dir>/badges/<job id>-<slug>.pdf``. While the thread renders, the task copies its
progress (``done`` of ``total`` badges) to the row at most every PROGRESS_INTERVAL seconds,
which the page polls. Any failure ends the job as ``failed`` with a message for the
organiser (the details go to the log).

At most one job per event is queued or running: the check and the insert happen under the
event's row lock (lock_event), so two clicks or two server processes cannot both start one.
A job still queued or running STALE_AFTER after it started is taken for dead (its process
stopped) and shown as failed, which frees the event for a new build.
Small selections (at most SYNC_LIMIT badges) are built within the request (``wait=True``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from tortoise.transactions import in_transaction

from events_app.auth.models import User
from events_app.badges.layouts import LAYOUTS
from events_app.badges.models import BadgeJob, BadgeJobStatus
from events_app.badges.service import get_badge_settings, mark_printed, render_badges, select_badges
from events_app.badges.settings_service import BadgeFilters
from events_app.clock import utcnow
from events_app.errors import Conflict, Invalid, NotFound, ServiceError
from events_app.events.models import Event
from events_app.registration.locking import lock_event
from events_app.settings import current_settings

log = logging.getLogger("events_app.badges")

SYNC_LIMIT = 200
STALE_AFTER = timedelta(minutes=30)
PROGRESS_INTERVAL = 0.4  # seconds between progress writes
KEEP_FILES = 5  # finished PDFs kept per event; older ones are deleted when a new one is made
ACTIVE = (BadgeJobStatus.QUEUED, BadgeJobStatus.RUNNING)
LAYOUT_LABELS = {
    "a6": "A6, one badge per page",
    "a4-4up": "A4, four badges per page with cut marks",
    "fold": "Fold-over, double-sided, the person's sessions on the back",
}
STALE_ERROR = "The build stopped without finishing (the server may have restarted). Start it again."
STOPPED_ERROR = "The build was stopped because the server shut down. Start it again."
NOTHING_ERROR = "No badge matches these filters any more."

_tasks: set[asyncio.Task[None]] = set()
assert set(LAYOUT_LABELS) == set(LAYOUTS)


def badge_dir() -> Path:
    return current_settings().var_dir / "badges"


def job_file(job: BadgeJob) -> Path | None:
    """The finished PDF of ``job`` when it is still on disk (and where we put it)."""
    if job.status != BadgeJobStatus.DONE or not job.path:
        return None
    path = Path(job.path)
    try:
        inside = path.resolve().parent == badge_dir().resolve()
    except OSError:
        return None
    return path if inside and path.is_file() else None


async def expire_stale_jobs(event: Event) -> int:
    """Mark the event's jobs that started STALE_AFTER ago and never finished as failed."""
    return await BadgeJob.filter(event_id=event.id, status__in=ACTIVE,
                                 created_at__lt=utcnow() - STALE_AFTER).update(
        status=BadgeJobStatus.FAILED, error=STALE_ERROR, finished_at=utcnow())


async def get_badge_job(event: Event, *, job_id: int) -> BadgeJob:
    await expire_stale_jobs(event)
    job = await BadgeJob.filter(id=job_id, event_id=event.id).first()
    if job is None:
        raise NotFound("No such badge PDF for this event.")
    return job


async def latest_badge_job(event: Event) -> BadgeJob | None:
    """The event's most recent job (to show its progress or download on the badges page)."""
    await expire_stale_jobs(event)
    return await BadgeJob.filter(event_id=event.id).order_by("-id").first()


async def start_badge_job(event: Event, *, layout: str, filters: BadgeFilters, actor: User | None,
                          mark_printed: bool = False, wait: bool = False) -> BadgeJob:
    """Record a job and start building it: in the background, or before returning with
    ``wait=True``. ``Conflict`` (409) while another job of the event is queued or running."""
    if layout not in LAYOUTS:
        raise Invalid("Unknown badge layout.", fields={"layout": "Choose one of the layouts."})
    async with in_transaction() as conn:
        await lock_event(event.id, conn)
        await BadgeJob.filter(event_id=event.id, status__in=ACTIVE,
                              created_at__lt=utcnow() - STALE_AFTER).using_db(conn).update(
            status=BadgeJobStatus.FAILED, error=STALE_ERROR, finished_at=utcnow())
        running = await BadgeJob.filter(event_id=event.id, status__in=ACTIVE).using_db(conn).first()
        if running is not None:
            raise Conflict("A badge PDF for this event is being built already. Wait for it to finish, "
                           "then start the next one.", details={"job": running.id})
        job = await BadgeJob.create(
            event_id=event.id, layout=layout, filters=filters.as_json(), mark_printed=mark_printed,
            created_by_id=actor.id if actor is not None else None, using_db=conn)
    if wait:
        await run_badge_job(job.id)
    else:
        task = asyncio.create_task(run_badge_job(job.id), name=f"badge-job-{job.id}")
        _tasks.add(task)
        task.add_done_callback(_tasks.discard)
    await job.refresh_from_db()
    return job


class _Progress:
    """Written by the rendering thread, read by the task (plain int assignments)."""

    def __init__(self) -> None:
        self.done = 0

    def __call__(self, done: int, total: int) -> None:
        self.done = done


def _write_pdf(directory: Path, name: str, data: bytes) -> Path:
    """Write the file atomically (a temporary file renamed over it), readable by us only."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / name
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


async def _update(job_id: int, **values: Any) -> None:
    await BadgeJob.filter(id=job_id).update(**values)


async def _render(job: BadgeJob, badges: list[Any], settings: Any) -> bytes:
    """Render in a worker thread, copying its progress to the row a few times a second."""
    progress = _Progress()
    render = asyncio.ensure_future(run_in_threadpool(render_badges, badges, settings, job.layout, progress))
    written = 0
    try:
        while True:
            finished, _ = await asyncio.wait({render}, timeout=PROGRESS_INTERVAL)
            if finished:
                return render.result()
            if progress.done != written:
                written = progress.done
                await _update(job.id, done=written)
    except asyncio.CancelledError:
        render.cancel()
        raise


def _failure_message(exc: Exception) -> str:
    if isinstance(exc, ServiceError):
        return exc.message[:500]
    if isinstance(exc, OSError):
        return f"The PDF could not be saved on the server ({exc.strerror or type(exc).__name__})."[:500]
    return "The PDF could not be built because of an error on our side. It has been logged."


async def _prune_old_files(event_id: int) -> None:
    """Keep the KEEP_FILES newest finished PDFs of the event; forget the older files."""
    old = await BadgeJob.filter(event_id=event_id, status=BadgeJobStatus.DONE).exclude(path="") \
        .order_by("-id").offset(KEEP_FILES).limit(1000)
    for job in old:
        path = job_file(job)
        if path is not None:
            with contextlib.suppress(OSError):
                await run_in_threadpool(path.unlink)
        await _update(job.id, path="")


async def run_badge_job(job_id: int) -> None:
    """Build one job's PDF; never raises (the outcome is on the row), except when cancelled."""
    job = await BadgeJob.filter(id=job_id).prefetch_related("event").first()
    if job is None or job.status != BadgeJobStatus.QUEUED:
        return
    event: Event = job.event
    try:
        await _update(job.id, status=BadgeJobStatus.RUNNING)
        filters = BadgeFilters.from_json(job.filters)
        badges = await select_badges(event, role=filters.role, not_printed=filters.not_printed,
                                     since=filters.since)
        if not badges:
            raise Invalid(NOTHING_ERROR)
        ids = [badge.id for badge in badges]
        await _update(job.id, total=len(badges), filters={**job.filters, "ids": ids})
        pdf = await _render(job, badges, await get_badge_settings(event))
        path = await run_in_threadpool(_write_pdf, badge_dir(), f"{job.id}-{event.slug}.pdf", pdf)
        if job.mark_printed:
            await mark_printed(ids)
        await _update(job.id, status=BadgeJobStatus.DONE, done=len(badges), path=str(path),
                      finished_at=utcnow())
        await _prune_old_files(event.id)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await _update(job.id, status=BadgeJobStatus.FAILED, error=STOPPED_ERROR, finished_at=utcnow())
        raise
    except Exception as exc:
        if not isinstance(exc, ServiceError):
            log.exception("badge job %s of event %s failed", job.id, event.slug)
        with contextlib.suppress(Exception):
            await _update(job.id, status=BadgeJobStatus.FAILED, error=_failure_message(exc),
                          finished_at=utcnow())


async def mark_job_printed(event: Event, *, job_id: int) -> int:
    """Mark the badges of a finished job as printed (once); return how many were marked."""
    job = await get_badge_job(event, job_id=job_id)
    if job.status != BadgeJobStatus.DONE:
        raise Conflict("This PDF is not ready yet.")
    if job.mark_printed:
        return 0
    ids = [i for i in job.filters.get("ids", []) if isinstance(i, int)]
    changed = await mark_printed(ids)
    await _update(job.id, mark_printed=True)
    return changed


async def wait_for_badge_jobs() -> None:
    """Wait until every job started by this process has finished (tests, shutdown)."""
    while _tasks:
        await asyncio.gather(*list(_tasks), return_exceptions=True)


async def stop_badge_jobs() -> None:
    """Cancel the jobs still running in this process (they end as failed) and wait for them."""
    for task in list(_tasks):
        task.cancel()
    await wait_for_badge_jobs()
