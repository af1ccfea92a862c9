"""Acceptance 6 in a real browser: an organiser adds a session in the agenda builder, moves
it into a clash, sees the warning, saves anyway, moves it elsewhere, publishes; the public
agenda shows it, and after a further move and publish it shows the new time.

Server and browser set up as in test_registration_flow.py (SQLite pass only).
"""

from __future__ import annotations

from typing import Any

from events_app.agenda.models import AgendaSession, SessionStatus
from events_app.agenda.service import publish_agenda
from events_app.auth.models import Role
from tests.agenda.conftest import add_session, at, conference, rooms, speakers  # noqa: F401 (fixtures)
from tests.browser.conftest import browser_marks
from tests.conftest import PASSWORD

pytestmark = browser_marks()


async def _same_document(page: Any, what: str) -> None:
    assert await page.evaluate("window.__sameDocument === true"), f"{what} reloaded the page"


async def test_add_move_clash_publish_and_the_public_agenda_follows(  # noqa: F811 (fixtures)
    page, conference, rooms, speakers, add_session, make_user  # noqa: F811
):
    from playwright.async_api import expect

    await add_session(title="Food waste in canteens", room="Room A", start="14:00", end="15:00")
    await publish_agenda(event=conference)
    base = f"/organiser/events/{conference.slug}/agenda"

    # sign in and open the builder
    organiser = await make_user(Role.ORGANISER)
    await page.goto(f"/login?next={base}")
    await page.fill("#f-email", organiser.email)
    await page.fill("#f-password", PASSWORD)
    await page.click("button[type=submit]:has-text('Sign in')")
    await expect(page.get_by_role("heading", name=f"Agenda: {conference.title}")).to_be_visible()
    await expect(page.locator("#unpublished-count")).to_have_text("Everything is published.")
    await page.evaluate("window.__sameDocument = true")
    # the status line is one element for the page's whole life: only its text changes (announced)
    await page.evaluate("document.getElementById('builder-status').dataset.original = 'yes'")

    # 1. add a session (htmx: the grid is swapped in place)
    await page.click("#editor summary")
    await page.fill("#f-title", "Green IT in town halls")
    await page.select_option("#f-kind", "workshop")
    await page.fill("#f-start", "10:00")
    await page.fill("#f-end", "11:00")
    await page.select_option("#f-room", label="Room B (25 seats)")
    await page.check(f"#f-speaker-{speakers[1].id}")
    await page.click("#session-form button[type=submit]:has-text('Add session')")
    await expect(page.locator("#builder-status .alert-success")).to_contain_text("“Green IT in town halls” is added as a draft.")
    await expect(page.locator("#builder-status[role=status][data-original=yes]")).to_have_count(1)
    await expect(page.locator("#builder .alert-success")).to_have_count(0)
    await expect(page.locator("#editor-heading")).to_have_text("Add a session")
    stored = await AgendaSession.get(title="Green IT in town halls")
    block = page.locator(f"#session-{stored.id}")
    await expect(block).to_contain_text("10:00–11:00")
    await expect(block).to_contain_text("Room B")
    await expect(block).to_contain_text("Jan Peeters")
    await expect(block).to_contain_text("Draft: not published")
    await expect(page.locator("#unpublished-count")).to_contain_text("1 unpublished change.")
    await _same_document(page, "adding a session")

    # 2. move it into Room A at the time of the other session: refused with the clash beside the form
    async def move(start: str, end: str, room: str) -> None:
        await block.locator("details.ag-move summary").click()
        await block.locator("input[name=start]").fill(start)
        await block.locator("input[name=end]").fill(end)
        await block.locator("select[name=room]").select_option(label=room)
        await block.locator("details.ag-move button[type=submit]").click()

    await move("14:30", "15:30", "Room A (40 seats)")
    clash = page.locator("#editor-conflicts")
    await expect(clash).to_contain_text("Room A is already used by “Food waste in canteens”")
    await expect(page.locator("#f-start")).to_have_value("14:30")
    assert (await AgendaSession.get(id=stored.id)).room_id == rooms["Room B"].id  # nothing stored
    await _same_document(page, "the refused move")

    # 3. save anyway: stored, and the warning stays beside both sessions in the grid
    await clash.get_by_role("button", name="Save anyway").click()
    await expect(page.locator("#builder-status .alert-success")).to_contain_text("It clashes: see the warnings beside it.")
    await expect(block.locator(".ag-conflicts")).to_contain_text("Room A is already used by “Food waste in canteens”")
    await expect(block).to_contain_text("14:30–15:30")
    row = await AgendaSession.get(id=stored.id)
    assert row.room_id == rooms["Room A"].id and row.conflicts_allowed

    # 4. move it elsewhere: the warning goes
    await move("14:30", "15:30", "Plenary hall (400 seats)")
    await expect(page.locator("#builder-status .alert-success")).to_contain_text("“Green IT in town halls” is moved.")
    await expect(page.locator("#builder-status[data-original=yes]")).to_have_count(1)
    await expect(block).to_contain_text("Plenary hall")
    await expect(block.locator(".ag-conflicts")).to_have_count(0)
    await _same_document(page, "moving")

    # 5. publish: the summary lists the new session
    await page.get_by_role("button", name="Publish 1 change").click()
    summary = page.locator("details.publication")
    await expect(summary).to_contain_text("Added (1)")
    await expect(summary).to_contain_text("“Green IT in town halls”")
    await expect(page.locator("#unpublished-count")).to_have_text("Everything is published.")
    await expect(block.locator(".ag-badges")).to_have_count(0)
    await _same_document(page, "publishing")
    assert (await AgendaSession.get(id=stored.id)).status == SessionStatus.PUBLISHED

    # the public agenda shows it
    public = f"/events/{conference.slug}/agenda"
    await page.goto(public)
    await expect(page.get_by_role("heading", name="Green IT in town halls")).to_be_visible()
    card = page.locator("article", has=page.get_by_role("heading", name="Green IT in town halls"))
    await expect(card).to_contain_text("14:30")
    await expect(card).to_contain_text("Plenary hall")
    # filtering swaps the agenda and changes only the text of the page's own status line
    status = page.locator("#agenda-status[role=status]")
    await expect(status).to_have_text("Showing 2 sessions.")
    await page.evaluate("document.getElementById('agenda-status').dataset.original = 'yes'")
    await page.select_option("#f-kind", "workshop")
    await expect(page.locator("#agenda-status[data-original=yes]")).to_have_text("Showing 2 of 2 sessions.")
    await expect(page.locator("#agenda-status")).to_have_count(1)
    await expect(page.locator("#agenda-body")).not_to_have_attribute("aria-live", "polite")

    # 6. move the published session: the public keeps the old time until the next publish
    await page.goto(base)
    await page.evaluate("window.__sameDocument = true")
    await move("16:00", "17:00", "Room B (25 seats)")
    await expect(block).to_contain_text("Unpublished changes")
    await expect(block).to_contain_text("16:00–17:00")
    feed = await page.request.get(f"/events/{conference.slug}/calendar.ics")
    assert feed.ok and "Green IT in town halls" in await feed.text()
    await page.goto(public)
    await expect(card).to_contain_text("14:30")
    await page.goto(base)
    await page.evaluate("window.__sameDocument = true")
    await page.get_by_role("button", name="Publish 1 change").click()
    day = at(conference, 0, "00:00").strftime("%a %d %b")
    await expect(summary).to_contain_text(
        f"“Green IT in town halls”: from {day} 14:30–15:30, Plenary hall to {day} 16:00–17:00, Room B"
    )
    await _same_document(page, "the second publish")
    await page.goto(public)
    await expect(card).to_contain_text("16:00")
    await expect(card).to_contain_text("Room B")
    row = await AgendaSession.get(id=stored.id)
    assert row.starts_at == at(conference, 0, "16:00") and row.ical_sequence == 1

    # A CSP violation (inline script or style) or a JavaScript error would show here. Chromium
    # also logs every 4xx response: only the deliberate 409 of the refused move is expected.
    unexpected = [
        e for e in page.console_errors
        if not (e.startswith("Failed to load resource") and "409" in e and e.endswith(f"{base}/sessions/{stored.id}]"))
    ]
    assert unexpected == []
