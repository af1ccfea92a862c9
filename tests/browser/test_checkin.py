"""The door page in a real Chromium (acceptance 5): a check-in user searches a name, checks the
person in, sees the big answer and the counter rise without a page load; a handheld scanner's
code (typed + Enter) says "Already checked in" the second time; and the camera, fed a QR code
through Chromium's fake capture device, checks a ticket in via the vendored qr-scanner and its
worker, with no console or CSP error.

Served by an in-process uvicorn in the test's loop (SQLite pass only, see tests/browser/conftest.py).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from events_app.auth.models import Role
from events_app.badges.tickets import ensure_ticket, ticket_code
from events_app.clock import utcnow
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, browser_marks
from tests.conftest import PASSWORD

pytestmark = browser_marks()


@pytest.fixture
def ticketed(register):
    """Register someone at ``event`` and give them a ticket: (registration, code)."""

    async def factory(event: Any, **overrides: Any) -> tuple[Any, str]:
        registration = await ensure_ticket((await register(event, **overrides)).registration)
        return registration, ticket_code(registration)

    return factory


async def _door_event(make_event, ticketed) -> tuple[Any, list[tuple[Any, str]]]:
    event = await make_event(title="Green procurement forum", starts_at=utcnow() - timedelta(hours=1), capacity=3)
    people = [await ticketed(event, name=name, email=email, organisation=org) for name, email, org in (
        ("Jürgen Müller", "juergen@muenchen.de", "Landeshauptstadt München"),
        ("Ana Novak", "ana@ljubljana.si", "Mestna občina Ljubljana"),
        ("Élodie Martin", "elodie@lyon.fr", "Métropole de Lyon"),
    )]
    return event, people


async def _sign_in_and_open_the_door(page: Any, user: Any, desk: str) -> None:
    from playwright.async_api import expect

    await page.goto("/login")
    await page.fill("#f-email", user.email)
    await page.fill("#f-password", PASSWORD)
    await page.click("button[type=submit]:has-text('Sign in')")
    await page.get_by_role("navigation", name="Main").get_by_role("link", name="Check-in").click()
    await expect(page.get_by_role("heading", name="Check-in at the door")).to_be_visible()
    await page.fill("#f-desk", desk)
    await page.click("button:has-text('Open the door page')")
    await expect(page.get_by_role("heading", name="Green procurement forum")).to_be_visible()


async def test_a_checkin_user_searches_checks_in_and_sees_the_counter_rise(
    page, make_event, ticketed, make_user
):
    from playwright.async_api import expect

    event, people = await _door_event(make_event, ticketed)
    user = await make_user(Role.CHECKIN)
    await _sign_in_and_open_the_door(page, user, "Main door")
    assert page.url.endswith(f"/checkin/{event.slug}?desk=Main+door")
    counts = page.locator("#counts .door-total")
    result = page.locator("#result")
    await expect(counts).to_have_text(re.compile(r"^\s*0 / 3 checked in\s*$"))
    await expect(page.locator("#f-code")).to_be_focused()  # ready for a handheld scanner
    await page.evaluate("window.__sameDocument = true")

    # search a name, check the person in from the results
    await page.fill("#f-q", "novak")
    found = page.locator("#search-results .found-row")
    await expect(found).to_have_count(1)
    await expect(found).to_contain_text("Ana Novak")
    await found.get_by_role("button", name="Check in Ana Novak").click()
    await expect(result.locator(".result-ok .result-title")).to_have_text("Checked in")
    await expect(result.locator(".result-name")).to_have_text("Ana Novak")
    await expect(result.locator(".result-org")).to_have_text("Mestna občina Ljubljana")
    await expect(counts).to_have_text(re.compile(r"^\s*1 / 3 checked in\s*$"))  # at once, not on the next poll
    await expect(found).to_contain_text("Checked in")  # the results reloaded themselves
    await expect(page.locator("#recent")).to_contain_text("Ana Novak")
    assert await page.evaluate("window.__sameDocument === true"), "checking in reloaded the page"

    # a handheld scanner types the code and presses Enter: checked in, then already checked in
    code = people[0][1]
    await page.fill("#f-code", code)
    await page.press("#f-code", "Enter")
    await expect(result.locator(".result-ok .result-name")).to_have_text("Jürgen Müller")
    await expect(counts).to_have_text(re.compile(r"^\s*2 / 3 checked in\s*$"))
    await expect(page.locator("#f-code")).to_have_value("")
    await expect(page.locator("#f-code")).to_be_focused()
    await page.locator("#f-code").press_sequentially(code.lower())  # as a scanner sends it, any case
    await page.press("#f-code", "Enter")
    await expect(result.locator(".result-warn .result-title")).to_have_text("Already checked in")
    await expect(result).to_contain_text("at desk “Main door”")
    await expect(result).not_to_contain_text("Undo")  # organisers only
    await page.fill("#f-code", "EA1-NOTAREALTICKETNOTAREALTICKET23")
    await page.press("#f-code", "Enter")
    await expect(result.locator(".result-bad .result-title")).to_have_text("Not valid")
    await expect(counts).to_have_text(re.compile(r"^\s*2 / 3 checked in\s*$"))
    assert await page.locator("#result").get_attribute("aria-live") == "assertive"
    assert await page.evaluate("window.__sameDocument === true")
    assert page.console_errors == []


def _qr_video(code: str, path: Path, width: int = 640, height: int = 480) -> Path:
    """A one-frame Y4M video of ``code`` as a QR code (Chromium's fake camera loops it)."""
    segno = pytest.importorskip("segno")
    rows = [list(row) for row in segno.make(code, error="m").matrix_iter(scale=8, border=4)]
    size = len(rows)
    assert size <= min(width, height)
    left, top = (width - size) // 2, (height - size) // 2
    luma = bytearray(b"\xeb" * (width * height))  # white
    for y, row in enumerate(rows):
        for x, dark in enumerate(row):
            if dark:
                luma[(top + y) * width + left + x] = 0x10
    chroma = b"\x80" * (width * height // 4)
    path.write_bytes(b"YUV4MPEG2 W%d H%d F10:1 Ip A1:1 C420jpeg\nFRAME\n" % (width, height)
                     + bytes(luma) + chroma + chroma)
    return path


@pytest.fixture
async def camera_page(live_server: str, tmp_path: Path, camera_setup: dict[str, Any]) -> AsyncIterator[Any]:
    """Like ``page``, with a fake camera that shows the third person's ticket as a QR code."""
    from playwright.async_api import async_playwright

    video = _qr_video(camera_setup["people"][2][1], tmp_path / "qr.y4m")
    args = [*CHROMIUM_ARGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}"]
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=args)
        try:
            context = await browser.new_context(base_url=live_server, viewport={"width": 1400, "height": 900})
            page = await context.new_page()
            page.console_errors = []
            page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
            page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))
            yield page
            await context.close()
        finally:
            await browser.close()


