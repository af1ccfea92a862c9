"""Badge PDFs built by the organiser's page: small ones at once, large ones in the background
with their progress polled (htmx), one build per event at a time, the download, marking as
printed, and failures (a broken build, a job whose process died)."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from events_app.auth.models import Role
from events_app.badges import jobs
from events_app.badges.jobs import start_badge_job, stop_badge_jobs, wait_for_badge_jobs
from events_app.badges.models import BadgeJob, BadgeJobStatus
from events_app.badges.settings_service import BadgeFilters
from events_app.clock import utcnow
from events_app.registration.models import BadgeRole, Registration
from tests.pdf_tools import pdf_pages, pdf_text, squeeze

HTMX = {"HX-Request": "true"}


def csrf(client: httpx.AsyncClient) -> str:
    token = client.cookies.get("ea_csrf")
    assert token, "sign in first: no CSRF cookie"
    return token


@pytest.fixture(autouse=True)
async def no_job_left_behind() -> AsyncIterator[None]:
    """Every job a test started has finished before the tables are emptied."""
    yield
    await wait_for_badge_jobs()


@pytest.fixture
async def organiser(client: httpx.AsyncClient, login: Any) -> httpx.AsyncClient:
    await login(client, Role.ORGANISER)
    return client


async def crowd(make_event: Any, register: Any, n: int, **event: Any) -> tuple[Any, str]:
    made = await make_event(capacity=max(n, 1), **event)
    for i in range(n):
        await register(made, name=f"Πέτρος Attendee{i:03d}", organisation=f"Gemeinde Nummer {i % 7}")
    return made, f"/organiser/events/{made.slug}/badges"


async def build(client: httpx.AsyncClient, base: str, *, htmx: bool = False, **fields: str) -> httpx.Response:
    data = {"csrf_token": csrf(client), "layout": "a6", **fields}
    return await client.post(f"{base}/jobs", data=data, headers=HTMX if htmx else {})


async def poll_until_finished(client: httpx.AsyncClient, url: str, seconds: float = 30) -> str:
    """GET the job's progress fragment as htmx does until it stops polling; its last HTML."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline:
        fragment = await client.get(url, headers=HTMX)
        assert fragment.status_code == 200
        assert "<html" not in fragment.text  # only the block
        if 'hx-trigger="every 1s"' not in fragment.text:
            return fragment.text
        await asyncio.sleep(0.05)
    raise AssertionError("the job did not finish")


def job_id_in(html: str) -> int:
    found = re.search(r'hx-get="/organiser/events/[^/]+/badges/jobs/(\d+)"', html) or re.search(
        r"/badges/jobs/(\d+)/download", html)
    assert found, html[:1500]
    return int(found.group(1))


# --- small selections: built within the request ---------------------------------------------


@pytest.mark.parametrize(("layout", "people", "pages"), [("a6", 3, 3), ("a4-4up", 5, 2), ("fold", 3, 2)])
async def test_small_build_is_ready_at_once(organiser, make_event, register, layout, people, pages):
    event, base = await crowd(make_event, register, people)
    response = await build(organiser, base, layout=layout)
    assert response.status_code == 303
    job = await BadgeJob.get(event_id=event.id)
    assert response.headers["location"] == f"{base}/jobs/{job.id}"
    assert (job.status, job.done, job.total, job.layout) == (BadgeJobStatus.DONE, people, people, layout)
    page = await organiser.get(response.headers["location"])
    assert "Download the PDF" in page.text and 'data-status="done"' in page.text
    assert 'hx-trigger="every 1s"' not in page.text
    pdf = await organiser.get(f"{base}/jobs/{job.id}/download")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == f'attachment; filename="badges-{event.slug}-{layout}.pdf"'
    assert pdf_pages(pdf.content) == pages
    assert "ΠέτροςAttendee000" in squeeze(pdf_text(pdf.content))
    assert Path(job.path).name == f"{job.id}-{event.slug}.pdf"


async def test_the_build_uses_the_filters_shown(organiser, make_event, register):
    event, base = await crowd(make_event, register, 4)
    first = await Registration.filter(event_id=event.id).order_by("id").first()
    await Registration.filter(id=first.id).update(badge_role=BadgeRole.SPEAKER)
    response = await build(organiser, base, role="speaker")
    job = await BadgeJob.get(event_id=event.id)
    assert response.status_code == 303 and job.total == 1
    assert job.filters["role"] == "speaker" and job.filters["ids"] == [first.id]
    pdf = await organiser.get(f"{base}/jobs/{job.id}/download")
    assert pdf_pages(pdf.content) == 1
    page = await organiser.get(f"{base}/jobs/{job.id}")
    assert "(speakers)" in page.text


# --- large selections: in the background, polled ---------------------------------------------


