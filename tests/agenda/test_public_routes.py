"""Public agenda pages: what the public sees (published only), filters, session pages,
calendar links, and the organiser's "revoke calendar link" button."""

from __future__ import annotations

import re
from datetime import UTC
from urllib.parse import parse_qs, urlsplit

import pytest

from events_app.agenda.feed_tokens import feed_token
from events_app.agenda.feeds import forget_feeds
from events_app.agenda.public import forget_public_agendas
from events_app.agenda.schemas import SessionPatch, SpeakerInput
from events_app.agenda.service import cancel_session, create_speaker, publish_agenda, update_session
from events_app.registration.models import Registration
from tests.agenda.conftest import at
from tests.conftest import csrf_of

JOIN = "https://meet.example.org/j/secret-workshop-123"


@pytest.fixture(autouse=True)
def cold_caches():
    forget_public_agendas()
    forget_feeds()
    yield
    forget_public_agendas()
    forget_feeds()


@pytest.fixture
async def published(conference, rooms, speakers, add_session):
    """Plenary, two parallel workshops in two tracks (one online), a cancelled visit, and a draft."""
    plenary = (await add_session(title="Opening plenary", kind="plenary", room="Plenary hall", start="09:00", end="10:00", speakers=[speakers[0].id])).draft
    food = (await add_session(title="Food procurement lab", room="Room A", start="10:30", end="12:00", track="Food", track_colour="#2e7d32", capacity=30, speakers=[speakers[1].id, speakers[2].id], description="Menus that cut emissions.\n\nBring your tender.")).draft
    online = (await add_session(title="Clean vehicles online", kind="webinar", room="Room B", start="10:30", end="12:00", track="Clean vehicles", online_url=JOIN)).draft
    visit = (await add_session(title="Visit to the depot", kind="site_visit", day=1, start="14:00", end="16:00", capacity=20)).draft
    await publish_agenda(event=conference)
    await cancel_session(event=conference, session_id=visit.id)
    await publish_agenda(event=conference)
    draft = (await add_session(title="Secret draft session", room="Room A", day=2, start="09:00", end="10:00")).draft
    return {"plenary": plenary, "food": food, "online": online, "visit": visit, "draft": draft}


async def test_agenda_shows_published_sessions_in_the_event_zone(client, conference, published):
    response = await client.get(f"/events/{conference.slug}/agenda")
    assert response.status_code == 200
    html = response.text
    for title in ("Opening plenary", "Food procurement lab", "Clean vehicles online"):
        assert title in html
    assert "Secret draft session" not in html
    assert "<s>Visit to the depot</s>" in html and "Cancelled" in html
    assert "Times are Brussels time (CET/CEST, Europe/Brussels)." in html
    local = at(conference, 0, "09:00")
    assert f'<time datetime="{local.isoformat()}">09:00</time>' in html
    # one column per room used that day (day 2: only the room-less visit), the sessions' own pages linked
    assert html.count('class="room-head') == 4
    assert html.count('class="room-head room-col-2 room-elsewhere"') == 1
    assert f'href="/events/{conference.slug}/sessions/{published["food"].id}"' in html
    assert f'webcal://testserver/events/{conference.slug}/calendar.ics' in html
    assert f'href="http://testserver/events/{conference.slug}/calendar.ics" download' in html
    # never a join link on public pages, never a style attribute (CSP)
    assert JOIN not in html and "meet.example.org" not in html
    assert not re.search(r"\sstyle=", html)


async def test_agenda_stylesheet_places_sessions_and_colours_tracks(client, conference, published):
    page = await client.get(f"/events/{conference.slug}/agenda")
    href = re.search(r'href="(/events/[^"]+/agenda\.css\?v=[0-9a-f]+)"', page.text)[1]
    css = await client.get(href)
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert "immutable" in css.headers["cache-control"]
    assert re.search(r"\.track-\d+\{--track:#2e7d32\}", css.text)
    # the food workshop: 10:30-12:00 in the second room column; rows of 5 minutes from 09:00
    food = published["food"].id
    assert f".slot-{food}{{grid-row:20/38}}" in css.text
    assert re.search(rf'class="session-card slot-{food} agenda-col-3 ', page.text)
    assert ".agenda-day-1 .agenda-col-3{grid-column:3}" in css.text
    assert ".agenda-day-1 .room-col-3{grid-column:3/span 1}" in css.text
    assert f".slot-{published['draft'].id}{{" not in css.text
    stale = await client.get(f"/events/{conference.slug}/agenda.css?v=old")
    assert stale.headers["cache-control"] == "no-cache"


