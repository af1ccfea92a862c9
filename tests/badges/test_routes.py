"""The organiser's badge pages over the ASGI app: access, the people list with its filters and
role changes, the badge settings form (validation, logo upload and serving) and the preview."""

from __future__ import annotations

import re
from datetime import timedelta
from io import BytesIO
from typing import Any

import httpx
import pytest
from PIL import Image
from tortoise import connections

from events_app.auth.models import Role
from events_app.badges.models import BadgeSettings
from events_app.badges.settings_service import check_logo
from events_app.clock import utcnow
from events_app.errors import Invalid
from events_app.registration.models import BadgeRole, Registration
from events_app.registration.service import cancel_registration
from tests.conftest import csrf_of
from tests.pdf_tools import pdf_pages, pdf_text, squeeze


def csrf(client: httpx.AsyncClient) -> str:
    token = client.cookies.get("ea_csrf")
    assert token, "sign in first: no CSRF cookie"
    return token


def png(width: int = 40, height: int = 20, colour: str = "#2f6b4f") -> bytes:
    buffer = BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "PNG")
    return buffer.getvalue()


def jpeg() -> bytes:
    buffer = BytesIO()
    Image.new("RGB", (30, 30), "#b03a2e").save(buffer, "JPEG")
    return buffer.getvalue()


def assert_no_inline_code(html: str) -> None:
    assert "<script>" not in html and " style=" not in html
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"


async def rows(table: str) -> list[str]:
    found = await connections.get("default").execute_query_dict(f"SELECT * FROM {table}")
    return sorted(repr(sorted(row.items())) for row in found)


@pytest.fixture
async def organiser(client: httpx.AsyncClient, login: Any) -> httpx.AsyncClient:
    await login(client, Role.ORGANISER)
    return client


@pytest.fixture
async def people(make_event: Any, register: Any) -> dict[str, Any]:
    """An event with four confirmed people (one a speaker) and one cancelled."""
    event = await make_event(title="Forum für grüne Beschaffung", capacity=20)
    made = {}
    for name, org in (("Zoë Adamou", "Δήμος Αθηναίων"), ("Bruno Berger", "Stadt Wien"),
                      ("Anna Zeller", "Comune di Torino"), ("Олена Коваленко", "Київська міська рада")):
        made[name] = (await register(event, name=name, organisation=org)).registration
    await Registration.filter(id=made["Bruno Berger"].id).update(badge_role=BadgeRole.SPEAKER)
    gone = (await register(event, name="Carla Cancelled")).registration
    await cancel_registration(registration_id=gone.id)
    return {"event": event, "people": made, "base": f"/organiser/events/{event.slug}/badges"}


# --- access ---------------------------------------------------------------------------------


def _paths(base: str, registration_id: int) -> list[tuple[str, str]]:
    return [
        ("GET", base), ("GET", f"{base}/settings"), ("POST", f"{base}/settings"), ("GET", f"{base}/logo"),
        ("GET", f"{base}/preview.pdf"), ("POST", f"{base}/jobs"), ("GET", f"{base}/jobs/1"),
        ("GET", f"{base}/jobs/1/download"), ("POST", f"{base}/jobs/1/mark-printed"),
        ("POST", f"{base}/registrations/{registration_id}/role"),
    ]


async def test_anonymous_is_sent_to_sign_in_and_checkin_accounts_get_403(client, people, login):
    someone = people["people"]["Bruno Berger"]
    token = await csrf_of(client, "/")
    for method, path in _paths(people["base"], someone.id):
        data = {"csrf_token": token, "badge_role": "press", "layout": "a6"} if method == "POST" else None
        response = await client.request(method, path, data=data)
        assert response.status_code == 303 and response.headers["location"].startswith("/login"), (method, path)
    await login(client, Role.CHECKIN)
    token = csrf(client)
    for method, path in _paths(people["base"], someone.id):
        data = {"csrf_token": token, "badge_role": "press", "layout": "a6"} if method == "POST" else None
        response = await client.request(method, path, data=data)
        assert response.status_code == 403, (method, path, response.status_code)
        assert "Bruno Berger" not in response.text
    assert (await Registration.get(id=someone.id)).badge_role == BadgeRole.SPEAKER
    assert not await BadgeSettings.exists()


