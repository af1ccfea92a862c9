"""The attendee's ticket from the manage link: page with the QR code, PDF, and who has none."""

from __future__ import annotations

import re

import pytest

from events_app.badges.tickets import CODE_PATTERN
from events_app.registration.models import Registration
from events_app.registration.service import cancel_registration
from tests.pdf_tools import pdf_text, qr_codes


async def test_ticket_page_and_pdf(client, make_event, register) -> None:
    event = await make_event(capacity=1)
    outcome = await register(event)
    token = outcome.manage_token
    page = await client.get(f"/manage/{token}/ticket")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store" and page.headers["referrer-policy"] == "no-referrer"
    registration = await Registration.get(id=outcome.registration.id)
    code = f"EA1-{registration.ticket_secret}"
    assert CODE_PATTERN.fullmatch(code) and "<svg" in page.text
    secret = registration.ticket_secret
    assert "EA1-" + " ".join(secret[i:i + 4] for i in range(0, 32, 4)) in page.text  # as on the PDF
    assert str(registration.id) not in registration.ticket_secret
    manage = await client.get(f"/manage/{token}")
    assert f"/manage/{token}/ticket.pdf" in manage.text
    pdf = await client.get(f"/manage/{token}/ticket.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert qr_codes(pdf.content) == [code]
    assert registration.name in pdf_text(pdf.content)
    # the same secret on every view (stored, not made anew)
    again = await client.get(f"/manage/{token}/ticket")
    assert code in re.sub(r"\s", "", again.text)


async def test_no_ticket_on_the_waiting_list_or_after_cancelling(client, make_event, register) -> None:
    event = await make_event(capacity=1)
    first = await register(event)
    second = await register(event, email="second@example.org")
    waiting = await client.get(f"/manage/{second.manage_token}/ticket")
    assert waiting.status_code == 409 and "waiting list" in waiting.text
    assert (await client.get(f"/manage/{second.manage_token}/ticket.pdf")).status_code == 409
    await client.get(f"/manage/{first.manage_token}/ticket")
    old = (await Registration.get(id=first.registration.id)).ticket_secret
    await cancel_registration(registration_id=first.registration.id)
    assert (await client.get(f"/manage/{first.manage_token}/ticket")).status_code == 409
    assert (await Registration.get(id=first.registration.id)).ticket_secret == old  # kept: scans say "cancelled"
    assert (await client.get("/manage/not-a-token/ticket")).status_code == 404


@pytest.mark.parametrize("path", ["/manage/{t}/ticket", "/manage/{t}/ticket.pdf"])
async def test_bogus_tokens(client, path) -> None:
    assert (await client.get(path.format(t="x" * 300))).status_code == 404


async def test_organiser_gives_a_new_ticket_and_the_old_one_dies(client, make_event, register, login) -> None:
    from events_app.badges.tickets import ensure_ticket
    from events_app.checkin.service import TicketNotValid, check_in_code
    from tests.conftest import csrf_of

    event = await make_event()
    outcome = await register(event)
    old = (await ensure_ticket(await Registration.get(id=outcome.registration.id))).ticket_secret
    await login(client)
    path = f"/organiser/events/{event.slug}/registrations"
    response = await client.post(f"{path}/{outcome.registration.id}/new-ticket",
                                 data={"csrf_token": await csrf_of(client, path)})
    assert response.status_code == 303 and "done=ticket-reissued" in response.headers["location"]
    new = (await Registration.get(id=outcome.registration.id)).ticket_secret
    assert new and new != old
    from events_app.notifications.models import OutboxMessage

    [mail] = await OutboxMessage.filter(kind="new_ticket")
    assert mail.to_email == outcome.registration.email
    with pytest.raises(TicketNotValid):
        await check_in_code(event=event, code=f"EA1-{old}", desk="A", user=None)
    assert (await check_in_code(event=event, code=f"EA1-{new}", desk="A", user=None)).status == "checked_in"
    assert new in "".join((await client.get(f"/manage/{outcome.manage_token}/ticket")).text.split())
    assert (await client.post(f"{path}/999999/new-ticket", data={"csrf_token": await csrf_of(client, path)})
            ).status_code == 404
