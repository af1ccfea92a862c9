"""The personal agenda behind the manage link: choosing sessions, join links, calendar feed links."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from events_app.agenda.feed_tokens import feed_token, find_registration_by_feed_token
from events_app.agenda.models import PickStatus, SessionPick
from events_app.agenda.schemas import SessionInput
from events_app.agenda.service import create_session, publish_agenda
from events_app.errors import NotFound
from events_app.registration.models import Registration, RegistrationStatus
from events_app.registration.service import cancel_own_registration
from tests.conftest import csrf_of, future

JOIN = "https://meet.example.org/ecoprocura-online-session-42"


async def _picks_of(registration: Registration) -> dict[int, PickStatus]:
    rows = await SessionPick.filter(registration_id=registration.id, status__not=PickStatus.CANCELLED)
    return {int(p.session_id): p.status for p in rows}


async def _post(client, token: str, session_ids: list[int], *, htmx: bool = False):
    csrf = await csrf_of(client, f"/manage/{token}/sessions")
    data = {"csrf_token": csrf, "session_ids": [str(i) for i in session_ids]}
    headers = {"HX-Request": "true"} if htmx else {}
    return await client.post(f"/manage/{token}/sessions", data=data, headers=headers)


def _option(html: str, session_id: int) -> str:
    """The HTML of one session's option on the page (up to the next option or the end of its block)."""
    marker = f'id="session-{session_id}"'
    assert marker in html, f"session {session_id} is not on the page"
    start = html.index(marker)
    ends = [i for i in (html.find('class="session-option', start), html.find("</fieldset>", start)) if i != -1]
    return html[start:min(ends)]


async def test_page_lists_pickable_sessions_by_day_and_time(client, conference, rooms, speakers, add_session, register):
    a = (await add_session(title="Zero-emission buses", room="Room A", capacity=40, track="Clean vehicles",
                           speakers=[speakers[0].id], description="Tender texts and life-cycle costs.")).draft
    b = (await add_session(title="Circular furniture", room="Room B", capacity=25, start="10:30", end="11:30")).draft
    visit = (await add_session(title="Visit to a bus depot", kind="site_visit", capacity=25, day=1,
                               start="14:00", end="17:00")).draft
    await add_session(title="Opening plenary", kind="plenary", room="Plenary hall", start="09:00", end="10:00")
    await publish_agenda(event=conference)
    await add_session(title="Still a draft", room="Room A", day=2)
    token = (await register(conference)).manage_token

    page = await client.get(f"/manage/{token}/sessions")
    assert page.status_code == 200
    html = page.text
    assert "Still a draft" not in html and "Opening plenary" not in html  # drafts hidden, plenaries need no sign-up
    assert "Europe/Brussels time" in html
    for title in ("Zero-emission buses", "Circular furniture", "Visit to a bus depot"):
        assert title in html
    buses = _option(html, a.id)
    assert "Workshop" in buses and "Room A" in buses and "Ana Ruiz (City of Barcelona)" in buses
    assert "40 of 40 places left" in buses and "Clean vehicles" in buses and 'fill="#' in buses
    assert "Site visit" in _option(html, visit.id) and "25 of 25 places left" in _option(html, visit.id)
    # The two overlapping workshops share one block, marked as running at the same time; the visit is on day 2
    blocks = re.findall(r'<fieldset class="time-block">(.*?)</fieldset>', html, re.S)
    assert len(blocks) == 2
    assert f'id="s-{a.id}"' in blocks[0] and f'id="s-{b.id}"' in blocks[0] and "10:00–11:30" in blocks[0]
    assert "Some of these run at the same time" in blocks[0] and "At the same time as: Circular furniture" in blocks[0]
    assert f'id="s-{visit.id}"' in blocks[1] and "Some of these" not in blocks[1]
    days = re.findall(r'<h3 class="agenda-day">(.*?)</h3>', html)
    assert len(days) == 2 and days[0] == conference.local_start.strftime("%A %d %B %Y")
    assert f'name="session_ids" value="{a.id}"' in html and "checked" not in html


