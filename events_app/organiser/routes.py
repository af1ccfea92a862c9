"""Organiser pages (sign-in required: admin or organiser).

Every page works as plain HTML forms and links; htmx only swaps the
registrations table in place (``block="table"`` of the same template).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from events_app.api.body import MAX_ID
from events_app.auth.access import require_organiser
from events_app.errors import Conflict, Invalid, NotFound
from events_app.events.schemas import EventPatch
from events_app.events.service import create_event, get_event, list_all_events, update_event
from events_app.organiser.forms import (
    KIND_LABELS,
    STATUS_FILTERS,
    STATUS_LABELS,
    ListQuery,
    blank_event_values,
    event_form_values,
    event_values,
    list_query,
    parse_event_form,
    time_zone_groups,
)
from events_app.organiser.service import export_registrations, view_registrations
from events_app.registration.service import cancel_registration, get_registration
from events_app.validation import parse
from events_app.web import is_htmx, read_form, render

NOTICES = {
    "created": "The event is created.",
    "saved": "Your changes are saved.",
    "cancelled": "The registration is cancelled. If someone was waiting, they now have the place and have been emailed.",
    "capacity": "The capacity is saved. Anyone it made room for has moved off the waiting list and been emailed.",
    "feed-revoked": "The person's old calendar feed link no longer works. Their manage page shows the new one.",
    "ticket-reissued": "The person's old ticket no longer works. Their manage page shows the new one.",
}


def _registrations_url(slug: str, query: ListQuery | None = None, **changes: Any) -> str:
    qs = (query or ListQuery()).query_string(**changes)
    return f"/organiser/events/{slug}/registrations" + (f"?{qs}" if qs else "")


def _int_or_404(value: str) -> int:
    if not value.isascii() or not value.isdigit() or not 0 < int(value[:12] or 0) <= MAX_ID:
        raise NotFound("No such registration.")
    return int(value)


async def events_index(request: Request) -> Response:
    require_organiser(request)
    return render(request, "organiser/events.html", {"summaries": await list_all_events()})


def _event_form(
    request: Request,
    *,
    values: dict[str, str],
    slug: str | None = None,
    errors: dict[str, str] | None = None,
    message: str = "",
    status_code: int = 200,
) -> Response:
    european, others = time_zone_groups()
    return render(
        request,
        "organiser/event_form.html",
        {
            "slug": slug,
            "form": values,
            "errors": errors or {},
            "message": message,
            "kind_labels": KIND_LABELS,
            "status_labels": STATUS_LABELS,
            "european_zones": european,
            "other_zones": others,
        },
        status_code=status_code,
    )


async def new_event(request: Request) -> Response:
    require_organiser(request)
    return _event_form(request, values=blank_event_values())


async def create_event_submit(request: Request) -> Response:
    require_organiser(request)
    form = await read_form(request)
    values = event_form_values(form)
    try:
        event = await create_event(data=parse_event_form(values))
    except Invalid as exc:
        return _event_form(
            request, values=values, errors=exc.fields, message=exc.message, status_code=422
        )
    return RedirectResponse(_registrations_url(event.slug, done="created"), status_code=303)


async def edit_event(request: Request) -> Response:
    require_organiser(request)
    event = await get_event(slug=request.path_params["slug"])
    return _event_form(request, values=event_values(event), slug=event.slug)


async def edit_event_submit(request: Request) -> Response:
    require_organiser(request)
    form = await read_form(request)
    event = await get_event(slug=request.path_params["slug"])
    values = event_form_values(form)
    try:
        data = parse_event_form(values)
        event = await update_event(
            slug=event.slug, patch=EventPatch.model_validate(data.model_dump())
        )
    except Invalid as exc:
        return _event_form(
            request,
            values=values,
            slug=event.slug,
            errors=exc.fields,
            message=exc.message,
            status_code=422,
        )
    except Conflict as exc:
        return _event_form(
            request,
            values=values,
            slug=event.slug,
            message=exc.message,
            status_code=exc.status_code,
        )
    return RedirectResponse(_registrations_url(event.slug, done="saved"), status_code=303)


async def _registrations_page(
    request: Request,
    slug: str,
    *,
    query: ListQuery,
    notice: str = "",
    capacity_value: str | None = None,
    capacity_errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    view = await view_registrations(
        slug=slug, search=query.q, status=query.status_filter, page=query.page
    )
    event = view.event
    # A history restore asks for the whole page even though it is an htmx request.
    restoring = request.headers.get("hx-history-restore-request") == "true"
    return render(
        request,
        "organiser/registrations.html",
        {
            "event": event,
            "summary": view.summary,
            "page": view.page,
            "positions": view.positions,
            "checkins": view.checkins,
            "query": query,
            "status_filters": STATUS_FILTERS,
            "list_url": _registrations_url(event.slug),
            "page_url": lambda n: _registrations_url(event.slug, query, page=n),
            "notice": notice,
            "capacity_form": {
                "capacity": str(event.capacity) if capacity_value is None else capacity_value
            },
            "capacity_errors": capacity_errors or {},
        },
        block=None if restoring else "table",
        status_code=status_code,
        headers={"Vary": "HX-Request"},
    )


async def registrations(request: Request) -> Response:
    require_organiser(request)
    notice = NOTICES.get(request.query_params.get("done", ""), "")
    return await _registrations_page(
        request, request.path_params["slug"], query=list_query(request.query_params), notice=notice
    )


async def cancel(request: Request) -> Response:
    require_organiser(request)
    form = await read_form(request)
    registration = await get_registration(registration_id=_int_or_404(request.path_params["id"]))
    await cancel_registration(registration_id=registration.id)
    slug, query = registration.event.slug, list_query(form)
    if is_htmx(request):
        notice = f"The registration of {registration.name} is cancelled. If someone was waiting, they now have the place."
        return await _registrations_page(request, slug, query=query, notice=notice)
    return RedirectResponse(_registrations_url(slug, query, done="cancelled"), status_code=303)


async def change_capacity(request: Request) -> Response:
    require_organiser(request)
    form = await read_form(request)
    slug = request.path_params["slug"]
    raw = str(form.get("capacity", "") or "").strip()[:20]
    try:
        if not raw:
            raise Invalid(
                "Some fields need attention.", fields={"capacity": "This field is required."}
            )
        await update_event(slug=slug, patch=parse(EventPatch, {"capacity": raw}))
    except (Invalid, Conflict) as exc:
        errors = exc.fields or {"capacity": exc.message}
        return await _registrations_page(
            request,
            slug,
            query=list_query(request.query_params),
            capacity_value=raw,
            capacity_errors=errors,
            status_code=exc.status_code,
        )
    return RedirectResponse(_registrations_url(slug, done="capacity"), status_code=303)


async def registrations_csv(request: Request) -> Response:
    require_organiser(request)
    delimiter = ";" if request.query_params.get("sep") == "semicolon" else ","
    export = await export_registrations(slug=request.path_params["slug"], delimiter=delimiter)
    return Response(
        export.content,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{export.filename}"'},
    )


routes = [
    Route("/organiser", events_index, name="organiser_events"),
    Route("/organiser/events/new", new_event, name="organiser_new_event"),
    Route(
        "/organiser/events/new",
        create_event_submit,
        methods=["POST"],
        name="organiser_create_event",
    ),
    Route("/organiser/events/{slug}/edit", edit_event, name="organiser_edit_event"),
    Route(
        "/organiser/events/{slug}/edit",
        edit_event_submit,
        methods=["POST"],
        name="organiser_update_event",
    ),
    Route("/organiser/events/{slug}/registrations", registrations, name="organiser_registrations"),
    Route(
        "/organiser/events/{slug}/registrations.csv",
        registrations_csv,
        name="organiser_registrations_csv",
    ),
    Route(
        "/organiser/events/{slug}/capacity",
        change_capacity,
        methods=["POST"],
        name="organiser_capacity",
    ),
    Route(
        "/organiser/registrations/{id}/cancel", cancel, methods=["POST"], name="organiser_cancel"
    ),
]
