"""Public pages: upcoming events and one event with its registration form."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from events_app.errors import Invalid, RateLimited, RegistrationClosed
from events_app.events.service import (
    get_event,
    list_upcoming_events,
    registration_state,
    summarise_event,
)
from events_app.organisations.models import ORGANISATION_KIND_LABELS
from events_app.registration.schemas import RegistrationInput
from events_app.registration.service import CLOSED_MESSAGES, register_attendee, send_manage_link
from events_app.validation import parse
from events_app.web import read_form, render

REGISTRATION_FIELDS = ("name", "email", "job_title", "organisation", "organisation_kind", "country")


async def upcoming(request: Request) -> Response:
    return render(request, "events/list.html", {"summaries": await list_upcoming_events()})


async def _event_page(request: Request, slug: str, *, form: dict[str, str], errors: dict[str, str], message: str = "", status_code: int = 200) -> Response:
    event = await get_event(slug=slug, public=True)
    state = registration_state(event)
    return render(
        request,
        "events/detail.html",
        {
            "summary": await summarise_event(event),
            "state": state,
            "closed_message": CLOSED_MESSAGES.get(state, ""),
            "form": form,
            "errors": errors,
            "message": message,
            "kind_labels": ORGANISATION_KIND_LABELS,
        },
        block="registration_form",
        status_code=status_code,
    )


async def event_page(request: Request) -> Response:
    return await _event_page(request, request.path_params["slug"], form={}, errors={})


async def register(request: Request) -> Response:
    slug = request.path_params["slug"]
    form = await read_form(request)
    values = {name: str(form.get(name, ""))[:1000] for name in REGISTRATION_FIELDS}
    try:
        request.app.state.limiter.hit(f"register:{request.client.host if request.client else '-'}", weight=10)
        answered = {k: v for k, v in values.items() if v or k != "organisation_kind"}  # optional select
        data = parse(RegistrationInput, {**answered, "consent": form.get("consent") == "yes"})
        outcome = await register_attendee(slug=slug, data=data)
    except Invalid as exc:
        return await _event_page(request, slug, form=values, errors=exc.fields, message=exc.message, status_code=422)
    except (RegistrationClosed, RateLimited) as exc:
        return await _event_page(request, slug, form=values, errors={}, message=exc.message, status_code=exc.status_code)
    if outcome.manage_token is None:
        # Already registered: never reveal that registration's details or link here;
        # the link goes by email to the address, where only its owner reads it.
        await send_manage_link(registration_id=outcome.registration.id)
        return render(request, "registration/already.html", {"event": outcome.event, "email": data.email}, status_code=200)
    target = f"/manage/{outcome.manage_token}/confirmed"
    if request.headers.get("hx-request") == "true":
        return Response(status_code=200, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


async def privacy(request: Request) -> Response:
    return render(request, "privacy.html")


routes = [
    Route("/", upcoming, name="upcoming"),
    Route("/privacy", privacy, name="privacy"),
    Route("/events/{slug}", event_page, name="event"),
    Route("/events/{slug}/register", register, methods=["POST"], name="register"),
]