async def test_filters_by_track_and_kind_with_and_without_htmx(client, conference, published):
    page = await client.get(f"/events/{conference.slug}/agenda")
    track_id = re.search(r'<option value="(\d+)">Food</option>', page.text)[1]
    plain = await client.get(f"/events/{conference.slug}/agenda", params={"track": track_id})
    assert "Food procurement lab" in plain.text and "Opening plenary" not in plain.text
    assert "Showing 1 of 4 sessions." in plain.text and "<html" in plain.text
    fragment = await client.get(
        f"/events/{conference.slug}/agenda", params={"kind": "plenary"}, headers={"HX-Request": "true"}
    )
    assert fragment.status_code == 200 and "<html" not in fragment.text
    # the status line (its text swapped into the page's own, see the next test), then the agenda
    assert re.match(r'\s*<p id="agenda-status" class="filter-note" role="status">Showing 1 of 4 sessions.</p>\s*<div id="agenda-body">', fragment.text)
    assert "Opening plenary" in fragment.text and "Food procurement lab" not in fragment.text
    both = await client.get(f"/events/{conference.slug}/agenda", params={"kind": "webinar", "track": track_id})
    assert "No session matches this choice." in both.text
    # unknown values are ignored: the whole agenda
    odd = await client.get(f"/events/{conference.slug}/agenda", params={"kind": "party", "track": "99999999999"})
    assert odd.status_code == 200 and "Opening plenary" in odd.text and "Food procurement lab" in odd.text
    restore = await client.get(
        f"/events/{conference.slug}/agenda?kind=plenary",
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )
    assert "<html" in restore.text


def _card_columns(html: str) -> dict[str, int]:
    """Session title -> the grid column class of its card."""
    cards = re.findall(r'class="session-card slot-\d+ agenda-col-(\d+) [^"]*".*?<a href="[^"]+">(?:<s>)?([^<]+)<', html, re.S)
    return {title: int(col) for col, title in cards}


async def test_overlapping_sessions_get_their_own_lanes_and_room_less_ones_their_own_column(client, conference, rooms, add_session):
    """The 14:00 site visit must not hide under the workshops, nor one room-less session under another."""
    for title, room in (("Workshop A", "Room A"), ("Workshop B", "Room B")):
        await add_session(title=title, room=room, start="14:00", end="15:30")
    await add_session(title="Clash in B", room="Room B", start="14:30", end="15:00", allow_conflicts=True)
    await add_session(title="Visit one", kind="site_visit", start="14:00", end="17:00", capacity=25)
    await add_session(title="Visit two", kind="site_visit", start="14:00", end="16:00", capacity=25)
    await add_session(title="Later in B", room="Room B", start="16:00", end="17:00")
    await publish_agenda(event=conference)
    page = await client.get(f"/events/{conference.slug}/agenda")
    columns = _card_columns(page.text)
    assert set(columns) == {"Workshop A", "Workshop B", "Clash in B", "Visit one", "Visit two", "Later in B"}
    # Room A: column 2; Room B: columns 3 and 4 (two lanes); no room: columns 5 and 6
    assert columns["Workshop A"] == 2
    assert {columns["Workshop B"], columns["Clash in B"]} == {3, 4}
    assert columns["Later in B"] == 3  # after the clash, back in the first lane
    assert {columns["Visit one"], columns["Visit two"]} == {5, 6}
    heads = re.findall(r'<div class="room-head room-col-(\d+)[^"]*" aria-hidden="true">([^<]+)</div>', page.text)
    assert heads == [("2", "Room A"), ("3", "Room B"), ("5", "No room / elsewhere")]
    href = re.search(r'href="(/events/[^"]+/agenda\.css\?v=[0-9a-f]+)"', page.text)[1]
    css = (await client.get(href)).text
    assert ".agenda-day-1 .agenda-grid{grid-template-columns:4rem repeat(5,minmax(7.5rem,1fr))}" in css
    assert ".agenda-day-1 .room-col-3{grid-column:3/span 2}" in css
    assert ".agenda-day-1 .room-col-5{grid-column:5/span 2}" in css
    for col in range(2, 7):
        assert f".agenda-day-1 .agenda-col-{col}{{grid-column:{col}}}" in css
    assert "grid-column:2/" not in css.split(".slot-", 1)[1]  # cards take one lane each, none spans


