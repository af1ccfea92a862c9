"""The twinning programme in a real Chromium, with no console error or CSP violation.

1. An authority finds the open round on /twinning, fills the request form, confirms from the
   emailed link and changes its motivation there.
2. An organiser runs the matching of a closed mentoring round, pins a pair (htmx: the proposals
   block is swapped in place), runs again, publishes, and looks at the round's picture.

Served by an in-process uvicorn in the test's loop (SQLite pass only, see tests/browser/conftest.py).
"""

from __future__ import annotations

import re

from events_app.auth.models import Role
from events_app.twinning.models import MatchRun, Twinning, TwinningRequest
from events_app.twinning.requests import confirm_request, submit_request
from tests.browser.conftest import browser_marks
from tests.conftest import PASSWORD
from tests.twinning.conftest import (  # noqa: F401 (fixtures)
    RoundFactory,
    catalogue,
    closed,
    make_round,
    request_data,
    token_for,
)

pytestmark = browser_marks()

EMAIL = "ana.novak@ljubljana.si"


async def test_an_authority_asks_for_a_twin_confirms_and_edits(page, make_round: RoundFactory):  # noqa: F811
    from playwright.async_api import expect

    round_ = await make_round("mentoring", title="Mentoring 2027")

    # the open round's page links to the form
    await page.goto("/twinning")
    card = page.locator(".twinning-rounds li", has=page.get_by_role("heading", name="Mentoring 2027"))
    await card.get_by_role("link", name="Ask for a twin").click()
    await expect(page.get_by_role("heading", name="Mentoring 2027", level=1)).to_be_visible()
    assert page.url.endswith(f"/twinning/rounds/{round_.id}/request")

    # fill it in
    await page.fill("#f-organisation", "Mestna občina Ljubljana")
    await page.select_option("#f-country", "SI")
    await page.fill("#f-contact_name", "Ana Novak")
    await page.fill("#f-contact_email", EMAIL)
    await page.check("#f-role")  # mentor
    await page.check("#f-lang-en")
    await page.check("#f-lang-sl")
    await page.fill("#f-size", "290000")
    await page.select_option("#f-offer-food", label="Advanced")
    await page.check("#f-seek-ict")
    await page.check("#f-consent_share")
    await page.get_by_role("button", name="Send my request").click()
    await expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    await expect(page.locator("main")).to_contain_text(EMAIL)
    stored = await TwinningRequest.get(round_id=round_.id).prefetch_related("organisation", "contact")
    assert stored.status == "unconfirmed" and stored.organisation.name == "Mestna občina Ljubljana"

    # the emailed link: unconfirmed, then confirmed
    link = f"/twinning/requests/{await token_for(EMAIL, 'twinning_confirm')}"
    await page.goto(link)
    status = page.locator(".facts .badge").first
    await expect(status).to_have_text("Waiting for your confirmation")
    await page.get_by_role("button", name="Confirm my request").click()
    await expect(page.locator(".alert-success")).to_contain_text("Thank you: your request is confirmed.")
    await expect(status).to_have_text("Confirmed")
    await expect(page.get_by_role("button", name="Confirm my request")).to_have_count(0)

    # change the motivation on the same page
    await expect(page.locator("#f-consent_share")).to_be_checked()
    await page.fill("#f-motivation", "We want to help a smaller town with food procurement.")
    await page.get_by_role("button", name="Save changes").click()
    await expect(page.locator(".alert-success")).to_contain_text("Your changes are saved.")
    await expect(page.locator(".facts .motivation")).to_have_text(
        "We want to help a smaller town with food procurement.")

    saved = await TwinningRequest.get(id=stored.id).prefetch_related("contact")
    assert saved.motivation == "We want to help a smaller town with food procurement."
    assert saved.status == "confirmed" and saved.confirmed_at is not None
    assert saved.role == "mentor" and saved.size == 290_000
    assert saved.offers == {"food": 3} and saved.seeks == ["ict"] and sorted(saved.languages) == ["en", "sl"]
    assert saved.contact.consent_share is True
    assert page.console_errors == []