async def test_organiser_and_admin_reach_the_pages_and_the_events_list_links_them(client, people, login):
    await login(client, Role.ADMIN)
    listing = await client.get("/organiser")
    assert f'href="{people["base"]}"' in listing.text
    for path in (people["base"], f"{people['base']}/settings"):
        page = await client.get(path)
        assert page.status_code == 200, path
        assert_no_inline_code(page.text)
        assert page.headers["cache-control"] == "no-store"


async def test_unknown_event_and_job_are_404(organiser, people):
    assert (await organiser.get("/organiser/events/no-such-event/badges")).status_code == 404
    for path in ("/jobs/999999", "/jobs/abc", "/jobs/99999999999999999999/download", "/logo"):
        assert (await organiser.get(people["base"] + path)).status_code == 404, path


# --- the people list, its filters and the badge role ----------------------------------------


def _names(html: str) -> list[str]:
    return re.findall(r'<tr id="person-\d+">\s*<td>([^<]+)</td>', html)


async def test_people_sorted_by_surname_with_the_count(organiser, people):
    page = await organiser.get(people["base"])
    assert page.status_code == 200
    assert _names(page.text) == ["Zoë Adamou", "Bruno Berger", "Anna Zeller", "Олена Коваленко"]
    assert "Carla Cancelled" not in page.text
    assert "<strong>4 badges</strong>, sorted by surname (everyone)" in page.text
    assert "Δήμος Αθηναίων" in page.text


async def test_filters_role_not_printed_and_since(organiser, people):
    base, made = people["base"], people["people"]
    speakers = await organiser.get(base, params={"role": "speaker"})
    assert _names(speakers.text) == ["Bruno Berger"] and "<strong>1 badge</strong>" in speakers.text
    assert 'value="speaker" selected' in speakers.text

    await Registration.filter(id=made["Zoë Adamou"].id).update(badge_printed_at=utcnow())
    fresh = await organiser.get(base, params={"not_printed": "1"})
    assert "Zoë Adamou" not in _names(fresh.text) and len(_names(fresh.text)) == 3
    everyone = await organiser.get(base)
    assert "Zoë Adamou" in _names(everyone.text) and "Not yet" in everyone.text

    week_ago = utcnow() - timedelta(days=7)
    await Registration.filter(id__in=[made["Anna Zeller"].id, made["Bruno Berger"].id]).update(confirmed_at=week_ago)
    today = utcnow().astimezone(people["event"].zone).date().isoformat()
    recent = await organiser.get(base, params={"since": today})
    assert sorted(_names(recent.text)) == sorted(["Zoë Adamou", "Олена Коваленко"])
    both = await organiser.get(base, params={"since": today, "not_printed": "1"})
    assert _names(both.text) == ["Олена Коваленко"]
    # the build form carries the filters shown
    assert f'name="since" value="{today}"' in both.text and 'name="not_printed" value="1"' in both.text


@pytest.mark.parametrize(("params", "field"), [
    ({"since": "2027-02-30"}, "since"), ({"since": "yesterday"}, "since"), ({"role": "king"}, "role"),
])
async def test_a_bad_filter_is_shown_beside_its_field(organiser, people, params, field):
    page = await organiser.get(people["base"], params=params)
    assert page.status_code == 422
    assert f'id="f-{field}-error"' in page.text
    assert len(_names(page.text)) == 4  # the bad filter is left out


async def test_pagination(organiser, make_event, register):
    event = await make_event(capacity=60)
    for n in range(55):
        await register(event, name=f"Person {n:02d} Surname{n:02d}")
    base = f"/organiser/events/{event.slug}/badges"
    first = await organiser.get(base)
    assert len(_names(first.text)) == 50 and "Page 1 of 2" in first.text
    assert "<strong>55 badges</strong>" in first.text
    second = await organiser.get(base, params={"page": "2"})
    assert _names(second.text) == [f"Person {n:02d} Surname{n:02d}" for n in range(50, 55)]
    assert len(_names((await organiser.get(base, params={"page": "999"})).text)) == 5


