"""The shared Jinja2 environment, and render() for pages and htmx fragments."""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from jinja2_fragments import render_block
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse

from events_app.errors import Forbidden
from events_app.settings import PROJECT_ROOT, current_settings
from events_app.validation import country_names

TEMPLATES_DIR = PROJECT_ROOT / "templates"
STATIC_DIR = PROJECT_ROOT / "static"
CSRF_COOKIE = "ea_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
MAX_FORM_FIELDS = 100

jinja_env = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _local(value: datetime | None, zone: str | None = None, fmt: str = "%a %d %b %Y, %H:%M") -> str:
    if value is None:
        return ""
    if zone:
        value = value.astimezone(ZoneInfo(zone))
    return value.strftime(fmt)


jinja_env.filters["local"] = _local
jinja_env.globals["country_names"] = country_names


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def csrf_token(request: Request) -> str:
    """The double-submit token: the cookie value, made on first need (the middleware sets the cookie)."""
    token = request.cookies.get(CSRF_COOKIE) or request.scope.get("csrf_new_token")
    if not token:
        token = secrets.token_urlsafe(32)
        request.scope["csrf_new_token"] = token
    return token


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    block: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render a page, or only ``block`` of it when htmx asked for a fragment."""
    data = {
        "request": request,
        "user": request.scope.get("user"),
        "csrf_token": csrf_token(request),
        "base_url": current_settings().base_url,
        **(context or {}),
    }
    if block and is_htmx(request):
        html = render_block(jinja_env, template, block, data)
    else:
        html = jinja_env.get_template(template).render(data)
    return HTMLResponse(html, status_code=status_code, headers=headers)


async def read_form(request: Request) -> FormData:
    """Read a submitted form after checking its CSRF token (field or htmx header)."""
    form = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)
    sent = request.headers.get(CSRF_HEADER) or form.get(CSRF_FIELD) or ""
    expected = request.cookies.get(CSRF_COOKIE) or ""
    if not expected or not isinstance(sent, str) or not hmac.compare_digest(sent, expected):
        raise Forbidden("This form has expired or was not sent from this site. Reload the page and try again.")
    return form