async def test_picking_saves_and_shows_the_state(client, conference, rooms, add_session, register):
    a = (await add_session(title="Workshop A", room="Room A", capacity=40)).draft
    b = (await add_session(title="Workshop B", room="Room B", capacity=25, start="14:00", end="15:00")).draft
    await publish_agenda(event=conference)
    outcome = await register(conference)
    response = await _post(client, outcome.manage_token, [a.id, b.id])
    assert response.status_code == 303
    assert response.headers["location"] == f"/manage/{outcome.manage_token}/sessions?done=saved"
    assert await _picks_of(outcome.registration) == {a.id: PickStatus.CONFIRMED, b.id: PickStatus.CONFIRMED}
    page = (await client.get(response.headers["location"])).text
    assert "Your choices are saved" in page
    assert "39 of 40 places left" in _option(page, a.id) and "You have a place" in _option(page, a.id)
    assert f'value="{a.id}" checked' in page and f'value="{b.id}" checked' in page
    # Sending the same set again changes nothing; an empty set drops both
    again = await _post(client, outcome.manage_token, [a.id, b.id])
    assert again.headers["location"].endswith("?done=unchanged")
    await _post(client, outcome.manage_token, [])
    assert await _picks_of(outcome.registration) == {}


async def test_htmx_post_returns_the_form_block(client, conference, rooms, add_session, register):
    a = (await add_session(title="Workshop A", room="Room A", capacity=40)).draft
    await publish_agenda(event=conference)
    outcome = await register(conference)
    response = await _post(client, outcome.manage_token, [a.id], htmx=True)
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="picks">') and "<html" not in response.text
    assert "Your choices are saved" in response.text and "You have a place" in response.text


async def test_overlap_is_refused_and_nothing_changes(client, conference, rooms, add_session, register):
    a = (await add_session(title="Buses workshop", room="Room A", capacity=40)).draft
    b = (await add_session(title="Food workshop", room="Room B", capacity=25, start="10:30", end="11:30")).draft
    c = (await add_session(title="Afternoon workshop", room="Room A", capacity=40, start="14:00", end="15:00")).draft
    await publish_agenda(event=conference)
    outcome = await register(conference)
    await _post(client, outcome.manage_token, [c.id])
    for htmx in (False, True):
        response = await _post(client, outcome.manage_token, [a.id, b.id], htmx=htmx)
        assert response.status_code == 409
        assert "overlaps" in response.text and "Nothing was changed" in response.text
        assert "Buses workshop" in response.text and "Food workshop" in response.text
        assert 'class="session-option has-error"' in response.text
        assert await _picks_of(outcome.registration) == {c.id: PickStatus.CONFIRMED}
    # The person's ticks are kept so they can untick one
    assert f'value="{a.id}" checked' in response.text and f'value="{c.id}" checked' not in response.text


async def test_bad_session_ids_are_refused_clearly(client, conference, rooms, add_session, register, make_event):
    a = (await add_session(title="Workshop A", room="Room A", capacity=40)).draft
    plenary = (await add_session(title="Plenary", kind="plenary", room="Plenary hall", start="14:00", end="15:00")).draft
    await publish_agenda(event=conference)
    outcome = await register(conference)
    for ids, expected in ((["abc"], "valid integer"), ([str(a.id), str(a.id)], "twice"),
                          (["99999"], "not on this event"), ([str(plenary.id)], "no sign-up needed")):
        csrf = await csrf_of(client, f"/manage/{outcome.manage_token}/sessions")
        response = await client.post(f"/manage/{outcome.manage_token}/sessions",
                                     data={"csrf_token": csrf, "session_ids": ids})
        assert response.status_code == 422, ids
        assert expected in response.text and "Nothing was changed" in response.text
    assert await _picks_of(outcome.registration) == {}


