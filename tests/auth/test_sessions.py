from __future__ import annotations

import pytest

from events_app.auth.models import Role, UserSession
from events_app.auth.service import authenticate, create_user
from events_app.errors import Invalid, Unauthorized
from events_app.ratelimit import RateLimiter
from events_app.settings import RateLimit
from tests.conftest import PASSWORD, csrf_of


async def test_passwords_are_hashed_with_argon2id(make_user) -> None:
    user = await make_user(Role.ORGANISER)
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    assert (await authenticate(email=user.email.upper(), password=PASSWORD)).id == user.id
    with pytest.raises(Unauthorized):
        await authenticate(email=user.email, password="wrong password!")
    with pytest.raises(Unauthorized):
        await authenticate(email="nobody@example.org", password=PASSWORD)


async def test_short_password_and_duplicate_account_refused(settings) -> None:
    with pytest.raises(Invalid):
        await create_user(email="a@example.org", password="short", role=Role.ADMIN)
    await create_user(email="a@example.org", password=PASSWORD, role=Role.ADMIN)
    with pytest.raises(Invalid):
        await create_user(email="A@example.org", password=PASSWORD, role=Role.ADMIN)


async def test_login_sets_a_safe_cookie_holding_only_an_id(client, make_user) -> None:
    user = await make_user(Role.ORGANISER)
    token = await csrf_of(client, "/login")
    response = await client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 303 and response.headers["location"] == "/organiser"
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("ea_session="))
    lowered = cookie.lower()
    assert "httponly" in lowered and "samesite=lax" in lowered
    assert user.email not in cookie and str(user.id) not in cookie.split(";")[0].split(".")[0][:3]
    assert (await client.get("/organiser")).status_code == 200


async def test_fresh_session_id_at_login_and_logout_ends_it_server_side(client, make_user) -> None:
    user = await make_user(Role.ORGANISER)
    token = await csrf_of(client, "/login")
    await client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    first_cookie = client.cookies.get("ea_session")
    await client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    second_cookie = client.cookies.get("ea_session")
    assert first_cookie != second_cookie
    assert await UserSession.filter(user_id=user.id).count() == 1  # the first one was ended

    response = await client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 303
    assert await UserSession.filter(user_id=user.id).count() == 0
    # replaying the old cookie no longer works: the session is gone on the server
    client.cookies.set("ea_session", second_cookie)
    response = await client.get("/organiser")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


async def test_wrong_password_shows_an_error(client, make_user) -> None:
    user = await make_user(Role.ORGANISER)
    token = await csrf_of(client, "/login")
    response = await client.post("/login", data={"email": user.email, "password": "nope nope nope", "csrf_token": token})
    assert response.status_code == 401 and "Wrong email or password" in response.text
    assert "ea_session" not in client.cookies


async def test_login_is_rate_limited(client, app, make_user) -> None:
    app.state.limiter = RateLimiter(RateLimit(3, 60))
    user = await make_user(Role.ORGANISER)
    token = await csrf_of(client, "/login")
    statuses = []
    for _ in range(5):
        response = await client.post("/login", data={"email": user.email, "password": "bad password!", "csrf_token": token})
        statuses.append(response.status_code)
    assert statuses == [401, 401, 401, 429, 429]
    # even the right password is refused while limited
    response = await client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 429 and "ea_session" not in client.cookies


async def test_next_parameter_cannot_redirect_off_site(client, make_user) -> None:
    user = await make_user(Role.ORGANISER)
    token = await csrf_of(client, "/login")
    response = await client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token, "next": "//evil.example/x"}
    )
    assert response.headers["location"] == "/organiser"


async def test_checkin_accounts_land_on_the_door_pages(client, make_user) -> None:
    user = await make_user(Role.CHECKIN)
    token = await csrf_of(client, "/login")
    response = await client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 303 and response.headers["location"] == "/checkin"
    # an organiser page as "next" is not for them; a door page is
    await client.post("/logout", data={"csrf_token": client.cookies.get("ea_csrf")})
    token = await csrf_of(client, "/login")
    for wanted, landing in (("/organiser/events", "/checkin"), ("/checkin/some-event", "/checkin/some-event")):
        response = await client.post("/login", data={"email": user.email, "password": PASSWORD,
                                                      "csrf_token": token, "next": wanted})
        assert response.headers["location"] == landing


async def test_htmx_requests_without_a_session_are_sent_to_sign_in(client) -> None:
    # a polled fragment after the session ended: htmx follows HX-Redirect instead of swapping the login page in
    response = await client.get("/organiser", headers={"HX-Request": "true"})
    assert response.status_code == 401 and response.headers["hx-redirect"] == "/login?next=/organiser"
    assert (await client.get("/organiser")).status_code == 303