async def test_role_change_is_saved_and_keeps_the_filters(organiser, people):
    anna = people["people"]["Anna Zeller"]
    response = await organiser.post(f"{people['base']}/registrations/{anna.id}/role", data={
        "csrf_token": csrf(organiser), "badge_role": "press", "not_printed": "1", "page": "1"})
    assert response.status_code == 303
    assert response.headers["location"] == f"{people['base']}?not_printed=1&done=role#person-{anna.id}"
    assert (await Registration.get(id=anna.id)).badge_role == BadgeRole.PRESS
    page = await organiser.get(response.headers["location"].split("#")[0])
    assert "The badge role is saved." in page.text
    press = await organiser.get(people["base"], params={"role": "press"})
    assert _names(press.text) == ["Anna Zeller"]


async def test_bad_role_change_writes_nothing(organiser, people, make_event, register):
    anna = people["people"]["Anna Zeller"]
    before = await rows("registration")
    bad = await organiser.post(f"{people['base']}/registrations/{anna.id}/role",
                               data={"csrf_token": csrf(organiser), "badge_role": "emperor"})
    assert bad.status_code == 422 and f'id="f-badge-role-{anna.id}-error"' in bad.text
    other = (await register(await make_event(), name="Elsewhere Person")).registration
    before = await rows("registration")
    wrong_event = await organiser.post(f"{people['base']}/registrations/{other.id}/role",
                                       data={"csrf_token": csrf(organiser), "badge_role": "press"})
    assert wrong_event.status_code == 404
    no_csrf = await organiser.post(f"{people['base']}/registrations/{anna.id}/role", data={"badge_role": "press"})
    assert no_csrf.status_code == 403
    assert await rows("registration") == before


# --- settings -------------------------------------------------------------------------------


def settings_form(**changes: str) -> dict[str, str]:
    form = {"accent_colour": "#112233", "text_colour": "#000000", "ribbon_participant": "#1f5f8b",
            "ribbon_speaker": "#B03A2E", "ribbon_organiser": "#6c3483", "ribbon_staff": "#1e8449",
            "ribbon_press": "#b9770e", "show_organisation": "1", "show_qr": "1"}
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


async def test_settings_are_saved(organiser, people):
    url = f"{people['base']}/settings"
    response = await organiser.post(url, data={"csrf_token": csrf(organiser), **settings_form()})
    assert response.status_code == 303 and response.headers["location"] == f"{url}?done=settings"
    saved = await BadgeSettings.get(event_id=people["event"].id)
    assert (saved.accent_colour, saved.text_colour) == ("#112233", "#000000")
    assert saved.ribbon_colours["speaker"] == "#b03a2e"  # lower-cased
    assert (saved.show_organisation, saved.show_country, saved.show_job_title, saved.show_qr) == (
        True, False, False, True)
    page = await organiser.get(f"{url}?done=settings")
    assert "The badge settings are saved." in page.text
    assert 'type="color" value="#112233"' in page.text and 'id="f-show_country" name="show_country" value="1">' in page.text