async def test_filters_announce_a_short_status_not_the_whole_agenda(client, conference, published):
    page = await client.get(f"/events/{conference.slug}/agenda")
    html = page.text
    assert "aria-live" not in html
    body_at = html.index('<div id="agenda-body">')
    status = re.search(r'<p id="agenda-status" class="filter-note" role="status">([^<]*)</p>', html)
    assert status and status.start() < body_at and status[1] == "Showing 4 sessions."
    # the form and the "whole agenda" link swap the body and only the status line's text
    form = re.search(r'<form [^>]*class="toolbar agenda-filters"[^>]*>', html)[0]
    assert 'hx-target="#agenda-body"' in form and 'hx-select-oob="#agenda-status:innerHTML"' in form
    filtered = await client.get(f"/events/{conference.slug}/agenda", params={"kind": "plenary"}, headers={"HX-Request": "true"})
    link = re.search(r'<a href="/events/[^"]+/agenda" hx-get=[^>]*>Show the whole agenda</a>', filtered.text)[0]
    assert 'hx-select-oob="#agenda-status:innerHTML"' in link
    assert filtered.text.count('id="agenda-status"') == 1 and "aria-live" not in filtered.text


async def test_pending_edits_stay_invisible_until_publish(client, conference, published):
    food = published["food"].id
    await update_session(event=conference, session_id=food, patch=SessionPatch(title="Renamed lab"))
    before = await client.get(f"/events/{conference.slug}/agenda")
    assert "Food procurement lab" in before.text and "Renamed lab" not in before.text
    await publish_agenda(event=conference)
    after = await client.get(f"/events/{conference.slug}/agenda")  # a new agenda version: no stale cache
    assert "Renamed lab" in after.text and "Food procurement lab" not in after.text


async def test_draft_event_and_unknown_pages_are_404(client, make_event, conference, published):
    draft_event = await make_event(status="draft")
    for path in (
        f"/events/{draft_event.slug}/agenda",
        f"/events/{draft_event.slug}/calendar.ics",
        f"/events/{conference.slug}/sessions/{published['draft'].id}",
        f"/events/{conference.slug}/sessions/{published['draft'].id}.ics",
        f"/events/{conference.slug}/sessions/999999",
        f"/events/{conference.slug}/sessions/abc",
        f"/events/{conference.slug}/sessions/99999999999999999999",
        "/events/no-such-event/agenda",
    ):
        response = await client.get(path)
        assert response.status_code == 404, path


async def test_an_empty_agenda_says_so(client, conference):
    response = await client.get(f"/events/{conference.slug}/agenda")
    assert response.status_code == 200
    assert "The agenda has not been published yet." in response.text


async def test_session_page_with_speakers_places_and_calendar_links(client, conference, published, speakers):
    food = published["food"]
    response = await client.get(f"/events/{conference.slug}/sessions/{food.id}")
    assert response.status_code == 200
    html = response.text
    assert "<h1>Food procurement lab</h1>" in html
    assert "Brussels time (" in html and "Europe/Brussels)" in html
    assert "Room A" in html and "Food" in html
    assert "Jan Peeters" in html and "City of Ghent, Belgium" in html and "Eva Novak" in html
    assert "<p>Menus that cut emissions.</p>" in html
    assert "30 of 30 places left." in html and "manage link" in html
    google = re.search(r'href="(https://calendar\.google\.com/[^"]+)"', html)[1].replace("&amp;", "&")
    query = parse_qs(urlsplit(google).query)
    start, end = at(conference, 0, "10:30").astimezone(UTC), at(conference, 0, "12:00").astimezone(UTC)
    assert query["text"] == ["Food procurement lab"] and query["ctz"] == ["Europe/Brussels"]
    assert query["dates"] == [f"{start:%Y%m%dT%H%M%SZ}/{end:%Y%m%dT%H%M%SZ}"]
    assert "meet.example.org" not in google
    assert "https://outlook.office.com/calendar/0/deeplink/compose?" in html
    assert f'href="/events/{conference.slug}/sessions/{food.id}.ics" download' in html
    assert not re.search(r"\sstyle=", html)
    # no photo: the page keeps the site's strict image policy
    assert "img-src 'self' data:;" in response.headers["content-security-policy"]