async def test_full_session_waitlists_and_a_dropped_place_goes_to_the_next(client, conference, rooms, add_session, register):
    visit = (await add_session(title="Site visit", kind="site_visit", capacity=1, start="14:00", end="17:00")).draft
    await publish_agenda(event=conference)
    first, second, third = [await register(conference) for _ in range(3)]
    await _post(client, first.manage_token, [visit.id])
    await _post(client, second.manage_token, [visit.id])
    await _post(client, third.manage_token, [visit.id])
    assert await _picks_of(second.registration) == {visit.id: PickStatus.WAITLISTED}
    page = (await client.get(f"/manage/{third.manage_token}/sessions")).text
    option = _option(page, visit.id)
    assert "Full — waiting list (2 waiting)" in option and "waiting list, position 2" in option
    assert "waiting list, position 1" in (await client.get(f"/manage/{second.manage_token}/sessions")).text

    await _post(client, first.manage_token, [])  # the first person gives up the place
    assert await _picks_of(second.registration) == {visit.id: PickStatus.CONFIRMED}
    assert await _picks_of(third.registration) == {visit.id: PickStatus.WAITLISTED}
    assert "waiting list, position 1" in _option((await client.get(f"/manage/{third.manage_token}/sessions")).text, visit.id)
    assert "You have a place" in _option((await client.get(f"/manage/{second.manage_token}/sessions")).text, visit.id)


async def test_only_confirmed_attendees_choose(client, make_event, register):
    event = await make_event(capacity=1)
    from events_app.agenda.schemas import SessionInput
    from events_app.agenda.service import create_session

    start = event.starts_at.astimezone(event.zone)
    session = (await create_session(event=event, data=SessionInput(
        title="Workshop", kind="workshop", starts_at=start, ends_at=start + timedelta(hours=1), capacity=10,
    ))).draft
    await publish_agenda(event=event)
    confirmed = await register(event)
    waiting = await register(event)
    assert waiting.registration.status == RegistrationStatus.WAITLISTED
    page = await client.get(f"/manage/{waiting.manage_token}/sessions")
    assert page.status_code == 200
    assert "waiting list for this event (position 1)" in page.text and 'name="session_ids"' not in page.text
    response = await _post(client, waiting.manage_token, [session.id])
    assert response.status_code == 409 and "Only confirmed attendees" in response.text
    assert await _picks_of(waiting.registration) == {}

    await _post(client, confirmed.manage_token, [session.id])
    await cancel_own_registration(token=confirmed.manage_token)
    page = await client.get(f"/manage/{confirmed.manage_token}/sessions")
    assert "This registration is cancelled" in page.text and 'name="session_ids"' not in page.text
    assert "webcal://" not in page.text
    response = await _post(client, confirmed.manage_token, [session.id])
    assert response.status_code == 409 and await _picks_of(confirmed.registration) == {}


async def test_bad_token_is_404(client, conference, register):
    await register(conference)
    csrf = await csrf_of(client, "/")
    for method, path in (("GET", "/manage/not-a-real-token/sessions"), ("POST", "/manage/not-a-real-token/sessions"),
                         ("POST", "/manage/not-a-real-token/calendar/reset"), ("GET", "/manage/" + "x" * 500 + "/sessions")):
        response = await client.request(method, path, data={"csrf_token": csrf} if method == "POST" else None)
        assert response.status_code == 404, path
        assert "This link is not valid" in response.text