async def test_background_build_polls_then_downloads_then_marks_printed(organiser, make_event, register,
                                                                        monkeypatch):
    monkeypatch.setattr(jobs, "SYNC_LIMIT", 2)
    event, base = await crowd(make_event, register, 9)
    started = await build(organiser, base, htmx=True, layout="a4-4up")
    assert started.status_code == 200
    assert 'id="badge-build"' in started.text and "<html" not in started.text
    job_id = job_id_in(started.text)
    url = f"{base}/jobs/{job_id}"
    assert f'hx-get="{url}" hx-trigger="every 1s"' in started.text or "Download the PDF" in started.text

    finished = await poll_until_finished(organiser, url)
    assert "Download the PDF" in finished and "Mark these 9 badges as printed" in finished
    pdf = await organiser.get(f"{url}/download")
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith("attachment")
    assert pdf_pages(pdf.content) == 3  # 9 badges, 4 per page

    # the badges page shows the latest build too (its download)
    page = await organiser.get(base)
    assert f"{url}/download" in page.text and "<strong>9 badges</strong>" in page.text

    marked = await organiser.post(f"{url}/mark-printed", data={"csrf_token": csrf(organiser)}, headers=HTMX)
    assert marked.status_code == 200 and "These badges are now marked as printed." in marked.text
    assert "Mark these" not in marked.text
    printed = await Registration.filter(event_id=event.id).values_list("badge_printed_at", flat=True)
    assert len(printed) == 9 and all(printed)
    assert (await BadgeJob.get(id=job_id)).mark_printed
    remaining = await organiser.get(base, params={"not_printed": "1"})
    assert "<strong>0 badges</strong>" in remaining.text and "Nobody matches these filters." in remaining.text
    nothing = await build(organiser, base, not_printed="1")
    assert nothing.status_code == 422 and "No badge matches these filters" in nothing.text
    assert await BadgeJob.filter(event_id=event.id).count() == 1


async def test_mark_printed_without_js_and_at_build_time(organiser, make_event, register):
    event, base = await crowd(make_event, register, 3)
    response = await build(organiser, base)
    job = await BadgeJob.get(event_id=event.id)
    marked = await organiser.post(f"{base}/jobs/{job.id}/mark-printed", data={"csrf_token": csrf(organiser)})
    assert marked.status_code == 303 and marked.headers["location"] == f"{response.headers['location']}?done=printed"
    assert "These badges are marked as printed." in (await organiser.get(marked.headers["location"])).text
    assert await Registration.filter(event_id=event.id, badge_printed_at__isnull=True).count() == 0

    other, other_base = await crowd(make_event, register, 2)
    await build(organiser, other_base, mark_printed="1")
    assert await Registration.filter(event_id=other.id, badge_printed_at__isnull=True).count() == 0
    assert (await BadgeJob.get(event_id=other.id)).mark_printed


class Gate:
    """Stands in for render_badges: reports some progress, then waits to be let go."""

    def __init__(self) -> None:
        self.reached, self.release = threading.Event(), threading.Event()

    def __call__(self, badges: Any, settings: Any, layout: str, progress: Any = None) -> bytes:
        from events_app.badges.service import render_badges

        progress(1, len(badges))
        self.reached.set()
        assert self.release.wait(timeout=20), "the test never let the render go"
        return render_badges(badges, settings, layout, progress)


async def test_progress_is_shown_and_a_second_build_waits_409(organiser, make_event, register, monkeypatch):
    gate = Gate()
    monkeypatch.setattr(jobs, "SYNC_LIMIT", 0)
    monkeypatch.setattr(jobs, "PROGRESS_INTERVAL", 0.02)
    monkeypatch.setattr(jobs, "render_badges", gate)
    event, base = await crowd(make_event, register, 3)
    try:
        started = await build(organiser, base)
        assert started.status_code == 303
        url = started.headers["location"]
        await asyncio.to_thread(gate.reached.wait, 10)
        for _ in range(100):  # the progress reaches the row within a few intervals
            fragment = await organiser.get(url, headers=HTMX)
            if "1 of 3 badges" in fragment.text:
                break
            await asyncio.sleep(0.02)
        assert "1 of 3 badges" in fragment.text and '<progress class="badge-progress" max="3" value="1"' in fragment.text
        assert 'hx-trigger="every 1s"' in fragment.text
        page = await organiser.get(url)  # without JS: a whole page with a Refresh link
        assert "<html" in page.text and f'<a href="{url}">Refresh</a>' in page.text
        assert (await organiser.get(f"{url}/download")).status_code == 404  # not ready

        second = await build(organiser, base, layout="fold")
        assert second.status_code == 409 and "being built already" in second.text
        second = await build(organiser, base, htmx=True)
        assert second.status_code == 409 and 'id="badge-build"' in second.text
        assert await BadgeJob.filter(event_id=event.id).count() == 1
        elsewhere, elsewhere_base = await crowd(make_event, register, 1)
        assert (await build(organiser, elsewhere_base)).status_code == 303  # other events are not held up
    finally:
        gate.release.set()
    assert "Download the PDF" in await poll_until_finished(organiser, url)
    assert (await build(organiser, base)).status_code == 303  # free again


