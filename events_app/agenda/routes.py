"""Public agenda pages and calendar feeds, and the organiser's "revoke feed URL" button.

Pages: the agenda of an event (grid per day, filters by track and kind that work as a
plain GET form and, with htmx, swap only the agenda) and one page per session. Feeds:
the public ``calendar.ics`` of an event, one session's ``.ics`` and the personal feed
at its secret URL. No join URL ever reaches a public page or the public feeds.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import UTC
from email.utils import format_datetime
from urllib.parse import urlencode

from jinja2_fragments import render_block
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from events_app.agenda.feeds import (
    FeedText,
    calendar_links,
    get_personal_feed,
    get_public_feed,
    get_session_ics,
    public_feed_urls,
    revoke_personal_feed,
)
from events_app.agenda.models import Speaker
from events_app.agenda.public import (
    KIND_LABELS,
    AgendaFilter,
    PublicAgenda,
    agenda_stylesheet,
    filtered_days,
    get_public_agenda,
    get_public_session,
    parse_filter,
    zone_at,
    zone_label,
)
from events_app.auth.access import require_organiser
from events_app.errors import NotFound
from events_app.middleware import CSP
from events_app.organiser.forms import list_query
from events_app.web import jinja_env, read_form, render

ICS = "text/calendar"
MAX_ID = 2**31 - 1


def _id_or_404(value: str, what: str = "session") -> int:
    if not value.isascii() or not value.isdigit() or len(value) > 10 or not 0 < int(value) <= MAX_ID:
        raise NotFound(f"No such {what}.")
    return int(value)


def _agenda_url(slug: str, **params: object) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return f"/events/{slug}/agenda" + (f"?{query}" if query else "")


AGENDA_TEMPLATE = "events/agenda.html"
_bodies: OrderedDict[tuple[object, ...], Markup] = OrderedDict()


def _agenda_body(agenda: PublicAgenda, chosen: AgendaFilter, context: dict[str, object]) -> Markup:
    """The agenda grid, rendered once per agenda version and filter in this process: it is
    the costly part of the page and the same for every visitor (no token, no user in it)."""
    key = (*agenda.key, chosen.track, chosen.kind)
    body = _bodies.get(key)
    if body is None:
        body = Markup(render_block(jinja_env, AGENDA_TEMPLATE, "agenda_body", context))
        _bodies[key] = body
        while len(_bodies) > 256:
            _bodies.popitem(last=False)
    return body


def forget_rendered_agendas() -> None:
    _bodies.clear()


async def agenda_page(request: Request) -> Response:
    slug = request.path_params["slug"]
    agenda = await get_public_agenda(slug=slug)
    chosen = parse_filter(
        agenda, track=request.query_params.get("track"), kind=request.query_params.get("kind")
    )
    context: dict[str, object] = {
        "agenda": agenda,
        "event": agenda.event,
        "days": filtered_days(agenda, chosen),
        "chosen": chosen,
        "kind_labels": {k.value: KIND_LABELS[k] for k in agenda.kinds},
        "zone_label": zone_label(agenda.event),
        "feed": public_feed_urls(agenda.event),
        "agenda_url": _agenda_url(slug),
    }
    context["agenda_body_html"] = _agenda_body(agenda, chosen, context)
    restoring = request.headers.get("hx-history-restore-request") == "true"
    return render(
        request, AGENDA_TEMPLATE, context,
        block=None if restoring else "agenda_body", headers={"Vary": "HX-Request"},
    )


async def agenda_css(request: Request) -> Response:
    agenda = await get_public_agenda(slug=request.path_params["slug"])
    current = request.query_params.get("v") == agenda.version_tag
    return Response(
        agenda_stylesheet(agenda),
        media_type="text/css",
        headers={"Cache-Control": "public, max-age=31536000, immutable" if current else "no-cache"},
    )


async def session_page(request: Request) -> Response:
    page = await get_public_session(
        slug=request.path_params["slug"], session_id=_id_or_404(request.path_params["id"])
    )
    return render(
        request,
        "events/session.html",
        {
            "page": page,
            "agenda": page.agenda,
            "event": page.agenda.event,
            "item": page.item,
            "links": calendar_links(page.agenda, page.item),
            "zone_label": zone_label(page.agenda.event),
            "zone_now": zone_at(page.agenda.event, page.item.local_start),
        },
        headers=_photo_policy(page.item.speakers),
    )


def _photo_policy(speakers: tuple[Speaker, ...]) -> dict[str, str]:
    """Speakers' photos live on other https sites: let this page (only) show https images."""
    if not any(s.photo_url for s in speakers):
        return {}
    return {"Content-Security-Policy": CSP.replace("img-src 'self' data:", "img-src 'self' data: https:")}


def _calendar_response(request: Request, feed: FeedText, *, disposition: str) -> Response:
    headers = {
        "ETag": feed.etag,
        "Last-Modified": format_datetime(feed.last_modified.astimezone(UTC), usegmt=True),
        "Cache-Control": "public, max-age=300",
        "Content-Disposition": f'{disposition}; filename="{feed.filename}"',
    }
    sent = request.headers.get("if-none-match", "")
    if feed.etag in {tag.strip() for tag in sent.split(",")}:
        return Response(status_code=304, headers=headers)
    return Response(feed.text, media_type=ICS, headers=headers)


async def public_feed(request: Request) -> Response:
    feed = await get_public_feed(slug=request.path_params["slug"])
    return _calendar_response(request, feed, disposition="inline")


async def session_ics(request: Request) -> Response:
    feed = await get_session_ics(
        slug=request.path_params["slug"], session_id=_id_or_404(request.path_params["id"])
    )
    return _calendar_response(request, feed, disposition="attachment")


async def personal_feed(request: Request) -> Response:
    feed = await get_personal_feed(token=request.path_params["token"][:200])
    return Response(
        feed.text,
        media_type=ICS,
        headers={
            "Cache-Control": "no-store, private",
            "Referrer-Policy": "no-referrer",
            "X-Robots-Tag": "noindex, nofollow",
            "Content-Disposition": f'inline; filename="{feed.filename}"',
        },
    )


async def revoke_feed_submit(request: Request) -> Response:
    require_organiser(request)
    form = await read_form(request)
    slug = request.path_params["slug"]
    registration = await revoke_personal_feed(
        slug=slug, registration_id=_id_or_404(request.path_params["id"], "registration")
    )
    query = list_query(form).query_string(done="feed-revoked")
    return RedirectResponse(
        f"/organiser/events/{slug}/registrations?{query}#registration-{registration.id}", status_code=303
    )


routes = [
    Route("/events/{slug}/agenda", agenda_page, name="agenda"),
    Route("/events/{slug}/agenda.css", agenda_css, name="agenda_css"),
    Route("/events/{slug}/calendar.ics", public_feed, name="agenda_feed"),
    Route("/events/{slug}/sessions/{id}.ics", session_ics, name="session_ics"),
    Route("/events/{slug}/sessions/{id}", session_page, name="session"),
    Route("/calendar/{token}.ics", personal_feed, name="personal_feed"),
    Route(
        "/organiser/events/{slug}/registrations/{id}/revoke-feed",
        revoke_feed_submit,
        methods=["POST"],
        name="organiser_revoke_feed",
    ),
]
