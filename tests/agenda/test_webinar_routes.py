"""Organiser page for webinars: reminder times and the recording link (mailed once per link)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import httpx
import pytest

from events_app.auth.models import Role
from events_app.clock import utcnow
from events_app.events.models import Event
from events_app.notifications.models import OutboxMessage
from events_app.notifications.service import deliver_due_messages
from events_app.registration.service import cancel_registration
from tests.conftest import csrf_of
from tests.notifications import conftest as mail_fixtures
from tests.notifications.conftest import SmtpCapture, text_of

# The real SMTP server fixtures of tests/notifications.
smtp, smtp_down = mail_fixtures.smtp, mail_fixtures.smtp_down
VIDEO = "https://video.example.org/recordings/green-ict"


async def _signed_in(client: httpx.AsyncClient, login, role: Role = Role.ORGANISER) -> str:  # type: ignore[no-untyped-def]
    await login(client, role)
    return await csrf_of(client, "/organiser")


def _form(token: str, reminders: list[str] | None = None, other: str = "", url: str = "") -> dict[str, object]:
    return {"csrf_token": token, "other_reminders": other, "recording_url": url, "reminders": reminders or []}


async def _snapshot() -> tuple[list[dict], int]:
    return await Event.all().order_by("id").values(), await OutboxMessage.all().count()


async def test_the_page_shows_the_default_times_and_saves_new_ones(client, login, make_event):
    event = await make_event(kind="webinar", is_online=True, venue_name="", venue_address="", online_url="https://meet.example.org/x")
    token = await _signed_in(client, login)
    listing = await client.get("/organiser")
    assert f'href="/organiser/events/{event.slug}/webinar">Webinar settings' in listing.text
    page = await client.get(f"/organiser/events/{event.slug}/webinar")
    assert page.status_code == 200
    assert 'value="1440" checked' in page.text and 'value="60" checked' in page.text
    assert 'value="15" checked' not in page.text
    assert "This event is online" in page.text

    response = await client.post(
        f"/organiser/events/{event.slug}/webinar", data=_form(token, ["10080", "15"], other="2 hours, 30 min")
    )
    assert response.status_code == 303 and response.headers["location"].endswith("/webinar?done=saved")
    stored = await Event.get(id=event.id)
    assert stored.reminder_minutes == [10080, 120, 30, 15] and stored.recording_url == ""
    page = await client.get(response.headers["location"])
    assert "Your changes are saved." in page.text
    assert 'value="10080" checked' in page.text and 'value="1440" checked' not in page.text
    assert 'value="2 hours, 30 minutes"' in page.text

    response = await client.post(f"/organiser/events/{event.slug}/webinar", data=_form(token, []))
    assert response.status_code == 303
    assert (await Event.get(id=event.id)).reminder_minutes == []  # no reminders at all


@pytest.mark.parametrize(
    ("reminders", "other", "url", "field", "message"),
    [
        (["abc"], "", "", "reminders", "Choose reminder times from the list."),
        (["99"], "", "", "reminders", "Choose reminder times from the list."),
        (["9" * 30], "", "", "reminders", "Choose reminder times from the list."),
        ([], "soon", "", "other_reminders", "is not a time"),
        ([], "2 minutes", "", "other_reminders", "from 5 minutes to 2 weeks"),
        ([], "30 days", "", "other_reminders", "from 5 minutes to 2 weeks"),
        ([], "99999999999 hours", "", "other_reminders", "is not a time"),
        ([], "1 h, 2 h, 3 h, 4 h, 5 h, 6 h, 7 h", "", "other_reminders", "at most 6"),
        ([], "1 h\x00", "", "other_reminders", "for example"),
        ([], "", "http://video.example.org/x", "recording_url", "starting with https://"),
        ([], "", "javascript:alert(1)", "recording_url", "starting with https://"),
        ([], "", "https://", "recording_url", "starting with https://"),
        ([], "", "https://a b.org/x", "recording_url", "starting with https://"),
        ([], "", "https://user:pw@video.example.org/x", "recording_url", "starting with https://"),
        ([], "", "https://video.example.org/" + "x" * 500, "recording_url", "at most 500"),
        ([], "", VIDEO, "recording_url", "once the event has ended"),  # it is still ahead
    ],
)
async def test_bad_input_is_refused_and_nothing_is_stored(client, login, make_event, register, reminders, other, url, field, message):
    event = await make_event(kind="webinar")
    await register(event)
    token = await _signed_in(client, login)
    before = await _snapshot()
    response = await client.post(f"/organiser/events/{event.slug}/webinar", data=_form(token, reminders, other, url))
    assert response.status_code == 422, response.text[:300]
    assert f'id="f-{field}-error"' in response.text and message in response.text
    assert f'href="#f-{field}"' in response.text  # the error summary links to the field
    assert await _snapshot() == before


async def test_only_organisers_and_only_with_the_form_token(client, login, make_event):
    event = await make_event()
    path = f"/organiser/events/{event.slug}/webinar"
    assert (await client.get(path)).status_code == 303  # to the sign-in page
    token = await _signed_in(client, login, Role.CHECKIN)
    assert (await client.get(path)).status_code == 403
    assert (await client.post(path, data=_form(token, ["60"]))).status_code == 403
    client.cookies.clear()
    token = await _signed_in(client, login)
    assert (await client.post(path, data=_form("wrong-token", ["60"]))).status_code == 403
    assert (await client.get("/organiser/events/no-such-event/webinar")).status_code == 404
    assert (await client.post("/organiser/events/no-such-event/webinar", data=_form(token, ["60"]))).status_code == 404
    assert (await Event.get(id=event.id)).reminder_minutes is None


async def _ended_webinar(make_event, register):  # type: ignore[no-untyped-def]
    """An online event that has just ended: two attended, one waited, one cancelled."""
    now = utcnow()
    event = await make_event(
        kind="webinar", is_online=True, venue_name="", venue_address="", online_url="https://meet.example.org/x",
        capacity=2, starts_at=now - timedelta(hours=2), ends_at=now + timedelta(hours=1),
    )
    people = {name: (await register(event, email=f"{name}@example.org")).registration for name in ("anna", "bert", "carl", "dora")}
    await cancel_registration(registration_id=people["dora"].id)
    await Event.filter(id=event.id).update(ends_at=now - timedelta(minutes=5))  # time passes: it is over
    return event, people


async def _drain(smtp: SmtpCapture) -> None:
    for _ in range(20):
        await deliver_due_messages(mailer=smtp.mailer())
        if not await OutboxMessage.filter(status="pending").exists():
            return


def _recordings(smtp: SmtpCapture) -> Counter[str]:
    return Counter(r.to for r in smtp.received if str(r.message["Subject"]).strip().startswith("Recording of"))


async def test_a_recording_link_is_mailed_once_to_confirmed_attendees(client, login, make_event, register, smtp):
    event, people = await _ended_webinar(make_event, register)
    token = await _signed_in(client, login)
    path = f"/organiser/events/{event.slug}/webinar"
    for _ in range(2):  # a double submit
        response = await client.post(path, data=_form(token, ["60"], url=VIDEO))
        assert response.status_code == 303
    assert response.headers["location"].endswith("done=saved")  # the second one queued nothing
    assert (await Event.get(id=event.id)).recording_url == VIDEO
    assert await OutboxMessage.filter(kind="recording").count() == 2
    await _drain(smtp)
    assert _recordings(smtp) == {"anna@example.org": 1, "bert@example.org": 1}
    (message,) = [m for m in smtp.to("anna@example.org") if "Recording" in str(m["Subject"])]
    assert str(message["Subject"]).strip() == f"Recording of {event.title} is available"
    assert VIDEO in text_of(message)
    html = message.get_body(preferencelist=("html",))
    assert html is not None and f'href="{VIDEO}"' in html.get_content()

    # A corrected link goes out once more; the same link again does not.
    fixed = VIDEO + "-v2"
    response = await client.post(path, data=_form(token, ["60"], url=fixed))
    assert response.headers["location"].endswith("done=recording")
    await client.post(path, data=_form(token, ["60"], url=fixed))
    await _drain(smtp)
    assert _recordings(smtp) == {"anna@example.org": 2, "bert@example.org": 2}
    assert smtp.to("carl@example.org") == [] or all("Recording" not in str(m["Subject"]) for m in smtp.to("carl@example.org"))
    assert all("Recording" not in str(m["Subject"]) for m in smtp.to("dora@example.org"))


async def test_a_link_replaced_before_it_went_out_is_not_sent(client, login, make_event, register, smtp):
    event, people = await _ended_webinar(make_event, register)
    token = await _signed_in(client, login)
    path = f"/organiser/events/{event.slug}/webinar"
    await client.post(path, data=_form(token, ["60"], url=VIDEO + "-typo"))
    await client.post(path, data=_form(token, ["60"], url=VIDEO))
    await _drain(smtp)
    assert _recordings(smtp) == {"anna@example.org": 1, "bert@example.org": 1}
    for message in smtp.to("anna@example.org"):
        assert "-typo" not in text_of(message)
    page = await client.get(path)
    assert f'value="{VIDEO}"' in page.text


async def test_clearing_the_link_sends_nothing(client, login, make_event, register, smtp):
    event, _ = await _ended_webinar(make_event, register)
    token = await _signed_in(client, login)
    path = f"/organiser/events/{event.slug}/webinar"
    await client.post(path, data=_form(token, ["60"], url=VIDEO))
    response = await client.post(path, data=_form(token, ["60"], url=""))
    assert response.status_code == 303
    assert (await Event.get(id=event.id)).recording_url == ""
    await _drain(smtp)
    assert _recordings(smtp) == {}  # queued for a link that is gone: dropped
