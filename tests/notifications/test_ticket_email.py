"""In-person events: the confirmation and promotion emails carry the PDF ticket; online events do not."""

from __future__ import annotations

from events_app.badges import service as badge_service
from events_app.notifications.service import deliver_due_messages
from events_app.registration.models import Registration
from events_app.registration.service import cancel_registration
from tests.notifications.conftest import SmtpCapture
from tests.pdf_tools import qr_codes


def _attachments(message) -> dict[str, bytes]:
    return {part.get_filename(): part.get_content() for part in message.iter_attachments()}


async def test_confirmation_and_promotion_carry_the_ticket(make_event, register, smtp: SmtpCapture) -> None:
    event = await make_event(capacity=1)
    first = await register(event, email="first@example.org")
    second = await register(event, email="second@example.org")  # waitlisted: no ticket
    await deliver_due_messages(mailer=smtp.mailer())
    [confirmation] = smtp.to("first@example.org")
    files = _attachments(confirmation)
    assert "ticket.pdf" in files and files["ticket.pdf"].startswith(b"%PDF")
    assert "ticket.pdf" not in _attachments(smtp.to("second@example.org")[0])
    registration = await Registration.get(id=first.registration.id)
    assert qr_codes(files["ticket.pdf"]) == [f"EA1-{registration.ticket_secret}"]
    await cancel_registration(registration_id=first.registration.id)
    await deliver_due_messages(mailer=smtp.mailer())
    promotion = [m for m in smtp.to("second@example.org") if "place opened up" in str(m["Subject"])]
    assert promotion and "ticket.pdf" in _attachments(promotion[0])
    promoted = await Registration.get(id=second.registration.id)
    assert promoted.ticket_secret and promoted.ticket_secret != registration.ticket_secret


async def test_online_events_send_no_ticket(make_event, register, smtp: SmtpCapture) -> None:
    event = await make_event(is_online=True, online_url="https://meet.example.org/x", venue_name="", venue_address="")
    await register(event, email="online@example.org")
    await deliver_due_messages(mailer=smtp.mailer())
    [confirmation] = smtp.to("online@example.org")
    assert "ticket.pdf" not in _attachments(confirmation)


async def test_the_confirmation_goes_out_when_the_ticket_cannot_be_drawn(make_event, register, smtp: SmtpCapture, monkeypatch) -> None:
    async def broken(registration):
        raise RuntimeError("font missing")

    monkeypatch.setattr(badge_service, "render_ticket", broken)
    event = await make_event()
    await register(event, email="still@example.org")
    assert await deliver_due_messages(mailer=smtp.mailer()) == 1
    [message] = smtp.to("still@example.org")
    assert "ticket.pdf" not in {p.get_filename() for p in message.iter_attachments()}


async def test_a_new_ticket_is_emailed_with_the_new_code(make_event, register, smtp: SmtpCapture) -> None:
    from events_app.badges.tickets import reissue_event_ticket

    event = await make_event()
    outcome = await register(event, email="lost@example.org")
    await deliver_due_messages(mailer=smtp.mailer())
    smtp.received.clear()
    registration = await reissue_event_ticket(slug=event.slug, registration_id=outcome.registration.id)
    await deliver_due_messages(mailer=smtp.mailer())
    [message] = smtp.to("lost@example.org")
    assert str(message["Subject"]) == f"Your new ticket for {event.title}"
    pdf = _attachments(message)["ticket.pdf"]
    assert qr_codes(pdf) == [f"EA1-{registration.ticket_secret}"]
