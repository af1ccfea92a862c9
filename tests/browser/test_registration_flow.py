"""One real-browser run: register with htmx (error, then success), then find the person as organiser.

The app is served by an in-process uvicorn on 127.0.0.1 in the test's own event
loop, so it shares the test's database connection (SQLite pass only: the
Makefile runs the PostgreSQL pass with ``-m "not browser"``).
"""

from __future__ import annotations

import re

from events_app.auth.models import Role
from tests.browser.conftest import browser_marks
from tests.conftest import PASSWORD

pytestmark = browser_marks()


async def test_register_with_htmx_then_find_the_person_as_organiser(
    page, make_event, register, make_user
):
    from playwright.async_api import expect

    event = await make_event(title="Circular procurement in practice", capacity=1)
    await page.goto(f"/events/{event.slug}")
    await expect(
        page.get_by_role("heading", name="Circular procurement in practice")
    ).to_be_visible()
    await page.evaluate("window.__sameDocument = true")

    # 1. a missing field: htmx swaps the form with the inline error, no page load
    await page.fill("#f-name", "Jürgen Müller")
    await page.fill("#f-email", "juergen.mueller@muenchen.de")
    await page.select_option("#f-country", "DE")
    await page.check("#f-consent")
    await page.click("button[type=submit]:has-text('Register')")
    await expect(page.locator("#f-organisation-error")).to_have_text("This field is required.")
    assert await page.evaluate("window.__sameDocument === true"), (
        "the error came with a full page reload"
    )
    await expect(page.locator("#f-name")).to_have_value("Jürgen Müller")  # what was typed is kept
    assert page.url.endswith(f"/events/{event.slug}")

    # 2. fixed: the confirmation page
    await page.fill("#f-organisation", "Landeshauptstadt München")
    await page.check("#f-consent")
    await page.click("button[type=submit]:has-text('Register')")
    await expect(page.get_by_role("heading", name="You are registered")).to_be_visible()
    assert re.search(r"/manage/[^/]+/confirmed$", page.url)

    # someone else joins the waiting list meanwhile
    await register(event, name="Wanda Waiting", email="wanda@example.org")

    # 3. the organiser finds them both, then filters with htmx
    organiser = await make_user(Role.ORGANISER)
    await page.goto(f"/login?next=/organiser/events/{event.slug}/registrations")
    await page.fill("#f-email", organiser.email)
    await page.fill("#f-password", PASSWORD)
    await page.click("button[type=submit]:has-text('Sign in')")
    await expect(
        page.get_by_role("heading", name="Circular procurement in practice")
    ).to_be_visible()
    table = page.locator("#registrations-table tbody")
    await expect(table.locator("tr")).to_have_count(2)
    await expect(table).to_contain_text("Jürgen Müller")
    await expect(table).to_contain_text("Landeshauptstadt München")
    await page.evaluate("window.__sameDocument = true")

    await page.select_option("#f-status", "waitlisted")
    await expect(table.locator("tr")).to_have_count(1)
    await expect(table).to_contain_text("Wanda Waiting")
    await expect(table).to_contain_text("#1 in line")
    await expect(page).to_have_url(re.compile(r"status=waitlisted"))  # hx-push-url
    assert await page.evaluate("window.__sameDocument === true"), "filtering reloaded the page"

    await page.select_option("#f-status", "all")
    await expect(table.locator("tr")).to_have_count(2)
    await page.fill("#f-q", "müller")
    await expect(table.locator("tr")).to_have_count(1)
    await expect(table).to_contain_text("Jürgen Müller")
    await expect(page).to_have_url(re.compile(r"q=m%C3%BCller"))
    assert await page.evaluate("window.__sameDocument === true"), "searching reloaded the page"

    # A CSP violation (inline script or style) or a JavaScript error would show here. Chromium
    # also logs every 4xx response: only the deliberate 422 is expected.
    unexpected = [
        e
        for e in page.console_errors
        if not (
            e.startswith("Failed to load resource")
            and "422" in e
            and e.endswith(f"/events/{event.slug}/register]")
        )
    ]
    assert unexpected == []
