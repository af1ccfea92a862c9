"""The check-in pages: the desk chooser, the door page (scan, search, undo, live numbers) and the
organiser's offline fallback (list download, scans upload), over the ASGI app.

Plain form posts get the whole door page back with the answer; htmx gets the named block.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta
from typing import Any

import httpx
import pytest

from events_app.auth.models import Role
from events_app.badges.tickets import new_secret
from events_app.checkin.models import CheckIn
from events_app.checkin.routes import door_choices
from events_app.clock import utcnow
from events_app.events.service import list_all_events
from events_app.registration.models import Registration
from events_app.registration.service import cancel_registration

HTMX = {"HX-Request": "true"}


def csrf(client: httpx.AsyncClient) -> str:
    token = client.cookies.get("ea_csrf")
    assert token, "sign in first: no CSRF cookie"
    return token


async def post(client: httpx.AsyncClient, path: str, data: dict[str, str] | None = None,
               htmx: bool = False) -> httpx.Response:
    return await client.post(path, data={"csrf_token": csrf(client), **(data or {})},
                             headers=HTMX if htmx else {})


def state(html: str) -> str:
    """The data-state of the big answer panel."""
    found = re.findall(r'class="result result-\w+" data-state="([a-z_]+)"', html)
    assert len(found) == 1, html[:2000]
    return found[0]


def assert_no_inline_code(html: str) -> None:
    assert "<script>" not in html and " style=" not in html
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"
    assert "hx-on" not in html and "javascript:" not in html


@pytest.fixture
async def door_event(make_event, ticketed) -> dict[str, Any]:
    """An event on today with three confirmed, ticketed people."""
    now = utcnow()
    event = await make_event(title="Green procurement forum", starts_at=now - timedelta(hours=1), capacity=3)
    people = [await ticketed(event, name=name, email=email, organisation=org) for name, email, org in (
        ("Jürgen Müller", "juergen@muenchen.de", "Landeshauptstadt München"),
        ("Ana Novak", "ana@ljubljana.si", "Mestna občina Ljubljana"),
        ("Élodie Martin", "elodie@lyon.fr", "Métropole de Lyon"),
    )]
    return {"event": event, "people": people}


# --- who may come in ------------------------------------------------------------------------


async def test_anonymous_visitors_are_sent_to_sign_in(client, door_event) -> None:
    slug = door_event["event"].slug
    for path in ("/checkin", f"/checkin/{slug}", f"/checkin/{slug}/counts", f"/checkin/{slug}/search?q=ana"):
        response = await client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"] == f"/login?next={path.split('?')[0]}"
    response = await client.post(f"/checkin/{slug}/scan", data={"code": door_event["people"][0][1]})
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert await CheckIn.all().count() == 0


async def test_a_checkin_user_works_the_door_but_reaches_no_organiser_page(client, login, door_event) -> None:
    await login(client, Role.CHECKIN)
    event, (registration, code) = door_event["event"], door_event["people"][0]
    chooser = await client.get("/checkin")
    assert chooser.status_code == 200 and "Green procurement forum" in chooser.text
    assert_no_inline_code(chooser.text)

    chosen = await client.get("/checkin", params={"event": event.slug, "desk": "  Main   door "})
    assert chosen.status_code == 303 and chosen.headers["location"] == f"/checkin/{event.slug}?desk=Main+door"
    assert "ea_desk" in chosen.headers["set-cookie"]
    page = await client.get(f"/checkin/{event.slug}")  # the desk comes from the cookie
    assert page.status_code == 200 and 'id="door-desk">Main door<' in page.text
    assert "Undo" not in page.text and "Offline fallback" not in page.text

    scanned = await post(client, f"/checkin/{event.slug}/scan", {"code": code, "desk": "Main door"})
    assert scanned.status_code == 200 and state(scanned.text) == "checked_in"
    assert "Undo this check-in" not in scanned.text  # undo is for organisers

    for path in ("/organiser", f"/organiser/events/{event.slug}/registrations",
                 f"/organiser/events/{event.slug}/checkin/offline",
                 f"/organiser/events/{event.slug}/checkin/offline/list.json",
                 f"/organiser/events/{event.slug}/checkin/offline/page.html"):
        assert (await client.get(path)).status_code == 403, path
    undo = await post(client, f"/checkin/{event.slug}/registrations/{registration.id}/undo")
    assert undo.status_code == 403
    assert await CheckIn.filter(registration_id=registration.id).exists()
    upload = await client.post(f"/organiser/events/{event.slug}/checkin/offline",
                               data={"csrf_token": csrf(client)}, files={"file": ("s.json", b"{}")})
    assert upload.status_code == 403


async def test_a_checkin_user_sees_published_events_only(client, login, make_event) -> None:
    draft = await make_event(title="Draft meeting", status="draft")
    await login(client, Role.CHECKIN)
    assert "Draft meeting" not in (await client.get("/checkin")).text
    assert (await client.get(f"/checkin/{draft.slug}?desk=A")).status_code == 404


async def test_the_door_page_without_a_desk_asks_for_one(client, login, door_event) -> None:
    await login(client, Role.ORGANISER)
    slug = door_event["event"].slug
    response = await client.get(f"/checkin/{slug}")
    assert response.status_code == 303 and response.headers["location"] == f"/checkin?event={slug}"
    blank = await client.get("/checkin", params={"event": slug, "desk": " "})
    assert blank.status_code == 422 and "Give this desk a name" in blank.text


async def test_events_on_today_come_first(make_event) -> None:
    now = utcnow()
    past = await make_event(title="Past", starts_at=now - timedelta(days=3))
    later = await make_event(title="Later", starts_at=now + timedelta(days=40))
    soon = await make_event(title="Soon", starts_at=now + timedelta(days=2))
    today = await make_event(title="Today", starts_at=now - timedelta(hours=2))
    await make_event(title="Draft", status="draft", starts_at=now)
    choices = door_choices(await list_all_events(), now)
    assert [c.summary.event.id for c in choices] == [today.id, soon.id, later.id, past.id]
    assert [c.when for c in choices] == ["today", "upcoming", "upcoming", "past"]


# --- scanning --------------------------------------------------------------------------------


async def test_scan_answers_each_state(client, login, door_event, make_event, ticketed, register) -> None:
    await login(client, Role.CHECKIN)
    event, people = door_event["event"], door_event["people"]
    url = f"/checkin/{event.slug}/scan"
    (juergen, code), (ana, ana_code) = people[0], people[1]

    first = await post(client, url, {"code": code, "desk": "Door A"})
    assert first.status_code == 200 and state(first.text) == "checked_in"
    assert "Jürgen Müller" in first.text and "Landeshauptstadt München" in first.text
    assert "Participant" in first.text
    assert first.text.lstrip().startswith("<!doctype html>")  # without htmx: the whole page again
    assert_no_inline_code(first.text)

    again = await post(client, url, {"code": f" {code.lower()}\n", "desk": "Door B"}, htmx=True)
    assert again.status_code == 200 and state(again.text) == "already_checked_in"
    assert "<html" not in again.text  # htmx: the result block only
    assert "at desk “Door A”" in again.text and "(Europe/Brussels)" in again.text
    stamp = (await CheckIn.get(registration_id=juergen.id)).checked_in_at.astimezone(event.zone)
    assert f"Checked in at {stamp:%H:%M}" in again.text
    assert "HX-Trigger" not in again.headers  # nothing changed

    forged = await post(client, url, {"code": "EA1-" + new_secret(), "desk": "Door A"})
    assert forged.status_code == 404 and state(forged.text) == "ticket_not_valid"
    assert "Not valid" in forged.text
    garbage = await post(client, url, {"code": "<script>alert(1)</script>", "desk": "Door A"}, htmx=True)
    assert garbage.status_code == 200 and state(garbage.text) == "ticket_not_valid"
    assert "<script>alert" not in garbage.text

    waiting = (await register(event, name="Wanda Waiting")).registration  # capacity 3: on the waiting list
    assert waiting.status == "waitlisted"
    secret = new_secret()
    await Registration.filter(id=waiting.id).update(ticket_secret=secret)
    waitlisted = await post(client, url, {"code": "EA1-" + secret, "desk": "Door A"})
    assert state(waitlisted.text) == "not_confirmed" and "Not confirmed (waiting list)" in waitlisted.text

    await cancel_registration(registration_id=ana.id)
    cancelled = await post(client, url, {"code": ana_code, "desk": "Door A"})
    assert cancelled.status_code == 409 and state(cancelled.text) == "ticket_cancelled"
    assert "Cancelled" in cancelled.text

    other = await make_event(title="Another seminar")
    _, other_code = await ticketed(other)
    wrong = await post(client, url, {"code": other_code, "desk": "Door A"}, htmx=True)
    assert wrong.status_code == 200 and state(wrong.text) == "wrong_event"
    assert "Wrong event" in wrong.text and "Another seminar" in wrong.text

    empty = await post(client, url, {"code": "  ", "desk": "Door A"})
    assert empty.status_code == 200 and state(empty.text) == "empty"
    assert await CheckIn.filter(event_id=event.id).count() == 1


async def test_a_new_check_in_tells_htmx_to_refresh_the_numbers(client, login, door_event) -> None:
    await login(client, Role.CHECKIN)
    event, (_, code) = door_event["event"], door_event["people"][0]
    response = await post(client, f"/checkin/{event.slug}/scan", {"code": code, "desk": "A"}, htmx=True)
    assert response.headers["hx-trigger"] == "checkin-changed"


# --- search ----------------------------------------------------------------------------------


async def test_search_finds_people_by_name_email_or_organisation(client, login, door_event) -> None:
    await login(client, Role.CHECKIN)
    event = door_event["event"]
    for q, name in (("müller", "Jürgen Müller"), ("ana@ljub", "Ana Novak"), ("Lyon", "Élodie Martin")):
        fragment = await client.get(f"/checkin/{event.slug}/search", params={"q": q, "desk": "A"}, headers=HTMX)
        assert fragment.status_code == 200 and "<html" not in fragment.text
        assert name in fragment.text and fragment.text.count('class="found-row"') == 1, q
        assert "Check in<span" in fragment.text
    # without JavaScript: the plain GET form renders the whole page with the results
    page = await client.get(f"/checkin/{event.slug}", params={"q": "novak", "desk": "A"})
    assert page.status_code == 200 and "Ana Novak" in page.text and "Jürgen Müller" not in page.text
    nobody = await client.get(f"/checkin/{event.slug}/search", params={"q": "zzz"}, headers=HTMX)
    assert "Nobody found" in nobody.text


async def test_check_in_from_the_search(client, login, door_event, register, make_event, ticketed) -> None:
    await login(client, Role.CHECKIN)
    event, (ana, _) = door_event["event"], door_event["people"][1]
    url = f"/checkin/{event.slug}/registrations/{ana.id}"
    first = await post(client, url, {"desk": "Desk 2", "q": "novak"}, htmx=True)
    assert first.status_code == 200 and state(first.text) == "checked_in" and "Ana Novak" in first.text
    assert first.headers["hx-trigger"] == "checkin-changed"
    row = await CheckIn.get(registration_id=ana.id)
    assert row.source == "search" and row.desk == "Desk 2"

    again = await post(client, url, {"desk": "Desk 3", "q": "novak"})
    assert again.status_code == 200 and state(again.text) == "already_checked_in"
    assert "Ana Novak" in again.text and 'value="novak"' in again.text  # the search is kept

    listed = await client.get(f"/checkin/{event.slug}/search", params={"q": "novak"}, headers=HTMX)
    assert "Checked in" in listed.text and "Check in<span" not in listed.text

    waiting = (await register(event, name="Wanda Waiting")).registration
    refused = await post(client, f"/checkin/{event.slug}/registrations/{waiting.id}", {"desk": "A"})
    assert refused.status_code == 409 and state(refused.text) == "not_confirmed"
    other, _ = await ticketed(await make_event())
    for bad in (str(other.id), "abc", "0", "99999999999999"):
        response = await post(client, f"/checkin/{event.slug}/registrations/{bad}", {"desk": "A"})
        assert response.status_code == 404 and state(response.text) == "not_found", bad
    assert await CheckIn.filter(event_id=event.id).count() == 1


# --- undo (organisers) -----------------------------------------------------------------------


async def test_an_organiser_undoes_a_check_in(client, login, door_event) -> None:
    await login(client, Role.ORGANISER)
    event, (juergen, code) = door_event["event"], door_event["people"][0]
    await post(client, f"/checkin/{event.slug}/scan", {"code": code, "desk": "A"})
    again = await post(client, f"/checkin/{event.slug}/scan", {"code": code, "desk": "A"})
    assert "Undo this check-in" in again.text
    page = await client.get(f"/checkin/{event.slug}?desk=A")
    assert "Recent check-ins" in page.text and "Undo<span" in page.text and "Offline fallback" in page.text

    undone = await post(client, f"/checkin/{event.slug}/registrations/{juergen.id}/undo", {"desk": "A"}, htmx=True)
    assert undone.status_code == 200 and state(undone.text) == "undone"
    assert undone.headers["hx-trigger"] == "checkin-changed"
    assert not await CheckIn.filter(registration_id=juergen.id).exists()
    twice = await post(client, f"/checkin/{event.slug}/registrations/{juergen.id}/undo", {"desk": "A"})
    assert state(twice.text) == "not_checked_in"
    back = await post(client, f"/checkin/{event.slug}/scan", {"code": code, "desk": "A"})
    assert state(back.text) == "checked_in"


async def test_get_of_an_action_address_goes_back_to_the_door(client, login, door_event) -> None:
    await login(client, Role.CHECKIN)
    slug = door_event["event"].slug
    response = await client.get(f"/checkin/{slug}/scan?desk=A")
    assert response.status_code == 303 and response.headers["location"] == f"/checkin/{slug}?desk=A"


# --- live numbers ----------------------------------------------------------------------------


async def test_counters_fragment(client, login, door_event) -> None:
    await login(client, Role.CHECKIN)
    event = door_event["event"]
    page = await client.get(f"/checkin/{event.slug}?desk=A")
    assert 'hx-trigger="every 5s, checkin-changed from:body"' in page.text
    assert_no_inline_code(page.text)

    def numbers(html: str) -> tuple[str, str]:
        checked = re.search(r'id="count-checked-in">(\d+)<', html)
        expected = re.search(r'id="count-expected">(\d+)<', html)
        assert checked and expected
        return checked.group(1), expected.group(1)

    before = await client.get(f"/checkin/{event.slug}/counts", headers=HTMX)
    assert before.status_code == 200 and "<html" not in before.text
    assert numbers(before.text) == ("0", "3") and "0%" in before.text
    for _, code in door_event["people"][:2]:
        await post(client, f"/checkin/{event.slug}/scan", {"code": code, "desk": "A"})
    after = await client.get(f"/checkin/{event.slug}/counts", headers=HTMX)
    assert numbers(after.text) == ("2", "3") and "67%" in after.text
    bars = re.findall(r'<rect x="[\d.]+" y="([\d.]+)" width="22" height="([\d.]+)" class="hours-bar">', after.text)
    assert len(bars) == 12 and max(float(h) for _, h in bars) == 64.0  # this hour's bar is the tallest
    recent = await client.get(f"/checkin/{event.slug}/recent", headers=HTMX)
    assert "Jürgen Müller" in recent.text and "Ana Novak" in recent.text and "Undo" not in recent.text


# --- headers ---------------------------------------------------------------------------------


async def test_camera_is_allowed_on_the_checkin_pages_only(client, login, door_event) -> None:
    await login(client, Role.ORGANISER)
    slug = door_event["event"].slug
    for path in ("/checkin", f"/checkin/{slug}?desk=A", f"/checkin/{slug}/counts"):
        response = await client.get(path)
        assert response.status_code == 200, path
        assert "camera=(self)" in response.headers["permissions-policy"], path
        assert "worker-src 'self' blob:" in response.headers["content-security-policy"]
        assert "script-src 'self';" in response.headers["content-security-policy"]
        assert "unsafe" not in response.headers["content-security-policy"]
        assert response.headers["cache-control"] == "no-store"
    for path in ("/", "/organiser", f"/organiser/events/{slug}/checkin/offline", "/static/checkin-offline.html",
                 "/checkinx"):
        response = await client.get(path)
        assert "camera=()" in response.headers["permissions-policy"], path
        assert "blob:" not in response.headers["content-security-policy"], path


# --- offline fallback ------------------------------------------------------------------------


async def test_offline_list_has_hashes_not_codes(client, login, door_event) -> None:
    await login(client, Role.ORGANISER)
    event = door_event["event"]
    page = await client.get(f"/organiser/events/{event.slug}/checkin/offline")
    assert page.status_code == 200 and "/static/checkin-offline.html" in page.text
    assert 'enctype="multipart/form-data"' in page.text
    assert_no_inline_code(page.text)
    response = await client.get(f"/organiser/events/{event.slug}/checkin/offline/list.json")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    day = utcnow().astimezone(event.zone).strftime("%Y-%m-%d")
    assert response.headers["content-disposition"] == \
        f'attachment; filename="checkin-list-{event.slug}-{day}.json"'
    data = response.json()
    assert data["format"] == "events-app-checkin-list/1" and data["event"]["slug"] == event.slug
    hashes = {e["code_sha256"] for e in data["entries"]}
    for registration, code in door_event["people"]:
        assert code not in response.text and registration.ticket_secret not in response.text
        assert hashlib.sha256(code.encode()).hexdigest() in hashes


async def test_offline_page_download_is_one_file(client, login, door_event) -> None:
    await login(client, Role.ORGANISER)
    response = await client.get(f"/organiser/events/{door_event['event'].slug}/checkin/offline/page.html")
    assert response.status_code == 200 and response.headers["content-disposition"].startswith("attachment;")
    assert "crypto.subtle" in response.text and "events-app-checkin-scans/1" in response.text
    assert 'src="js/' not in response.text and 'href="css/' not in response.text
    static = await client.get("/static/checkin-offline.html")
    assert static.status_code == 200 and 'src="js/checkin-offline.js"' in static.text
    assert_no_inline_code(static.text)


async def test_offline_upload_merges_once_and_reports(client, login, door_event, ticketed, make_event) -> None:
    user = await login(client, Role.ORGANISER)
    event, people = door_event["event"], door_event["people"]
    (juergen, juergen_code), (ana, _), (elodie, elodie_code) = people
    await post(client, f"/checkin/{event.slug}/scan", {"code": elodie_code, "desk": "Main door"})
    _, other_code = await ticketed(await make_event())
    now = utcnow().replace(microsecond=0)
    scans = {
        "format": "events-app-checkin-scans/1", "event": event.slug, "desk": "Laptop 2",
        "scans": [
            {"nonce": "n" * 16, "code_sha256": hashlib.sha256(juergen_code.encode()).hexdigest(),
             "scanned_at": (now - timedelta(minutes=30)).isoformat()},
            {"nonce": "m" * 16, "registration": ana.id, "scanned_at": (now - timedelta(minutes=20)).isoformat()},
            {"nonce": "o" * 16, "code_sha256": hashlib.sha256(elodie_code.encode()).hexdigest(),
             "scanned_at": (now - timedelta(minutes=10)).isoformat()},
            {"nonce": "p" * 16, "code_sha256": hashlib.sha256(other_code.encode()).hexdigest(),
             "scanned_at": (now - timedelta(minutes=5)).isoformat()},
        ],
    }
    body = json.dumps(scans).encode()
    url = f"/organiser/events/{event.slug}/checkin/offline"

    async def upload(content: bytes) -> httpx.Response:
        return await client.post(url, data={"csrf_token": csrf(client)},
                                 files={"file": ("checkin-scans.json", content, "application/json")})

    first = await upload(body)
    assert first.status_code == 200, first.text
    assert_no_inline_code(first.text)
    assert re.search(r'id="report-applied">2<', first.text)
    assert re.search(r'id="report-duplicates">0<', first.text)
    assert re.search(r'id="report-already">1<', first.text) and re.search(r'id="report-refused">1<', first.text)
    assert "Élodie Martin" in first.text and "Main door" in first.text  # the conflict: who, when, where
    assert "Not a valid ticket of this event" in first.text
    rows = {c.registration_id: c for c in await CheckIn.filter(event_id=event.id)}
    assert set(rows) == {juergen.id, ana.id, elodie.id}
    assert rows[juergen.id].source == "offline" and rows[juergen.id].desk == "Laptop 2"
    assert rows[juergen.id].user_id == user.id  # type: ignore[attr-defined]
    assert rows[juergen.id].checked_in_at == now - timedelta(minutes=30)

    second = await upload(body)
    assert second.status_code == 200
    assert re.search(r'id="report-applied">0<', second.text)
    assert re.search(r'id="report-duplicates">4<', second.text)
    assert await CheckIn.filter(event_id=event.id).count() == 3

    not_json = await upload(b"this is not json")
    assert not_json.status_code == 400 and "alert-error" in not_json.text
    wrong_event = await upload(json.dumps({**scans, "event": "some-other-event"}).encode())
    assert wrong_event.status_code == 422 and "nothing was merged" in wrong_event.text
    no_file = await client.post(url, data={"csrf_token": csrf(client)}, files={"other": ("x", b"")})
    assert no_file.status_code == 422 and "Choose the scans file" in no_file.text
    no_token = await client.post(url, files={"file": ("s.json", body, "application/json")})
    assert no_token.status_code == 403
    huge = await client.post(url, data={"csrf_token": csrf(client)},
                             files={"file": ("s.json", b" " * (6 * 1024 * 1024), "application/json")})
    assert huge.status_code == 413
    assert await CheckIn.filter(event_id=event.id).count() == 3
