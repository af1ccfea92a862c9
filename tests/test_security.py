"""Security headers, no-store on personal pages, and CSRF on every state-changing form."""

from __future__ import annotations

from starlette.routing import Mount, Route

from tests.conftest import csrf_of


async def test_security_headers_on_pages(client) -> None:
    response = await client.get("/")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"]


async def test_personal_pages_are_not_cached(client, make_event, register) -> None:
    event = await make_event()
    outcome = await register(event)
    for path in (f"/manage/{outcome.manage_token}", "/login"):
        response = await client.get(path)
        assert response.status_code == 200
        assert response.headers["cache-control"] == "no-store", path
    manage = await client.get(f"/manage/{outcome.manage_token}")
    assert manage.headers["referrer-policy"] == "no-referrer"


async def test_pages_have_no_inline_script(client, make_event) -> None:
    event = await make_event()
    for path in ("/", f"/events/{event.slug}", "/login"):
        html = (await client.get(path)).text
        assert "<script>" not in html and "onclick" not in html.lower() and " style=" not in html


def _form_post_routes(app):
    for route in app.routes:
        if isinstance(route, Route) and "POST" in (route.methods or set()):
            yield route.path


async def test_every_form_post_refuses_a_missing_or_wrong_csrf_token(app, client, make_event, register) -> None:
    event = await make_event()
    outcome = await register(event)
    paths = list(_form_post_routes(app))
    assert "/events/{slug}/register" in paths and "/login" in paths
    token = await csrf_of(client)
    for template in paths:
        path = template.replace("{slug}", event.slug).replace("{token}", outcome.manage_token or "").replace(
            "{id}", str(outcome.registration.id)
        )
        missing = await client.post(path, data={"name": "x"})
        assert missing.status_code in (303, 403), (path, missing.status_code)
        if missing.status_code == 303:  # organiser pages redirect anonymous users to sign in first
            assert missing.headers["location"].startswith("/login")
            continue
        wrong = await client.post(path, data={"name": "x", "csrf_token": token + "x"})
        assert wrong.status_code == 403, path
    # nothing changed: the registration is still confirmed
    from events_app.registration.models import Registration

    assert (await Registration.get(id=outcome.registration.id)).status == "confirmed"


async def test_api_mount_is_not_a_form_route(app) -> None:
    assert any(isinstance(r, Mount) and r.path == "/api/v1" for r in app.routes)