async def test_online_session_page_never_shows_the_join_link(client, conference, published):
    response = await client.get(f"/events/{conference.slug}/sessions/{published['online'].id}")
    assert response.status_code == 200
    assert JOIN not in response.text and "meet.example.org" not in response.text
    # the link is not in the confirmation email: say where it is
    assert ("Online: attendees with a place in this session find the join link on their personal agenda page "
            "(through the link in their confirmation email), in their personal calendar and in the reminder emails") in response.text
    assert "link in their confirmation email and" not in response.text
    ics = await client.get(f"/events/{conference.slug}/sessions/{published['online'].id}.ics")
    assert ics.status_code == 200 and JOIN not in ics.text
    assert ics.headers["content-type"] == "text/calendar; charset=utf-8"
    assert "attachment" in ics.headers["content-disposition"]
    assert f"UID:session-{published['online'].session.uid}@testserver" in ics.text.replace("\r\n ", "")


async def test_open_online_session_page_says_every_registered_attendee_gets_the_link(client, conference, rooms, add_session):
    live = "https://meet.example.org/plenary-stream-3"
    session = (await add_session(title="Livestreamed plenary", kind="plenary", room="Plenary hall", online_url=live)).draft
    await publish_agenda(event=conference)
    response = await client.get(f"/events/{conference.slug}/sessions/{session.id}")
    assert live not in response.text
    assert " · Online: registered attendees find the join link on their personal agenda page" in response.text


async def test_speaker_photo_is_allowed_on_its_page_only(client, conference, add_session):
    speaker = await create_speaker(
        event=conference,
        data=SpeakerInput(name="Pia Photo", organisation="City of Oslo", country="NO", bio="Buyer.", photo_url="https://img.example.org/pia.jpg"),
    )
    session = (await add_session(title="With photo", speakers=[speaker.id])).draft
    await publish_agenda(event=conference)
    response = await client.get(f"/events/{conference.slug}/sessions/{session.id}")
    assert '<img class="speaker-photo" src="https://img.example.org/pia.jpg" alt="Photo of Pia Photo"' in response.text
    assert "img-src 'self' data: https:;" in response.headers["content-security-policy"]
    agenda = await client.get(f"/events/{conference.slug}/agenda")
    assert "img-src 'self' data:;" in agenda.headers["content-security-policy"]


async def test_cancelled_session_page(client, conference, published):
    response = await client.get(f"/events/{conference.slug}/sessions/{published['visit'].id}")
    assert response.status_code == 200
    assert "This session has been cancelled." in response.text
    assert "Add to Google Calendar" not in response.text


async def test_event_page_links_the_agenda(client, conference, published):
    response = await client.get(f"/events/{conference.slug}")
    assert f'href="/events/{conference.slug}/agenda"' in response.text
    assert f'href="webcal://testserver/events/{conference.slug}/calendar.ics"' in response.text


async def test_organiser_revokes_a_feed_url(client, login, conference, make_event, register):
    outcome = await register(conference)
    registration = outcome.registration
    old = feed_token(registration)
    assert (await client.get(f"/calendar/{old}.ics")).status_code == 200
    path = f"/organiser/events/{conference.slug}/registrations/{registration.id}/revoke-feed"
    # signed out: sent to sign in, nothing changed
    token = await csrf_of(client, "/")
    refused = await client.post(path, data={"csrf_token": token})
    assert refused.status_code == 303 and refused.headers["location"].startswith("/login")
    await login(client)
    forged = await client.post(path, data={"csrf_token": "wrong"})
    assert forged.status_code == 403
    assert (await Registration.get(id=registration.id)).feed_generation == 0
    other = await make_event()
    wrong_event = await client.post(
        f"/organiser/events/{other.slug}/registrations/{registration.id}/revoke-feed", data={"csrf_token": token}
    )
    assert wrong_event.status_code == 404
    missing = await client.post(
        f"/organiser/events/{conference.slug}/registrations/abc/revoke-feed", data={"csrf_token": token}
    )
    assert missing.status_code == 404
    done = await client.post(path, data={"csrf_token": token, "status": "confirmed"})
    assert done.status_code == 303
    assert done.headers["location"] == (
        f"/organiser/events/{conference.slug}/registrations?status=confirmed&done=feed-revoked#registration-{registration.id}"
    )
    assert (await client.get(f"/calendar/{old}.ics")).status_code == 404
    fresh = await Registration.get(id=registration.id)
    assert (await client.get(f"/calendar/{feed_token(fresh)}.ics")).status_code == 200
    page = await client.get(done.headers["location"])
    assert "old calendar feed link no longer works" in page.text
    assert f'action="/organiser/events/{conference.slug}/registrations/{registration.id}/revoke-feed"' in page.text