@pytest.fixture
async def camera_setup(make_event, ticketed, make_user) -> dict[str, Any]:
    event, people = await _door_event(make_event, ticketed)
    return {"event": event, "people": people, "user": await make_user(Role.ORGANISER)}


async def test_the_camera_scans_a_ticket_with_the_vendored_library(camera_setup, camera_page):
    from playwright.async_api import expect

    page = camera_page
    await _sign_in_and_open_the_door(page, camera_setup["user"], "Camera desk")
    scripts: list[str] = []
    page.on("request", lambda req: scripts.append(req.url) if "qr-scanner" in req.url else None)
    start = page.get_by_role("button", name="Scan with camera")
    await expect(start).to_be_visible()  # shown by checkin.js when the browser has a camera API
    await start.click()
    result = page.locator("#result")
    await expect(result.locator(".result-ok .result-name")).to_have_text("Élodie Martin", timeout=15_000)
    await expect(page.locator("#counts .door-total")).to_have_text(re.compile(r"^\s*1 / 3 checked in\s*$"))
    await expect(page.locator("#camera-status")).to_contain_text("Camera on")
    engine = await page.evaluate(
        "window.__checkinScanner._qrEnginePromise.then(e => e instanceof Worker ? 'worker' : 'native')")
    assert engine in ("worker", "native")
    assert any(url.endswith("/static/vendor/qr-scanner/qr-scanner.min.js") for url in scripts)
    if engine == "worker":
        assert any(url.endswith("/static/vendor/qr-scanner/qr-scanner-worker.min.js") for url in scripts)
    # the code stays in view: no second scan turns the green answer amber
    await page.wait_for_timeout(4000)
    await expect(result.locator(".result-ok .result-name")).to_have_text("Élodie Martin")
    assert await page.locator("#recent li").count() == 1
    await page.get_by_role("button", name="Stop the camera").click()
    await expect(page.locator("#camera-video")).to_be_hidden()
    assert page.console_errors == []