async def test_an_organiser_runs_pins_publishes_and_sees_the_picture(page, make_round: RoundFactory,  # noqa: F811
                                                                     make_user):
    from playwright.async_api import expect

    round_ = await make_round("mentoring")
    for i in range(8):
        data = request_data(i, mode="mentoring")
        await submit_request(round_id=round_.id, data=data)
        await confirm_request(token=await token_for(data.contact_email, "twinning_confirm"))
    await closed(round_)  # the deadline is now past
    names = {r.id: r.organisation.name for r in await TwinningRequest.filter(round_id=round_.id)
             .prefetch_related("organisation")}
    assert len(names) == 8
    url = f"/organiser/twinning/rounds/{round_.id}"

    organiser = await make_user(Role.ORGANISER)
    await page.goto(f"/login?next={url}")
    await page.fill("#f-email", organiser.email)
    await page.fill("#f-password", PASSWORD)
    await page.click("button[type=submit]:has-text('Sign in')")
    await expect(page.get_by_role("heading", name=round_.title, level=1)).to_be_visible()

    # run the matching: proposals appear
    await page.get_by_role("button", name="Run matching", exact=True).click()
    await expect(page.locator("#proposals-heading")).to_contain_text("Proposed pairs of run 1")
    rows = page.locator("#proposals tr[id^=pair-]")
    await expect(rows.first).to_be_visible()
    assert await rows.count() >= 2

    # pin the last pair: htmx swaps the proposals block, the page stays
    row_id = await rows.last.get_attribute("id")
    a, b = (int(x) for x in re.fullmatch(r"pair-(\d+)-(\d+)", row_id or "").groups())
    await page.evaluate("window.__marker = 1")
    await page.evaluate("document.getElementById('proposals').dataset.original = 'yes'")
    row = page.locator(f"#{row_id}")
    await row.get_by_role("button", name=re.compile(r"^Pin ")).click()
    await expect(row.locator(".badge-pinned")).to_have_text("Pin saved: run again")
    await expect(page.locator("#proposals[data-original=yes]")).to_have_count(0)  # swapped...
    await expect(page.locator("#proposals")).to_have_count(1)
    assert await page.evaluate("window.__marker === 1"), "pinning reloaded the page"  # ...without a reload
    rules = page.locator("#proposals .rules")
    await expect(rules).to_contain_text(f"Pinned {' and '.join(names[x] for x in sorted((a, b)))}")
    await expect(row.get_by_role("button", name=re.compile(r"^Unpin "))).to_be_visible()

    # run again: the pinned pair is kept, with its badge
    await page.get_by_role("button", name="Run matching", exact=True).click()
    await expect(page.locator("#proposals-heading")).to_contain_text("Proposed pairs of run 2")
    pinned_row = page.locator("#proposals tr.pinned")
    await expect(pinned_row).to_have_count(1)
    await expect(pinned_row.locator(".badge-pinned")).to_have_text("Pinned")
    assert set(map(int, re.findall(r"\d+", await pinned_row.get_attribute("id") or ""))) == {a, b}
    assert await MatchRun.filter(round_id=round_.id).count() == 2

    # publish run 2 after the confirmation page
    await page.get_by_role("link", name="Publish run 2…").click()
    await expect(page.get_by_role("heading", name="Publish the pairs")).to_be_visible()
    await expect(page.locator("#email-count")).to_have_text("8 emails")
    await page.get_by_role("button", name="Publish and send 8 emails").click()
    await expect(page.locator(".alert-success")).to_contain_text("Published: 8 emails queued")
    twinnings = page.locator("#twinnings tr[id^=twinning-]")
    await expect(twinnings.first).to_be_visible()
    count = await Twinning.filter(round_id=round_.id).count()
    assert count >= 1 and await twinnings.count() == count
    await expect(page.locator("#twinnings")).to_contain_text(names[a])

    # the picture: the network and the map, both naming the authorities
    await page.get_by_role("link", name="Picture of the round").click()
    await expect(page.get_by_role("heading", name="The round as a picture")).to_be_visible()
    pictures = page.locator(".twinning-picture > svg")
    await expect(pictures).to_have_count(2)
    for n in range(2):
        text = await pictures.nth(n).text_content() or ""
        assert names[a] in text and names[b] in text, text[:500]
    assert page.console_errors == []
