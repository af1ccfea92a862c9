"""What the emails look like on the wire: MIME structure, headers, text, and their Message-IDs."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import parseaddr

from icalendar import Calendar
from tortoise.transactions import in_transaction

from events_app.clock import utcnow
from events_app.notifications.models import OutboxMessage
from events_app.notifications.service import (
    EmailKind,
    deliver_due_messages,
    queue_registration_email,
    render_outbox_message,
)
from events_app.registration.service import cancel_registration
from tests.notifications.conftest import (
    SmtpCapture,
    calendar_parts,
    ics_attachments,
    manage_path,
    text_of,
)


async def _deliver(smtp: SmtpCapture) -> None:
    while await deliver_due_messages(mailer=smtp.mailer()):
        pass


def _structure(message: EmailMessage) -> list[str]:
    return [part.get_content_type() for part in message.walk()]


async def test_confirmation_has_text_html_calendar_request_and_an_ics_attachment(make_event, register, smtp: SmtpCapture, settings):
    event = await make_event(title="Circular & green buying")
    outcome = await register(event, name="Zoë Ångström-Øre", email="zoe@example.org")
    await _deliver(smtp)
    (received,) = smtp.received
    message = received.message
    assert received.rcpt_tos == ["zoe@example.org"]
    assert parseaddr(received.mail_from)[1] == settings.mail_from

    assert _structure(message) == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "text/calendar",
        "application/ics",
        "application/pdf",  # the ticket (an in-person event)
    ]
    assert message["Subject"] == "Your place at Circular & green buying is confirmed"
    assert message["To"] == "Zoë Ångström-Øre <zoe@example.org>"  # encoded on the wire, decoded here
    assert message["Auto-Submitted"] == "auto-generated"
    row = await render_outbox_message(await OutboxMessage.get())
    assert message["Message-ID"] == row.message_id
    assert row.message_id.startswith("<") and row.message_id.endswith(f"@{settings.host}>")

    (calendar,) = calendar_parts(message)
    assert calendar.get_param("method") == "REQUEST"
    assert calendar.get_content_charset() == "utf-8"
    (attachment,) = ics_attachments(message)
    assert attachment.get_content_disposition() == "attachment"
    # The alternative and the attachment carry the same calendar, and it survived the trip.
    assert attachment.get_content().decode() == calendar.get_content() == row.ics
    cal = Calendar.from_ical(calendar.get_content())
    assert cal["METHOD"] == "REQUEST"
    assert cal.walk("VEVENT")[0]["ATTENDEE"].params["CN"] == "Zoë Ångström-Øre"

    html = message.get_body(preferencelist=("html",))
    assert html is not None and "Circular &amp; green buying" in html.get_content()
    assert manage_path(message).startswith("/manage/")
    assert outcome.manage_token and manage_path(message) == f"/manage/{outcome.manage_token}"


async def test_plain_text_keeps_its_paragraphs(make_event, register, smtp: SmtpCapture):
    event = await make_event(venue_name="", venue_address="Rue de la Loi 155, Brussels")
    await register(event)
    await _deliver(smtp)
    text = text_of(smtp.received[0].message).replace("\r\n", "\n")
    # a blank line between the body and the facts, and around the manage link
    assert "on your phone.\n\nEvent: " in text
    assert "\nWhere: Rue de la Loi 155, Brussels\n\nEvent page: " in text  # no stray ", " for a missing venue name
    assert "\n\nView, correct or cancel your registration" in text
    assert "\n\n-- \nEcoProcura network events\n" in text
    assert "\n\n\n" not in text


async def test_cancellation_carries_method_cancel(make_event, register, smtp: SmtpCapture):
    event = await make_event()
    outcome = await register(event)
    await cancel_registration(registration_id=outcome.registration.id)
    await _deliver(smtp)
    confirmation, cancellation = (r.message for r in smtp.received)
    assert [p.get_param("method") for p in calendar_parts(confirmation)] == ["REQUEST"]
    assert [p.get_param("method") for p in calendar_parts(cancellation)] == ["CANCEL"]
    assert len(ics_attachments(cancellation)) == 1
    assert "is cancelled" in text_of(cancellation)


async def test_waitlist_email_has_the_link_and_the_position_but_no_invite(make_event, register, smtp: SmtpCapture, client):
    event = await make_event(capacity=1)
    await register(event)
    await register(event)
    waiting = await register(event)
    assert waiting.waitlist_position == 2
    await _deliver(smtp)
    (message,) = smtp.to(waiting.registration.email)
    assert _structure(message) == ["multipart/alternative", "text/plain", "text/html"]
    assert calendar_parts(message) == [] and ics_attachments(message) == []
    assert "waiting list, at position 2." in text_of(message)
    html = message.get_body(preferencelist=("html",))
    assert html is not None and "<strong>2</strong>" in html.get_content()
    page = await client.get(manage_path(message))
    assert page.status_code == 200 and "On the waiting list, position 2" in page.text


async def test_waitlisted_person_who_cancels_gets_no_calendar_cancel(make_event, register, smtp: SmtpCapture):
    event = await make_event(capacity=1)
    await register(event)
    waiting = await register(event)
    await cancel_registration(registration_id=waiting.registration.id)
    await _deliver(smtp)
    waitlist, cancellation = smtp.to(waiting.registration.email)
    assert calendar_parts(cancellation) == [] and ics_attachments(cancellation) == []
    assert "removes the event from your calendar" not in text_of(cancellation)


async def test_message_ids_are_unique_even_for_the_same_kind_at_the_same_instant(make_event, register, smtp: SmtpCapture):
    event = await make_event()
    outcome = await register(event)
    now = utcnow()
    async with in_transaction() as conn:
        for _ in range(3):
            await queue_registration_email(
                kind=EmailKind.CONFIRMATION,
                registration=outcome.registration,
                event=event,
                organisation=await outcome.registration.organisation,
                conn=conn,
                now=now,
            )
    ids = await OutboxMessage.all().values_list("message_id", flat=True)
    assert len(ids) == 4 and len(set(ids)) == 4
    await _deliver(smtp)
    assert sorted(smtp.count_by_message_id()) == sorted(ids)