async def test_the_offline_page_checks_in_without_the_server_and_its_scans_merge(
    page, make_event, ticketed, make_user, tmp_path
):
    """The saved offline page (one file, opened from disk) with the downloaded list: a code is
    found by its hash, a name by search; the exported scans upload to the organiser page."""
    import json

    from playwright.async_api import expect

    event, people = await _door_event(make_event, ticketed)
    user = await make_user(Role.ORGANISER)
    await page.goto("/login")
    await page.fill("#f-email", user.email)
    await page.fill("#f-password", PASSWORD)
    await page.click("button[type=submit]:has-text('Sign in')")
    base = f"/organiser/events/{event.slug}/checkin/offline"
    listing = await page.request.get(f"{base}/list.json")
    assert listing.ok
    (tmp_path / "list.json").write_bytes(await listing.body())
    offline_page = await page.request.get(f"{base}/page.html")
    (tmp_path / "offline.html").write_bytes(await offline_page.body())

    await page.goto((tmp_path / "offline.html").as_uri())
    await page.set_input_files("#list-file", str(tmp_path / "list.json"))
    await expect(page.locator("#list-status")).to_contain_text("3 people on the list of “Green procurement forum”")
    await expect(page.locator("#list-status")).to_contain_text(f"Times are {event.timezone} time.")
    await page.fill("#desk", "Laptop 2")
    await page.dispatch_event("#desk", "change")
    result = page.locator("#result")
    await page.fill("#f-code", people[0][1])
    await page.press("#f-code", "Enter")
    await expect(result.locator(".result-ok .result-name")).to_have_text("Jürgen Müller")
    await page.fill("#f-code", people[0][1].lower())
    await page.press("#f-code", "Enter")
    await expect(result.locator(".result-warn .result-title")).to_have_text("Already checked in")
    await page.fill("#f-code", "EA1-" + "A" * 32)
    await page.press("#f-code", "Enter")
    await expect(result.locator(".result-bad .result-title")).to_have_text("Not valid")
    await page.fill("#f-q", "novak")
    await page.locator("#found").get_by_role("button", name="Check in").click()
    await expect(result.locator(".result-ok .result-name")).to_have_text("Ana Novak")
    await expect(page.locator("#count-checked-in")).to_have_text("2")
    await expect(page.locator("#count-expected")).to_have_text("3")

    await page.reload()  # the scans survive a reload (localStorage)
    await expect(page.locator("#count-checked-in")).to_have_text("2")
    async with page.expect_download() as info:
        await page.click("#export")
    download = await info.value
    exported = tmp_path / download.suggested_filename
    await download.save_as(exported)
    scans = json.loads(exported.read_text())
    assert scans["format"] == "events-app-checkin-scans/1" and scans["event"] == event.slug
    assert scans["desk"] == "Laptop 2" and len(scans["scans"]) == 2
    assert {k for s in scans["scans"] for k in s} == {"nonce", "code_sha256", "registration", "scanned_at"}
    assert people[0][1] not in exported.read_text()

    await page.goto(base)
    await page.set_input_files("#f-file", str(exported))
    await page.click("button:has-text('Upload and merge')")
    await expect(page.locator("#report-applied")).to_have_text("2")
    await page.goto(base)
    await page.set_input_files("#f-file", str(exported))
    await page.click("button:has-text('Upload and merge')")
    await expect(page.locator("#report-applied")).to_have_text("0")
    await expect(page.locator("#report-duplicates")).to_have_text("2")
    assert page.console_errors == []