@pytest.mark.parametrize(("changes", "logo", "field"), [
    ({"accent_colour": "red"}, None, "accent_colour"),
    ({"text_colour": "#12345"}, None, "text_colour"),
    ({"ribbon_press": "#gggggg"}, None, "ribbon_press"),
    ({"ribbon_staff": ""}, None, "ribbon_staff"),
    ({}, ("logo.png", b"\x89PNG\r\n\x1a\n" + b"\0" * (512 * 1024), "image/png"), "logo"),  # too large
    ({}, ("logo.png", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/png"), "logo"),  # not an image
    ({}, ("logo.gif", b"GIF89a" + b"\0" * 100, "image/gif"), "logo"),  # not PNG or JPEG
    ({}, ("logo.png", png()[:60], "image/png"), "logo"),  # PNG magic, truncated
    ({}, ("logo.jpg", b"\x89PNG\r\n\x1a\n" + jpeg()[8:], "image/jpeg"), "logo"),  # magic and content disagree
    ({"remove_logo": "1"}, ("logo.png", png(), "image/png"), "logo"),  # both at once
])
async def test_bad_settings_are_refused_and_nothing_is_written(organiser, people, changes, logo, field):
    url = f"{people['base']}/settings"
    ok = await organiser.post(url, data={"csrf_token": csrf(organiser), **settings_form()},
                              files={"logo": ("first.png", png(), "image/png")})
    assert ok.status_code == 303
    before = await rows("badge_settings")
    files = {"logo": logo} if logo else {"logo": ("", b"", "application/octet-stream")}
    response = await organiser.post(url, data={"csrf_token": csrf(organiser), **settings_form(**changes)},
                                    files=files)
    assert response.status_code == 422, response.text[:500]
    assert f'id="f-{field}-error"' in response.text and 'aria-invalid="true"' in response.text
    assert await rows("badge_settings") == before
    assert_no_inline_code(response.text)


async def test_a_huge_upload_is_refused_unread_and_a_forged_form_writes_nothing(organiser, people):
    url = f"{people['base']}/settings"
    huge = await organiser.post(url, data={"csrf_token": csrf(organiser), **settings_form()},
                                files={"logo": ("big.png", b"\x89PNG\r\n\x1a\n" + b"\0" * (3 * 1024 * 1024), "image/png")})
    assert huge.status_code == 413 and 'id="f-logo-error"' in huge.text
    forged = await organiser.post(url, data=settings_form(), files={"logo": ("logo.png", png(), "image/png")})
    assert forged.status_code == 403
    assert not await BadgeSettings.exists()


async def test_logo_is_stored_served_replaced_and_removed(organiser, people):
    url, logo_url = f"{people['base']}/settings", f"{people['base']}/logo"
    assert (await organiser.get(logo_url)).status_code == 404
    image = png(120, 40)
    saved = await organiser.post(url, data={"csrf_token": csrf(organiser), **settings_form()},
                                 files={"logo": ("logo.png", image, "image/png")})
    assert saved.status_code == 303
    served = await organiser.get(logo_url)
    assert served.status_code == 200 and served.content == image
    assert served.headers["content-type"] == "image/png" and served.headers["x-content-type-options"] == "nosniff"
    page = await organiser.get(url)
    assert f'src="{logo_url}?v=' in page.text and "Remove the logo" in page.text

    # saving again without a file keeps the logo; a JPEG replaces it
    await organiser.post(url, data={"csrf_token": csrf(organiser), **settings_form(accent_colour="#000001")},
                         files={"logo": ("", b"", "application/octet-stream")})
    assert (await organiser.get(logo_url)).content == image
    photo = jpeg()
    await organiser.post(url, data={"csrf_token": csrf(organiser), **settings_form()},
                         files={"logo": ("logo.jpg", photo, "image/jpeg")})
    served = await organiser.get(logo_url)
    assert served.content == photo and served.headers["content-type"] == "image/jpeg"

    removed = await organiser.post(url, data={"csrf_token": csrf(organiser), **settings_form(remove_logo="1")})
    assert removed.status_code == 303
    assert (await organiser.get(logo_url)).status_code == 404
    row = await BadgeSettings.get(event_id=people["event"].id)
    assert row.logo is None and row.logo_type == ""


def test_check_logo_accepts_png_and_jpeg_only() -> None:
    assert check_logo(png()) == "image/png" and check_logo(jpeg()) == "image/jpeg"
    for bad in (b"", b"hello", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff" + b"\0" * 50):
        with pytest.raises(Invalid) as caught:
            check_logo(bad)
        assert "logo" in caught.value.fields


async def test_preview_is_one_a6_page_of_the_first_attendee_or_a_sample(organiser, people, make_event):
    response = await organiser.get(f"{people['base']}/preview.pdf")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("inline")
    assert pdf_pages(response.content) == 1
    text = squeeze(pdf_text(response.content))
    assert "ZoëAdamou" in text and "BrunoBerger" not in text  # Adamou sorts first
    empty = await make_event(title="Nobody yet")
    sample = await organiser.get(f"/organiser/events/{empty.slug}/badges/preview.pdf")
    assert sample.status_code == 200 and pdf_pages(sample.content) == 1
    assert "Sample" in pdf_text(sample.content)