async def test_posts_need_the_csrf_token(client, conference, rooms, add_session, register):
    a = (await add_session(title="Workshop A", room="Room A", capacity=40)).draft
    await publish_agenda(event=conference)
    outcome = await register(conference)
    await csrf_of(client, f"/manage/{outcome.manage_token}/sessions")
    response = await client.post(f"/manage/{outcome.manage_token}/sessions", data={"session_ids": str(a.id)})
    assert response.status_code == 403
    response = await client.post(f"/manage/{outcome.manage_token}/sessions",
                                 data={"session_ids": str(a.id), "csrf_token": "forged"})
    assert response.status_code == 403
    response = await client.post(f"/manage/{outcome.manage_token}/calendar/reset", data={})
    assert response.status_code == 403
    assert await _picks_of(outcome.registration) == {}
    assert (await Registration.get(id=outcome.registration.id)).feed_generation == 0


async def test_join_link_only_for_a_confirmed_place(client, conference, rooms, add_session, register):
    online = (await add_session(title="Online session", kind="webinar", capacity=1, online_url=JOIN)).draft
    await publish_agenda(event=conference)
    first, second, third = [await register(conference) for _ in range(3)]
    await _post(client, first.manage_token, [online.id])
    await _post(client, second.manage_token, [online.id])
    assert await _picks_of(second.registration) == {online.id: PickStatus.WAITLISTED}
    assert JOIN in (await client.get(f"/manage/{first.manage_token}/sessions")).text
    assert JOIN not in (await client.get(f"/manage/{second.manage_token}/sessions")).text  # waiting
    assert JOIN not in (await client.get(f"/manage/{third.manage_token}/sessions")).text  # did not pick it
    assert JOIN not in (await client.get(f"/events/{conference.slug}")).text  # public page


async def test_online_event_join_link_for_confirmed_registrations_only(client, make_event, register):
    url = "https://meet.example.org/webinar-clean-buses"
    event = await make_event(kind="webinar", is_online=True, online_url=url, capacity=1, venue_name="", venue_address="")
    confirmed = await register(event)
    waiting = await register(event)
    page = (await client.get(f"/manage/{confirmed.manage_token}/sessions")).text
    assert url in page and "Join online" in page and "nothing to sign up for at this event" in page
    assert "<h1>Your programme</h1>" in page and "Choose workshops and visits" not in page
    assert url not in (await client.get(f"/manage/{waiting.manage_token}/sessions")).text
    assert url not in (await client.get(f"/events/{event.slug}")).text
    # the join link is on the main manage page itself, and no talk of workshops to choose
    manage = (await client.get(f"/manage/{confirmed.manage_token}")).text
    assert f'<a class="button" href="{url}" rel="noopener noreferrer">Join online' in manage
    assert "Choose your workshops and visits" not in manage and "Nothing to sign up for" in manage
    waiting_manage = (await client.get(f"/manage/{waiting.manage_token}")).text
    assert url not in waiting_manage and "Choose your workshops and visits" not in waiting_manage


async def test_manage_page_offers_the_choice_only_when_there_is_something_to_pick(client, conference, rooms, add_session, register):
    await add_session(title="Opening plenary", kind="plenary", room="Plenary hall", start="09:00", end="10:00")
    await publish_agenda(event=conference)
    token = (await register(conference)).manage_token
    manage = (await client.get(f"/manage/{token}")).text
    assert "Choose your workshops and visits" not in manage and "Nothing to sign up for" in manage
    await add_session(title="Food lab", room="Room A", capacity=30, start="10:30", end="12:00")
    await publish_agenda(event=conference)
    manage = (await client.get(f"/manage/{token}")).text
    assert f'<a href="/manage/{token}/sessions">Choose your workshops and visits</a>' in manage


