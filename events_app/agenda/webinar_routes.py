"""Organiser pages for webinars: reminder times and the recording link."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from events_app.auth.access import require_organiser
from events_app.errors import Invalid
from events_app.notifications.webinars import (
    REMINDER_CHOICES,
    WebinarOverview,
    describe_minutes,
    parse_webinar_form,
    save_webinar_settings,
    webinar_overview,
)
from events_app.web import read_form, render

NOTICES = {
    "saved": "Your changes are saved.",
    "recording": "Your changes are saved. The recording link is being emailed to every confirmed attendee.",
}


def _current_values(overview: WebinarOverview) -> dict[str, object]:
    offsets = overview.event.reminder_offsets
    return {
        "reminders": [str(m) for m in offsets if m in REMINDER_CHOICES],
        "other_reminders": ", ".join(describe_minutes(m) for m in offsets if m not in REMINDER_CHOICES),
        "recording_url": overview.event.recording_url,
    }


def _page(
    request: Request,
    overview: WebinarOverview,
    *,
    values: dict[str, object],
    errors: dict[str, str] | None = None,
    message: str = "",
    notice: str = "",
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "organiser/webinar.html",
        {
            "overview": overview,
            "event": overview.event,
            "form": values,
            "errors": errors or {},
            "message": message,
            "notice": notice,
            "choices": REMINDER_CHOICES,
        },
        status_code=status_code,
    )


async def webinar_page(request: Request) -> Response:
    require_organiser(request)
    overview = await webinar_overview(slug=request.path_params["slug"])
    notice = NOTICES.get(request.query_params.get("done", ""), "")
    return _page(request, overview, values=_current_values(overview), notice=notice)


def _text(value: object, limit: int = 2000) -> str:
    return value[:limit] if isinstance(value, str) else ""


async def webinar_submit(request: Request) -> Response:
    require_organiser(request)
    form = await read_form(request)
    slug = request.path_params["slug"]
    values = {
        "reminders": [_text(v, 20) for v in form.getlist("reminders")],
        "other_reminders": _text(form.get("other_reminders")),
        "recording_url": _text(form.get("recording_url")),
    }
    try:
        data = parse_webinar_form(
            reminders=values["reminders"],  # type: ignore[arg-type]
            other_reminders=values["other_reminders"],  # type: ignore[arg-type]
            recording_url=values["recording_url"],  # type: ignore[arg-type]
        )
        saved = await save_webinar_settings(slug=slug, data=data)
    except Invalid as exc:
        overview = await webinar_overview(slug=slug)
        return _page(request, overview, values=values, errors=exc.fields, message=exc.message, status_code=422)
    done = "recording" if saved.recording_emails else "saved"
    return RedirectResponse(f"/organiser/events/{saved.event.slug}/webinar?done={done}", status_code=303)


routes: list[Route] = [
    Route("/organiser/events/{slug}/webinar", webinar_page, name="organiser_webinar"),
    Route("/organiser/events/{slug}/webinar", webinar_submit, methods=["POST"], name="organiser_webinar_save"),
]
