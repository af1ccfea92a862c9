"""The attendee's own pages, reached only through the private manage link."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from events_app.agenda.feed_tokens import personal_feed_urls
from events_app.agenda.picks import list_pickable_sessions
from events_app.errors import Invalid
from events_app.organisations.models import ORGANISATION_KIND_LABELS
from events_app.registration.schemas import DetailsInput
from events_app.registration.service import (
    cancel_own_registration,
    find_registration_by_token,
    update_registration_details,
    waitlist_position,
)
from events_app.validation import parse
from events_app.web import read_form, render

DETAIL_FIELDS = ("name", "job_title", "organisation", "organisation_kind", "country")


async def _manage_page(request: Request, template: str, *, errors: dict[str, str] | None = None, form: dict[str, str] | None = None, notice: str = "", status_code: int = 200) -> Response:
    token = request.path_params["token"]
    registration = await find_registration_by_token(token=token)
    if form is None:
        form = {
            "name": registration.name,
            "job_title": registration.job_title,
            "organisation": registration.organisation.name,
            "organisation_kind": registration.organisation.kind.value,
            "country": registration.organisation.country,
        }
    return render(
        request,
        template,
        {
            "registration": registration,
            "event": registration.event,
            "token": token,
            "position": await waitlist_position(registration),
            "form": form,
            "errors": errors or {},
            "notice": notice,
            "kind_labels": ORGANISATION_KIND_LABELS,
            "feeds": personal_feed_urls(registration),
            "has_sessions_to_pick": bool(await list_pickable_sessions(event=registration.event)),
        },
        block="details_form",
        status_code=status_code,
    )


async def confirmed(request: Request) -> Response:
    return await _manage_page(request, "registration/confirmed.html")


async def manage(request: Request) -> Response:
    notice = {"saved": "Your details are saved.", "cancelled": "Your registration is cancelled."}.get(
        request.query_params.get("done", ""), ""
    )
    return await _manage_page(request, "registration/manage.html", notice=notice)


async def update_details(request: Request) -> Response:
    token = request.path_params["token"]
    form = await read_form(request)
    values = {name: str(form.get(name, ""))[:1000] for name in DETAIL_FIELDS}
    try:
        answered = {k: v for k, v in values.items() if v or k != "organisation_kind"}  # optional select
        await update_registration_details(token=token, data=parse(DetailsInput, answered))
    except Invalid as exc:
        return await _manage_page(request, "registration/manage.html", errors=exc.fields, form=values, notice=exc.message, status_code=422)
    if request.headers.get("hx-request") == "true":
        return await _manage_page(request, "registration/manage.html", notice="Your details are saved.")
    return RedirectResponse(f"/manage/{token}?done=saved", status_code=303)


async def cancel(request: Request) -> Response:
    token = request.path_params["token"]
    await read_form(request)
    await cancel_own_registration(token=token)
    return RedirectResponse(f"/manage/{token}?done=cancelled", status_code=303)


routes = [
    Route("/manage/{token}", manage, name="manage"),
    Route("/manage/{token}", update_details, methods=["POST"], name="manage_update"),
    Route("/manage/{token}/confirmed", confirmed, name="manage_confirmed"),
    Route("/manage/{token}/cancel", cancel, methods=["POST"], name="manage_cancel"),
]