async def test_open_online_session_link_for_every_confirmed_attendee(client, conference, rooms, add_session, register):
    """A plenary livestream needs no sign-up: every confirmed attendee gets its link on their page."""
    live = "https://meet.example.org/plenary-livestream-7"
    await add_session(title="Opening plenary", kind="plenary", room="Plenary hall", start="09:00", end="10:00", online_url=live)
    await add_session(title="Food lab", room="Room A", capacity=1, start="10:30", end="12:00")
    await publish_agenda(event=conference)
    await add_session(title="Draft livestream", kind="plenary", day=1, online_url=live + "-draft")
    confirmed = await register(conference)
    page = (await client.get(f"/manage/{confirmed.manage_token}/sessions")).text
    section = page[page.index('id="open-online-heading"'):page.index('id="mine-heading"')]
    assert "Opening plenary" in section and f'href="{live}"' in section and "Draft livestream" not in page
    assert live + "-draft" not in page
    # with htmx after saving picks: still there
    saved = await _post(client, confirmed.manage_token, [], htmx=True)
    assert f'href="{live}"' in saved.text
    for path in (f"/events/{conference.slug}", f"/events/{conference.slug}/agenda", f"/events/{conference.slug}/calendar.ics"):
        assert live not in (await client.get(path)).text, path


async def test_open_online_session_link_not_for_waitlisted_or_cancelled(client, make_event, register):
    live = "https://meet.example.org/plenary-livestream-8"
    event = await make_event(kind="conference", capacity=1, starts_at=future(30, hour=8))
    await create_session(event=event, data=SessionInput(
        title="Livestream", kind="networking", starts_at=event.starts_at + timedelta(hours=1),
        ends_at=event.starts_at + timedelta(hours=2), online_url=live,
    ))
    await publish_agenda(event=event)
    first = await register(event)
    waiting = await register(event)
    assert live in (await client.get(f"/manage/{first.manage_token}/sessions")).text
    assert live not in (await client.get(f"/manage/{waiting.manage_token}/sessions")).text
    await cancel_own_registration(token=first.manage_token)
    assert live not in (await client.get(f"/manage/{first.manage_token}/sessions")).text


async def test_calendar_links_and_reset(client, conference, register):
    outcome = await register(conference)
    token = outcome.manage_token
    old = feed_token(outcome.registration)
    page = (await client.get(f"/manage/{token}/sessions")).text
    assert f'href="webcal://testserver/calendar/{old}.ics"' in page
    assert f'value="http://testserver/calendar/{old}.ics"' in page
    manage = (await client.get(f"/manage/{token}")).text
    assert f"webcal://testserver/calendar/{old}.ics" in manage and f"/manage/{token}/sessions" in manage
    assert "Your personal agenda page" in manage  # nothing to pick yet: no "choose your workshops"

    csrf = await csrf_of(client, f"/manage/{token}/sessions")
    response = await client.post(f"/manage/{token}/calendar/reset", data={"csrf_token": csrf})
    assert response.status_code == 303
    assert response.headers["location"] == f"/manage/{token}/sessions?done=calendar#calendar"
    new = feed_token(await Registration.get(id=outcome.registration.id))
    assert new != old
    page = (await client.get(f"/manage/{token}/sessions?done=calendar")).text
    assert "The old address stops working" in page and new in page and old not in page
    with pytest.raises(NotFound):
        await find_registration_by_feed_token(token=old)
    assert (await find_registration_by_feed_token(token=new)).id == outcome.registration.id

    # With htmx: only the calendar block comes back, with the newest address
    response = await client.post(f"/manage/{token}/calendar/reset", data={"csrf_token": csrf},
                                 headers={"HX-Request": "true"})
    newest = feed_token(await Registration.get(id=outcome.registration.id))
    assert response.status_code == 200 and response.text.lstrip().startswith('<div id="calendar-links">')
    assert newest in response.text and new not in response.text and "The old address stops working" in response.text


async def test_cancelled_registration_cannot_reset_its_feed(client, make_event, register):
    event = await make_event(starts_at=future(20))
    outcome = await register(event)
    await cancel_own_registration(token=outcome.manage_token)
    csrf = await csrf_of(client, "/")
    response = await client.post(f"/manage/{outcome.manage_token}/calendar/reset", data={"csrf_token": csrf})
    assert response.status_code == 409
    assert (await Registration.get(id=outcome.registration.id)).feed_generation == 0