async def test_the_counter_reads_with_thousands_separators(organiser, make_event, register):
    event, base = await crowd(make_event, register, 1)
    job = await BadgeJob.create(event_id=event.id, layout="a6", status=BadgeJobStatus.RUNNING, done=412, total=1000,
                                filters=BadgeFilters().as_json())
    fragment = await organiser.get(f"{base}/jobs/{job.id}", headers=HTMX)
    assert "412 of 1,000 badges" in fragment.text and 'max="1000" value="412"' in fragment.text


async def test_a_stale_running_job_shows_as_failed_and_frees_the_event(organiser, make_event, register):
    event, base = await crowd(make_event, register, 2)
    job = await BadgeJob.create(event_id=event.id, layout="a6", status=BadgeJobStatus.RUNNING, total=2,
                                filters=BadgeFilters().as_json())
    assert (await build(organiser, base)).status_code == 409
    await BadgeJob.filter(id=job.id).update(created_at=utcnow() - timedelta(minutes=31))
    page = await organiser.get(f"{base}/jobs/{job.id}")
    assert 'data-status="failed"' in page.text and "stopped without finishing" in page.text
    assert (await BadgeJob.get(id=job.id)).status == BadgeJobStatus.FAILED
    assert (await build(organiser, base)).status_code == 303


async def test_a_broken_build_fails_with_a_clear_message(organiser, make_event, register, monkeypatch, caplog):
    def broken(*args: Any, **kwargs: Any) -> bytes:
        raise RuntimeError("reportlab exploded")

    monkeypatch.setattr(jobs, "render_badges", broken)
    event, base = await crowd(make_event, register, 2)
    response = await build(organiser, base)
    assert response.status_code == 303
    job = await BadgeJob.get(event_id=event.id)
    assert job.status == BadgeJobStatus.FAILED and job.finished_at is not None
    page = await organiser.get(response.headers["location"])
    assert "could not be built because of an error on our side" in page.text
    assert "reportlab exploded" not in page.text and "reportlab exploded" in caplog.text
    assert (await organiser.get(f"{base}/jobs/{job.id}/download")).status_code == 404
    assert await Registration.filter(event_id=event.id, badge_printed_at__isnull=False).count() == 0
    refused = await organiser.post(f"{base}/jobs/{job.id}/mark-printed", data={"csrf_token": csrf(organiser)})
    assert refused.status_code == 409


async def test_bad_build_input_is_422_and_starts_nothing(organiser, make_event, register):
    event, base = await crowd(make_event, register, 2)
    for fields, field in (({"layout": "a3-poster"}, "layout"), ({"since": "2027-13-01"}, "since"),
                          ({"role": "wizard"}, "role")):
        response = await build(organiser, base, **fields)
        assert response.status_code == 422 and f'id="f-{field}-error"' in response.text, fields
    no_csrf = await organiser.post(f"{base}/jobs", data={"layout": "a6"})
    assert no_csrf.status_code == 403
    assert not await BadgeJob.exists()


async def test_jobs_belong_to_their_event(organiser, make_event, register):
    event, base = await crowd(make_event, register, 1)
    _, other_base = await crowd(make_event, register, 1)
    await build(organiser, base)
    job = await BadgeJob.get(event_id=event.id)
    for path in (f"/jobs/{job.id}", f"/jobs/{job.id}/download"):
        assert (await organiser.get(other_base + path)).status_code == 404
    assert (await organiser.post(f"{other_base}/jobs/{job.id}/mark-printed",
                                 data={"csrf_token": csrf(organiser)})).status_code == 404


async def test_old_files_are_pruned(organiser, make_event, register, monkeypatch):
    monkeypatch.setattr(jobs, "KEEP_FILES", 2)
    event, base = await crowd(make_event, register, 1)
    for _ in range(4):
        assert (await build(organiser, base)).status_code == 303
    made = await BadgeJob.filter(event_id=event.id).order_by("id")
    assert [bool(job.path) for job in made] == [False, False, True, True]
    assert all([await asyncio.to_thread(Path(job.path).is_file) for job in made[2:]])
    gone = await organiser.get(f"{base}/jobs/{made[0].id}")
    assert "no longer on the server" in gone.text
    assert (await organiser.get(f"{base}/jobs/{made[0].id}/download")).status_code == 404


async def test_shutdown_stops_a_running_build_as_failed(make_event, register, monkeypatch, settings):
    gate = Gate()
    monkeypatch.setattr(jobs, "render_badges", gate)
    event, _ = await crowd(make_event, register, 2)
    job = await start_badge_job(event, layout="a6", filters=BadgeFilters(), actor=None)
    await asyncio.to_thread(gate.reached.wait, 10)
    stopping = asyncio.create_task(stop_badge_jobs())
    await asyncio.sleep(0.05)
    gate.release.set()  # the worker thread finishes its page; the job is already given up
    await stopping
    job = await BadgeJob.get(id=job.id)
    assert job.status == BadgeJobStatus.FAILED and "shut down" in job.error
