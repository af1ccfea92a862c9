"""The attendee's ticket, from the private manage link: a page with the QR code and a PDF."""

from __future__ import annotations

import segno
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from events_app.auth.access import require_organiser
from events_app.badges.ticket_pdf import grouped
from events_app.badges.tickets import ensure_ticket, reissue_event_ticket, ticket_code
from events_app.errors import Conflict
from events_app.organiser.forms import list_query
from events_app.registration.models import Registration, RegistrationStatus
from events_app.registration.service import find_registration_by_token
from events_app.web import read_form, render

PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


async def _ticket_holder(token: str) -> Registration:
    registration = await find_registration_by_token(token=token)
    if registration.status != RegistrationStatus.CONFIRMED:
        raise Conflict("You have no ticket: your registration is not confirmed"
                       + (" (you are on the waiting list)." if registration.status == RegistrationStatus.WAITLISTED
                          else " (it was cancelled)."))
    return await ensure_ticket(registration)


def qr_svg(code: str) -> Markup:
    """The QR code as inline SVG (vector, no style attributes: allowed by the page's CSP)."""
    svg = segno.make(code, error="m").svg_inline(scale=6, border=2, dark="#000", light="#fff",
                                                 title="Ticket QR code")
    return Markup(svg)  # segno escapes the title; the code is [A-Z2-7-]


async def ticket_page(request: Request) -> Response:
    token = request.path_params["token"]
    registration = await _ticket_holder(token)
    code = ticket_code(registration)
    return render(request, "registration/ticket.html", {
        "registration": registration, "event": registration.event, "token": token,
        "code": code, "code_groups": grouped(code),
        "qr": qr_svg(code),
    }, headers=PRIVATE)


async def ticket_pdf(request: Request) -> Response:
    from events_app.badges.service import render_ticket

    registration = await _ticket_holder(request.path_params["token"])
    pdf = await render_ticket(registration)
    filename = f"ticket-{registration.event.slug}.pdf"
    return Response(pdf, media_type="application/pdf",
                    headers={**PRIVATE, "Content-Disposition": f'attachment; filename="{filename}"'})


async def new_ticket_submit(request: Request) -> Response:
    """Organiser, registrations table: replace a person's ticket (the manage page shows the new one)."""
    require_organiser(request)
    form = await read_form(request)
    slug = request.path_params["slug"]
    raw = request.path_params["id"]
    registration_id = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 10 else 0
    registration = await reissue_event_ticket(slug=slug, registration_id=registration_id)
    query = list_query(form).query_string(done="ticket-reissued")
    return RedirectResponse(
        f"/organiser/events/{slug}/registrations?{query}#registration-{registration.id}", status_code=303)


routes = [
    Route("/manage/{token}/ticket", ticket_page, name="ticket"),
    Route("/manage/{token}/ticket.pdf", ticket_pdf, name="ticket_pdf"),
    Route("/organiser/events/{slug}/registrations/{id}/new-ticket", new_ticket_submit, methods=["POST"],
          name="ticket_reissue"),
]
