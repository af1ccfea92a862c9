"""The organiser's agenda builder through HTTP: access, the grid, add/edit/move/cancel,
conflicts and "save anyway", publishing, rooms and speakers, fill and CSV export."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from events_app.agenda.models import AgendaPublication, AgendaSession, Room, SessionStatus, Speaker
from events_app.agenda.picks import set_session_picks
from events_app.agenda.service import publish_agenda
from events_app.auth.models import Role
from events_app.clock import utcnow
from tests.agenda.conftest import at
from tests.organiser.conftest import csrf

HX = {"HX-Request": "true"}


@pytest.fixture
def organiser(client, login):
    async def sign_in(role: Role = Role.ORGANISER):
        await login(client, role)
        return client

    return sign_in


def base(event) -> str:
    return f"/organiser/events/{event.slug}/agenda"


def session_form(event, on: int = 0, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "form": "full",
        "title": "Buying zero-emission buses",
        "kind": "workshop",
        "day": at(event, on, "00:00").date().isoformat(),
        "start": "10:00",
        "end": "11:30",
        "room": "",
        "track": "",
        "capacity": "",
        "online_url": "",
        "description": "",
    }
    data.update(overrides)
    return data


async def post(client, url: str, data: dict[str, Any], headers: dict[str, str] | None = None):
    return await client.post(url, data={**data, "csrf_token": csrf(client)}, headers=headers or {})


# --- access ----------------------------------------------------------------------------------


async def test_anonymous_goes_to_login_and_checkin_role_is_refused(client, organiser, conference, add_session):
    session = (await add_session(title="Opening")).draft
    response = await client.get(base(conference))
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next={base(conference)}"
    assert (await client.get(f"{base(conference)}/sessions/{session.id}/export.csv")).status_code == 303
    await organiser(Role.CHECKIN)
    assert (await client.get(base(conference))).status_code == 403
    assert (await client.get(f"{base(conference)}/sessions/{session.id}")).status_code == 403
    response = await post(client, f"{base(conference)}/sessions", session_form(conference))
    assert response.status_code == 403
    response = await post(client, f"{base(conference)}/publish", {})
    assert response.status_code == 403
    assert await AgendaSession.filter(event_id=conference.id).count() == 1
    assert (await AgendaSession.get(id=session.id)).status == SessionStatus.DRAFT


async def test_events_list_links_to_the_agenda(organiser, conference):
    client = await organiser()
    html = (await client.get("/organiser")).text
    assert f'<a href="{base(conference)}">Agenda<span class="visually-hidden"> of {conference.title}</span></a>' in html


async def test_post_without_csrf_token_is_refused(organiser, conference):
    client = await organiser()
    response = await client.post(f"{base(conference)}/sessions", data=session_form(conference))
    assert response.status_code == 403
    assert await AgendaSession.filter(event_id=conference.id).count() == 0


# --- the grid --------------------------------------------------------------------------------


async def test_grid_shows_days_rooms_blocks_badges_and_clashes(organiser, conference, rooms, speakers, add_session):
    ana = speakers[0]
    opening = (await add_session(title="Opening", kind="plenary", room="Plenary hall", start="09:00", end="10:00", speakers=[ana.id], track="Food")).draft
    await publish_agenda(event=conference)
    again = (await add_session(title="Ana again", room="Room A", start="09:30", end="10:30", speakers=[ana.id], allow_conflicts=True)).draft
    coffee = (await add_session(title="Coffee", kind="break", start="10:30", end="10:45")).draft
    client = await organiser()
    response = await client.get(base(conference))
    assert response.status_code == 200
    html = response.text
    assert '<link rel="stylesheet" href="/static/css/agenda-builder.css">' in html
    assert "style=" not in html  # the CSP forbids style attributes
    # a tab per day of the event, times labelled with the zone
    days = [at(conference, n, "00:00").date().isoformat() for n in range(3)]
    for day in days:
        assert f'href="#day-{day}"' in html and f'id="day-{day}"' in html
    assert "Times in Europe/Brussels time." in html
    # rooms as columns (in order), then "No room"
    heads = re.findall(r'class="ag-head[^"]*"[^>]*>([^<]+)<', html)
    assert heads[:4] == ["Plenary hall", "Room A", "Room B", "No room"]
    # the opening spans 4 quarter-hours in the first room column; the overlapping one in Room A
    assert re.search(rf'id="session-{opening.id}" class="ag-block ag-r\d+ ag-rs4 ag-c2 track-0 has-conflicts"', html)
    block = html[html.index(f'id="session-{opening.id}"'):].split("</article>")[0]
    assert "09:00–10:00" in block and "Plenary hall" in block and "Plenary" in block and "Ana Ruiz" in block and "Food" in block
    # the published one has no badge; a clash is shown beside both sessions, naming the other
    assert "badge-draft" not in block
    assert "Ana Ruiz also speaks in “Ana again”" in block
    assert re.search(rf'id="session-{again.id}" class="ag-block ag-r\d+ ag-rs4 ag-c3  is-draft has-conflicts"', html)
    other = html[html.index(f'id="session-{again.id}"'):].split("</article>")[0]
    assert "Draft: not published" in other and "Ana Ruiz also speaks in “Opening”" in other
    coffee = html[html.index(f'id="session-{coffee.id}"'):].split("</article>")[0]
    assert "No room" in coffee and "Break" in coffee
    assert 'id="unpublished-count">2 unpublished changes.' in html
    assert "Publish 2 changes" in html


async def test_session_outside_the_event_gets_its_own_flagged_day(organiser, conference, add_session):
    await add_session(title="Too late", day=5, allow_conflicts=True)
    client = await organiser()
    html = (await client.get(base(conference))).text
    late = at(conference, 5, "00:00").date().isoformat()
    assert f'id="day-{late}"' in html and "outside the event&#39;s dates" in html
    assert "It is outside the event" in html


# --- adding ----------------------------------------------------------------------------------


async def test_add_session_without_js_redirects_and_stores_local_times(organiser, conference, rooms, speakers):
    client = await organiser()
    room = rooms["Room A"]
    form = session_form(
        conference, on=1, room=str(room.id), track="Clean vehicles", capacity="30",
        speakers=[str(speakers[1].id), str(speakers[0].id)], online_url="https://meet.example.org/bus",
        description="Line one.\r\nLine two.",
    )
    response = await post(client, f"{base(conference)}/sessions", form)
    assert response.status_code == 303
    stored = await AgendaSession.get(event_id=conference.id)
    assert response.headers["location"] == f"{base(conference)}?done=added#session-{stored.id}"
    assert stored.starts_at == at(conference, 1, "10:00") and stored.ends_at == at(conference, 1, "11:30")
    assert stored.room_id == room.id and stored.capacity == 30 and stored.status == SessionStatus.DRAFT
    assert stored.speaker_ids == [speakers[1].id, speakers[0].id]
    assert stored.online_url == "https://meet.example.org/bus" and stored.description == "Line one.\nLine two."
    assert (await stored.track).name == "Clean vehicles"
    landing = await client.get(response.headers["location"])
    assert "The session is added as a draft." in landing.text


async def test_add_session_with_htmx_returns_the_builder_block(organiser, conference):
    client = await organiser()
    response = await post(client, f"{base(conference)}/sessions", session_form(conference, title="Networking lunch", kind="networking"), HX)
    assert response.status_code == 200
    html = response.text
    assert html.lstrip().startswith('<div id="builder"') and "<html" not in html
    assert "“Networking lunch” is added as a draft." in html
    assert "<h3 id=\"session-" in html and "Networking lunch</h3>" in html
    # the notice goes into the page's persistent status line (announced), not into the swapped block
    builder = html[: html.rindex("</div>", 0, html.index('<div id="builder-status"'))]
    assert "is added as a draft" not in builder
    oob = re.search(r'<div id="builder-status" hx-swap-oob="innerHTML">(.*?)</div></div>', html, re.S)
    assert oob and "“Networking lunch” is added as a draft." in oob[1]
    assert html.count('id="builder-status"') == 1 and 'role="status"' not in html.split('id="builder-status"')[1][:40]


async def test_the_status_line_stays_outside_the_builder_and_headings_are_headings(organiser, conference):
    client = await organiser()
    page = (await client.get(f"{base(conference)}?done=added")).text
    status_at = page.index('<div id="builder-status" class="builder-status" role="status">')
    assert status_at < page.index('<div id="builder"')
    assert "The session is added as a draft." in page[status_at:page.index('<div id="builder"')]
    assert page.count('id="builder-status"') == 1 and "hx-swap-oob" not in page
    # no heading hidden inside a <summary> (it loses its heading role there)
    assert not re.search(r"<summary>\s*<h\d", page)
    assert re.search(r'<h2 id="editor-heading">Add a session</h2>\s*<details class="editor-box">\s*<summary>', page)
    quiet = (await client.get(base(conference))).text
    assert re.search(r'<div id="builder-status" class="builder-status" role="status"></div>', quiet)
    # a failing side form (htmx) clears an earlier notice from the status line
    failed = await post(client, f"{base(conference)}/rooms", {"name": "", "seats": "10"}, HX)
    assert failed.status_code == 422
    assert '<div id="builder-status" hx-swap-oob="innerHTML"></div>' in failed.text


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"title": ""}, "title", "This field is required."),
        ({"kind": "party"}, "kind", "Input should be"),
        ({"start": "25:00"}, "start", "Enter a time such as 09:30."),
        ({"end": ""}, "end", "This field is required."),
        ({"end": "09:00"}, "end", "Must be after the start"),
        ({"day": "someday"}, "day", "Choose a day."),
        ({"room": "999"}, "room", "This event has no room"),
        ({"room": "Room A; drop"}, "room", "Choose a room from the list."),
        ({"capacity": "lots"}, "capacity", "valid integer"),
        ({"capacity": "0"}, "capacity", "greater than or equal to 1"),
        ({"online_url": "http://insecure.example.org"}, "online_url", "Must start with https://"),
        ({"speakers": ["12345"]}, "speakers", "no speaker with id 12345"),
        ({"speakers": ["x"]}, "speakers", "Choose speakers from the list."),
        ({"title": "x" * 201}, "title", "at most 200 characters"),
    ],
)
async def test_bad_session_input_is_422_with_the_message_and_nothing_stored(organiser, conference, rooms, changes, field, message):
    client = await organiser()
    response = await post(client, f"{base(conference)}/sessions", session_form(conference, **{"title": "Kept ✓", **changes}))
    assert response.status_code == 422
    html = response.text
    error = re.search(rf'<p class="error" id="f-{field}-error">([^<]*)</p>', html) if field != "speakers" else re.search(r'id="f-speakers">\s*<legend>Speakers</legend>\s*<p class="error">([^<]*)<', html)
    assert error and message in error.group(1), html[html.find("alert-error"):][:600]
    if "title" not in changes:
        assert 'value="Kept ✓"' in html  # what was typed is kept
    assert await AgendaSession.filter(event_id=conference.id).count() == 0


async def test_bad_input_with_htmx_swaps_the_editor_only(organiser, conference):
    client = await organiser()
    response = await post(client, f"{base(conference)}/sessions", session_form(conference, end="09:00"), HX)
    assert response.status_code == 422
    assert response.headers["hx-retarget"] == "#editor"
    assert response.text.lstrip().startswith('<section id="editor"')
    assert 'id="f-end-error">Must be after the start' in response.text


async def test_a_time_skipped_by_the_clocks_is_refused(organiser, make_event):
    year = utcnow().year + 1
    sunday = datetime(year, 3, 31)
    while sunday.weekday() != 6:
        sunday -= timedelta(days=1)
    event = await make_event(kind="conference", starts_at=datetime(year, 3, sunday.day - 1, 8, tzinfo=UTC), ends_at=datetime(year, 3, sunday.day, 16, tzinfo=UTC))
    client = await organiser()
    form = session_form(event, on=1, start="02:30", end="04:00")
    assert form["day"] == sunday.date().isoformat()
    response = await post(client, f"{base(event)}/sessions", form)
    assert response.status_code == 422
    assert 'id="f-start-error">This time does not exist' in response.text
    assert 'id="f-end-error"' not in response.text  # 04:00 is fine: no false "This field is required."
    assert "This field is required." not in response.text
    assert await AgendaSession.filter(event_id=event.id).count() == 0
    # moving a session into the gap: the same single error
    from events_app.agenda.schemas import SessionInput
    from events_app.agenda.service import create_session

    saturday = datetime(year, 3, sunday.day - 1, 10, tzinfo=UTC)
    draft = (await create_session(event=event, data=SessionInput(
        title="Kept", kind="plenary", starts_at=saturday, ends_at=saturday + timedelta(hours=1),
    ))).draft
    moved = await post(client, f"{base(event)}/sessions/{draft.id}", {
        "form": "move", "day": sunday.date().isoformat(), "start": "02:15", "end": "03:30", "room": "",
    })
    assert moved.status_code == 422
    assert 'id="f-start-error">This time does not exist' in moved.text
    assert 'id="f-end-error"' not in moved.text and "This field is required." not in moved.text
    assert (await AgendaSession.get(id=draft.id)).starts_at == saturday


# --- conflicts -------------------------------------------------------------------------------


async def test_room_clash_is_shown_and_save_anyway_stores_it_flagged(organiser, conference, rooms, add_session):
    first = (await add_session(title="Food waste", room="Room A", start="10:00", end="11:00")).draft
    client = await organiser()
    form = session_form(conference, title="School meals", room=str(rooms["Room A"].id), start="10:30", end="11:30")
    response = await post(client, f"{base(conference)}/sessions", form, HX)
    assert response.status_code == 409
    assert response.headers["hx-retarget"] == "#editor"
    html = response.text
    assert "This session clashes" in html and "Room A is already used by “Food waste”" in html
    assert '<button type="submit" name="allow_conflicts" value="1"' in html and "Save anyway" in html
    assert 'value="School meals"' in html
    assert await AgendaSession.filter(event_id=conference.id).count() == 1

    response = await post(client, f"{base(conference)}/sessions", {**form, "allow_conflicts": "1"}, HX)
    assert response.status_code == 200
    stored = await AgendaSession.get(title="School meals")
    assert stored.conflicts_allowed and stored.room_id == rooms["Room A"].id
    html = response.text
    assert "It clashes: see the warnings beside it." in html
    block = html[html.index(f'id="session-{stored.id}"'):].split("</article>")[0]
    assert "has-conflicts" in block and "Room A is already used by “Food waste”" in block
    block = html[html.index(f'id="session-{first.id}"'):].split("</article>")[0]
    assert "Room A is already used by “School meals”" in block


async def test_move_into_a_clash_then_elsewhere(organiser, conference, rooms, add_session):
    await add_session(title="Food waste", room="Room A", start="14:00", end="15:00")
    moving = (await add_session(title="Green IT", room="Room B", start="10:00", end="11:00")).draft
    await publish_agenda(event=conference)
    client = await organiser()
    url = f"{base(conference)}/sessions/{moving.id}"
    move = {"form": "move", "day": session_form(conference)["day"], "start": "14:30", "end": "15:30", "room": str(rooms["Room A"].id)}
    response = await post(client, url, move)
    assert response.status_code == 409
    html = response.text
    assert "Room A is already used by “Food waste”" in html
    # the editor holds the whole session with the moved values, ready for "Save anyway"
    assert f'action="{url}"' in html and 'value="Green IT"' in html and 'value="14:30"' in html
    assert re.search(rf'<option value="{rooms["Room A"].id}" selected>', html)
    assert (await AgendaSession.get(id=moving.id)).pending is None

    response = await post(client, url, {**move, "room": str(rooms["Plenary hall"].id)})
    assert response.status_code == 303
    row = await AgendaSession.get(id=moving.id)
    # published: the public keeps the old time until the next publish
    assert row.starts_at == at(conference, 0, "10:00") and row.room_id == rooms["Room B"].id
    assert row.pending["room_id"] == rooms["Plenary hall"].id
    html = (await client.get(base(conference))).text
    block = html[html.index(f'id="session-{moving.id}"'):].split("</article>")[0]
    assert "Unpublished changes" in block and "14:30–15:30" in block and "Plenary hall" in block
    assert "Discard the changes" in block


async def test_edit_form_prefills_and_saves_every_field(organiser, conference, rooms, speakers, add_session):
    draft = (await add_session(title="Old", room="Room B", capacity=20, speakers=[speakers[0].id], track="Food")).draft
    client = await organiser()
    response = await client.get(f"{base(conference)}?edit={draft.id}", headers=HX)
    html = response.text
    assert html.lstrip().startswith('<section id="editor"')
    assert "Change “Old”" in html and 'value="Old"' in html and 'value="20"' in html and 'value="Food"' in html
    assert f'id="f-speaker-{speakers[0].id}" name="speakers" value="{speakers[0].id}" checked' in html
    form = session_form(conference, on=2, title="New", kind="site_visit", start="13:00", end="17:00", room="", capacity="", track="", speakers=[str(speakers[2].id)])
    response = await post(client, f"{base(conference)}/sessions/{draft.id}", form)
    assert response.status_code == 303
    row = await AgendaSession.get(id=draft.id)
    assert (row.title, row.kind, row.room_id, row.capacity, row.track_id) == ("New", "site_visit", None, None, None)
    assert row.starts_at == at(conference, 2, "13:00") and row.speaker_ids == [speakers[2].id]
    assert row.pending is None  # a draft is changed in place


# --- cancel, discard, publish ----------------------------------------------------------------


async def test_cancel_deletes_a_draft_and_marks_a_published_session(organiser, conference, add_session):
    kept = (await add_session(title="Published one")).draft
    await publish_agenda(event=conference)
    draft = (await add_session(title="Never published", start="14:00", end="15:00")).draft
    client = await organiser()
    response = await post(client, f"{base(conference)}/sessions/{draft.id}/cancel", {}, HX)
    assert response.status_code == 200 and "The draft “Never published” is deleted." in response.text
    assert not await AgendaSession.filter(id=draft.id).exists()

    response = await post(client, f"{base(conference)}/sessions/{kept.id}/cancel", {})
    assert response.status_code == 303
    html = (await client.get(base(conference))).text
    block = html[html.index(f'id="session-{kept.id}"'):].split("</article>")[0]
    assert "Cancellation pending" in block and "Undo the cancellation" in block
    assert (await AgendaSession.get(id=kept.id)).status == SessionStatus.PUBLISHED

    response = await post(client, f"{base(conference)}/sessions/{kept.id}/discard", {}, HX)
    assert response.status_code == 200 and "are discarded" in response.text
    assert (await AgendaSession.get(id=kept.id)).pending is None


async def test_publish_through_the_route_reports_the_changes(organiser, conference, rooms, add_session):
    moved = (await add_session(title="Moved one", room="Room A", start="10:00", end="11:00")).draft
    gone = (await add_session(title="Gone one", room="Room B", start="12:00", end="13:00")).draft
    await publish_agenda(event=conference)
    await add_session(title="New one", start="15:00", end="16:00")
    client = await organiser()
    move = {"form": "move", "day": session_form(conference)["day"], "start": "11:00", "end": "12:00", "room": str(rooms["Room B"].id)}
    assert (await post(client, f"{base(conference)}/sessions/{moved.id}", move)).status_code == 303
    assert (await post(client, f"{base(conference)}/sessions/{gone.id}/cancel", {})).status_code == 303
    html = (await client.get(base(conference))).text
    assert "Publish 3 changes" in html

    response = await post(client, f"{base(conference)}/publish", {}, HX)
    assert response.status_code == 200
    html = response.text
    assert "The agenda is published." in html and "Everything is published." in html
    day = at(conference, 0, "00:00").strftime("%a %d %b")
    assert "<h3>Added (1)</h3>" in html and f"“New one”: {day} 15:00–16:00" in html
    assert f"“Moved one”: from {day} 10:00–11:00, Room A to {day} 11:00–12:00, Room B" in html
    assert f"“Gone one”: {day} 12:00–13:00, Room B" in html
    assert "Emails queued to attendees: 0." in html
    publication = await AgendaPublication.get(event_id=conference.id, published_by__not="")
    assert publication.published_by.startswith("organiser")
    row = await AgendaSession.get(id=moved.id)
    assert row.starts_at == at(conference, 0, "11:00") and row.room_id == rooms["Room B"].id
    assert (await AgendaSession.get(id=gone.id)).status == SessionStatus.CANCELLED
    # without JavaScript: a redirect, and the page opens the last publication
    response = await post(client, f"{base(conference)}/publish", {})
    assert response.status_code == 303 and response.headers["location"] == f"{base(conference)}?done=published#publish"
    landing = (await client.get(response.headers["location"])).text
    assert '<details class="publication" open>' in landing and "Nothing had changed" in landing


@pytest.mark.parametrize("path", ["", "/cancel", "/discard"])
async def test_unknown_session_is_404(organiser, conference, make_event, path):
    other = await make_event(slug="other-event")
    from events_app.agenda.schemas import SessionInput
    from events_app.agenda.service import create_session

    foreign = (await create_session(event=other, data=SessionInput(title="Elsewhere", kind="plenary", starts_at=other.starts_at, ends_at=other.starts_at + timedelta(hours=1)))).draft
    client = await organiser()
    for session_id in ("999999", "abc", "0", "99999999999999999999", str(foreign.id)):
        url = f"{base(conference)}/sessions/{session_id}{path}"
        assert (await post(client, url, session_form(conference))).status_code == 404, url
        if not path:
            assert (await client.get(url)).status_code == 404
            assert (await client.get(f"{url}/export.csv")).status_code == 404
            assert (await client.get(f"{base(conference)}?edit={session_id}")).status_code == 404
    assert (await AgendaSession.get(id=foreign.id)).title == "Elsewhere"
    assert (await client.get("/organiser/events/no-such-event/agenda")).status_code == 404


@pytest.mark.parametrize("bad_id", ["0000000000010000000000000000000000", "2147483648", "99999999999", "00000000001"])
async def test_ids_too_long_or_too_big_are_404_everywhere(organiser, conference, rooms, speakers, add_session, bad_id):
    """Not a 500 (an id past the 32-bit column once overflowed): 404 on every builder route."""
    session = (await add_session(title="Untouched", room="Room A")).draft
    await publish_agenda(event=conference)
    client = await organiser()
    b = base(conference)
    for url in (f"{b}/sessions/{bad_id}", f"{b}/sessions/{bad_id}/export.csv", f"{b}?edit={bad_id}"):
        assert (await client.get(url)).status_code == 404, url
    for url, data in (
        (f"{b}/sessions/{bad_id}", session_form(conference)),
        (f"{b}/sessions/{bad_id}", {"form": "move", "day": session_form(conference)["day"], "start": "12:00", "end": "13:00", "room": ""}),
        (f"{b}/sessions/{bad_id}/cancel", {}),
        (f"{b}/sessions/{bad_id}/discard", {}),
        (f"{b}/rooms/{bad_id}", {"name": "Renamed", "seats": "10"}),
        (f"{b}/speakers/{bad_id}", {"name": "Renamed"}),
    ):
        assert (await post(client, url, data)).status_code == 404, url
        assert (await post(client, url, data, HX)).status_code == 404, url
    row = await AgendaSession.get(id=session.id)
    assert row.title == "Untouched" and row.status == SessionStatus.PUBLISHED and not row.pending
    assert sorted(r.name for r in await Room.filter(event_id=conference.id)) == ["Plenary hall", "Room A", "Room B"]
    assert "Renamed" not in [s.name for s in await Speaker.filter(event_id=conference.id)]


# --- rooms and speakers ----------------------------------------------------------------------


async def test_rooms_are_added_renamed_and_checked(organiser, conference):
    client = await organiser()
    response = await post(client, f"{base(conference)}/rooms", {"name": "Auditorium", "seats": "250"}, HX)
    assert response.status_code == 200 and "The room “Auditorium” is added." in response.text
    room = await Room.get(event_id=conference.id)
    assert f'id="room-{room.id}-name" name="name" type="text" value="Auditorium"' in response.text
    for bad, field, message in (
        ({"name": "auditorium", "seats": "10"}, "name", "already has a room of that name"),
        ({"name": "Small", "seats": "0"}, "seats", "greater than or equal to 1"),
        ({"name": "", "seats": "10"}, "name", "This field is required."),
    ):
        response = await post(client, f"{base(conference)}/rooms", bad)
        assert response.status_code == 422
        assert re.search(rf'id="room-new-{field}-error">[^<]*{message}', response.text)
    assert await Room.filter(event_id=conference.id).count() == 1
    response = await post(client, f"{base(conference)}/rooms/{room.id}", {"name": "Main auditorium", "seats": "240"})
    assert response.status_code == 303
    room = await Room.get(id=room.id)
    assert (room.name, room.seats) == ("Main auditorium", 240)
    response = await post(client, f"{base(conference)}/rooms/{room.id}", {"name": "Main auditorium", "seats": "many"})
    assert response.status_code == 422 and f'id="room-{room.id}-seats-error"' in response.text
    assert (await post(client, f"{base(conference)}/rooms/424242", {"name": "X", "seats": "1"})).status_code == 404


async def test_cutting_a_rooms_seats_under_a_session_is_stored_and_flagged(organiser, conference, rooms, add_session):
    client = await organiser()
    session = (await add_session(title="Big workshop", room="Room A", capacity=35)).draft
    room = rooms["Room A"]
    response = await post(client, f"{base(conference)}/rooms/{room.id}", {"name": "Room A", "seats": "20"})
    assert response.status_code == 303
    assert (await Room.get(id=room.id)).seats == 20
    html = (await client.get(base(conference))).text
    block = html.split(f'id="session-{session.id}"', 1)[1].split("</article>", 1)[0]
    assert "above the 20 seats of Room A" in block


async def test_speakers_are_added_edited_and_checked(organiser, conference):
    client = await organiser()
    data = {"name": "Marta Kowalska", "organisation": "City of Warsaw", "country": "pl", "bio": "Buys buses.", "photo_url": "https://example.org/m.jpg"}
    response = await post(client, f"{base(conference)}/speakers", data)
    assert response.status_code == 303
    speaker = await Speaker.get(event_id=conference.id)
    assert (speaker.name, speaker.country, speaker.photo_url) == ("Marta Kowalska", "PL", "https://example.org/m.jpg")
    html = (await client.get(base(conference))).text
    assert f'id="f-speaker-{speaker.id}" name="speakers"' in html  # choosable in the session form
    response = await post(client, f"{base(conference)}/speakers/{speaker.id}", {**data, "photo_url": "http://example.org/m.jpg", "country": "XX"})
    assert response.status_code == 422
    assert f'id="speaker-{speaker.id}-photo_url-error"' in response.text and f'id="speaker-{speaker.id}-country-error"' in response.text
    response = await post(client, f"{base(conference)}/speakers/{speaker.id}", {**data, "organisation": "Warsaw City Hall"}, HX)
    assert response.status_code == 200 and "The details of Marta Kowalska are saved." in response.text
    assert (await Speaker.get(id=speaker.id)).organisation == "Warsaw City Hall"
    response = await post(client, f"{base(conference)}/speakers", {"name": ""})
    assert response.status_code == 422 and 'id="speaker-new-name-error"' in response.text
    assert await Speaker.filter(event_id=conference.id).count() == 1


# --- fill and export -------------------------------------------------------------------------


async def test_fill_page_and_csv_export(organiser, conference, rooms, add_session, register):
    visit = (await add_session(title="Site visit: biogas plant", kind="site_visit", room="Room B", capacity=2, start="14:00", end="16:00")).draft
    await publish_agenda(event=conference)
    people = [
        (await register(conference, name=name, email=email, organisation=org)).registration
        for name, email, org in (
            ("Ana Ruiz", "ana@example.org", "City of Barcelona"),
            ("=HYPERLINK(\"http://evil\")", "evil@example.org", "+Evil Org"),
            ("Wanda Wait", "wanda@example.org", "City of Ghent"),
            ("Zoe Last", "zoe@example.org", "City of Graz"),
        )
    ]
    for person in people:
        await set_session_picks(registration=person, session_ids=[visit.id])
    client = await organiser()
    response = await client.get(f"{base(conference)}/sessions/{visit.id}")
    assert response.status_code == 200
    html = response.text
    assert "2/2 places taken, 2 on the waiting list." in html
    confirmed = html[html.index('id="confirmed"'):html.index('id="waitlist-heading"')]
    waitlist = html[html.index('id="waitlist"'):]
    assert confirmed.index("Ana Ruiz") < confirmed.index("=HYPERLINK")
    assert "ana@example.org" in confirmed and "City of Barcelona" in confirmed
    assert waitlist.index("Wanda Wait") < waitlist.index("Zoe Last")

    response = await client.get(f"{base(conference)}/sessions/{visit.id}/export.csv?sep=semicolon")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert f'filename="{conference.slug}-session-{visit.id}-' in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["Status", "Waitlist position", "Name", "Email"]
    assert rows[0][-1] == "Signed up at (Europe/Brussels)"
    assert [(r[0], r[1], r[2]) for r in rows[1:]] == [
        ("confirmed", "", "Ana Ruiz"),
        ("confirmed", "", "'=HYPERLINK(\"http://evil\")"),
        ("waitlisted", "1", "Wanda Wait"),
        ("waitlisted", "2", "Zoe Last"),
    ]
    assert rows[2][5] == "'+Evil Org"
    comma = await client.get(f"{base(conference)}/sessions/{visit.id}/export.csv")
    assert comma.content.decode("utf-8-sig").splitlines()[0].startswith("Status,Waitlist position,Name")
    # the grid shows the fill beside the session, with a link to the list
    grid = (await client.get(base(conference))).text
    block = grid[grid.index(f'id="session-{visit.id}"'):].split("</article>")[0]
    assert "2/2 places taken, 2 waiting" in block and f'href="{base(conference)}/sessions/{visit.id}"' in block
