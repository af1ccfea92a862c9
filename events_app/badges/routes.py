"""The organiser's badge pages (admin or organiser): whom to print, building the PDF in the
background with its progress, each person's badge role, and the badge settings.

Every page works as plain forms and links. htmx only makes the build nicer: the build form
swaps its own section (``block="build"`` of badges/index.html) and the job's progress
polls itself every second (``block="progress"`` of badges/job.html) until it is finished.
Without JavaScript the job page has a Refresh link instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from events_app.api.body import MAX_ID
from events_app.auth.access import require_organiser
from events_app.badges import jobs
from events_app.badges.jobs import (
    LAYOUT_LABELS,
    get_badge_job,
    job_file,
    latest_badge_job,
    mark_job_printed,
    start_badge_job,
)
from events_app.badges.models import BadgeJob, BadgeJobStatus, BadgeSettings
from events_app.badges.service import get_badge_settings, parse_since
from events_app.badges.settings_service import (
    MAX_LOGO_BYTES,
    ROLE_LABELS,
    ROLES,
    BadgeFilters,
    BadgeSettingsInput,
    change_badge_role,
    get_badge_logo,
    list_badge_people,
    render_badge_preview,
    save_badge_settings,
    settings_form_values,
)
from events_app.errors import Conflict, Invalid, NotFound, PayloadTooLarge
from events_app.events.models import Event
from events_app.events.service import get_event
from events_app.registration.models import BadgeRole
from events_app.web import is_htmx, read_form, render

MAX_SETTINGS_BODY = MAX_LOGO_BYTES * 4  # above this the upload is refused unread (413)
NOTICES = {
    "role": "The badge role is saved.",
    "settings": "The badge settings are saved.",
    "printed": "These badges are now marked as printed.",
}
SHOW_FIELDS = {
    "show_organisation": "Organisation",
    "show_country": "Country",
    "show_job_title": "Job title",
    "show_qr": "QR code (the ticket, for check-in)",
}


def _base(event: Event) -> str:
    return f"/organiser/events/{event.slug}/badges"


def _text(values: Mapping[str, Any], name: str, limit: int) -> str:
    value = values.get(name, "")
    return value.strip()[:limit] if isinstance(value, str) else ""


def _id_or_404(value: str, message: str) -> int:
    if not value.isascii() or not value.isdigit() or len(value) > 10 or not 0 < int(value) <= MAX_ID:
        raise NotFound(message)
    return int(value)


def _page_number(values: Mapping[str, Any]) -> int:
    raw = _text(values, "page", 8)
    return int(raw) if raw.isascii() and raw.isdigit() and int(raw) > 0 else 1


def _read_filters(values: Mapping[str, Any]) -> tuple[BadgeFilters, dict[str, Any], dict[str, str]]:
    """(the filters, the values as the form shows them, errors): a bad value is left out of
    the filters and reported beside its field."""
    role, since_raw = _text(values, "role", 20), _text(values, "since", 20)
    not_printed = _text(values, "not_printed", 5) in ("1", "on", "true")
    errors: dict[str, str] = {}
    if role and role not in ROLES:
        errors["role"] = "Choose a role from the list."
    since: date | None = None
    if since_raw:
        try:
            since = parse_since(since_raw)
        except ValueError:
            errors["since"] = "Give a date as YYYY-MM-DD, for example 2027-05-03."
    filters = BadgeFilters(role=BadgeRole(role) if role in ROLES else None, not_printed=not_printed,
                           since=since)
    return filters, {"role": role, "not_printed": not_printed, "since": since_raw}, errors


def _query(form: Mapping[str, Any], page: int = 1, **extra: str) -> str:
    pairs = [(name, str(form[name])) for name in ("role", "since") if form.get(name)]
    if form.get("not_printed"):
        pairs.append(("not_printed", "1"))
    if page > 1:
        pairs.append(("page", str(page)))
    pairs += [(k, v) for k, v in extra.items() if v]
    return urlencode(pairs)


def _url(event: Event, form: Mapping[str, Any], page: int = 1, **extra: str) -> str:
    query = _query(form, page, **extra)
    return _base(event) + (f"?{query}" if query else "")


def _job_view(event: Event, job: BadgeJob | None) -> dict[str, Any] | None:
    if job is None:
        return None
    url = f"{_base(event)}/jobs/{job.id}"
    active = job.status in jobs.ACTIVE
    return {
        "job": job,
        "url": url,
        "download_url": f"{url}/download",
        "mark_url": f"{url}/mark-printed",
        "active": active,
        "done": job.status == BadgeJobStatus.DONE,
        "file_ready": job_file(job) is not None,
        "percent": int(100 * job.done / job.total) if job.total else 0,
        "layout_label": LAYOUT_LABELS.get(job.layout, job.layout),
        "describe": BadgeFilters.from_json(job.filters).describe(),
    }


async def _index(
    request: Request,
    event: Event,
    *,
    filters: BadgeFilters,
    form: dict[str, Any],
    errors: dict[str, str] | None = None,
    page: int = 1,
    layout: str = "a6",
    mark_printed: bool = False,
    build_errors: dict[str, str] | None = None,
    message: str = "",
    row_errors: dict[int, str] | None = None,
    notice: str = "",
    job: BadgeJob | None = None,
    status_code: int = 200,
    block: str | None = None,
) -> Response:
    people = await list_badge_people(event, filters=filters, page=page)
    return render(
        request,
        "badges/index.html",
        {
            "event": event,
            "base": _base(event),
            "form": form,
            "errors": errors or {},
            "people": people,
            "roles": ROLE_LABELS,
            "layouts": LAYOUT_LABELS,
            "layout": layout,
            "mark_printed": mark_printed,
            "build_errors": build_errors or {},
            "message": message,
            "row_errors": row_errors or {},
            "notice": notice,
            "jobview": _job_view(event, job or await latest_badge_job(event)),
            "describe": filters.describe(),
            "page_url": lambda n: _url(event, form, n),
            "sync_limit": jobs.SYNC_LIMIT,
        },
        block=block,
        status_code=status_code,
        headers={"Vary": "HX-Request"},
    )


async def badges_page(request: Request) -> Response:
    require_organiser(request)
    event = await get_event(slug=request.path_params["slug"])
    filters, form, errors = _read_filters(request.query_params)
    notice = NOTICES.get(request.query_params.get("done", ""), "")
    layout = _text(request.query_params, "layout", 10)
    return await _index(request, event, filters=filters, form=form, errors=errors, notice=notice,
                        page=_page_number(request.query_params),
                        layout=layout if layout in LAYOUT_LABELS else "a6",
                        status_code=422 if errors else 200)


async def start_job(request: Request) -> Response:
    user = require_organiser(request)
    form = await read_form(request)
    event = await get_event(slug=request.path_params["slug"])
    filters, values, errors = _read_filters(form)
    layout = _text(form, "layout", 10)
    mark = _text(form, "mark_printed", 5) in ("1", "on", "true")
    state = {"filters": filters, "form": values, "errors": errors, "layout": layout, "mark_printed": mark,
             "block": "build"}
    build_errors = {} if layout in LAYOUT_LABELS else {"layout": "Choose one of the layouts."}
    if errors or build_errors:
        return await _index(request, event, **state, build_errors=build_errors,
                            message="Some fields need attention.", status_code=422)
    count = (await list_badge_people(event, filters=filters, per_page=1)).total
    if count == 0:
        return await _index(request, event, **state, message="No badge matches these filters: nothing to build.",
                            status_code=422)
    try:
        job = await start_badge_job(event, layout=layout, filters=filters, actor=user, mark_printed=mark,
                                    wait=count <= jobs.SYNC_LIMIT)
    except Conflict as exc:
        return await _index(request, event, **state, message=exc.message, status_code=409)
    if is_htmx(request):
        return await _index(request, event, **state, job=job)
    return RedirectResponse(f"{_base(event)}/jobs/{job.id}", status_code=303)


async def _job_page(request: Request, event: Event, job: BadgeJob, *, notice: str = "", message: str = "",
                    status_code: int = 200) -> Response:
    return render(request, "badges/job.html",
                  {"event": event, "base": _base(event), "jobview": _job_view(event, job), "job_notice": notice,
                   "job_message": message},
                  block="progress", status_code=status_code, headers={"Vary": "HX-Request"})


async def job_page(request: Request) -> Response:
    require_organiser(request)
    event = await get_event(slug=request.path_params["slug"])
    job = await get_badge_job(event, job_id=_id_or_404(request.path_params["job_id"], "No such badge PDF."))
    return await _job_page(request, event, job, notice=NOTICES.get(request.query_params.get("done", ""), ""))


async def download(request: Request) -> Response:
    require_organiser(request)
    event = await get_event(slug=request.path_params["slug"])
    job = await get_badge_job(event, job_id=_id_or_404(request.path_params["job_id"], "No such badge PDF."))
    path = job_file(job)
    if path is None:
        message = ("This PDF is not ready yet." if job.status in jobs.ACTIVE else
                   "This PDF is no longer on the server: build it again." if job.status == BadgeJobStatus.DONE
                   else "This PDF could not be built.")
        raise NotFound(message)
    return FileResponse(path, media_type="application/pdf", filename=f"badges-{event.slug}-{job.layout}.pdf")


async def job_mark_printed(request: Request) -> Response:
    require_organiser(request)
    await read_form(request)
    event = await get_event(slug=request.path_params["slug"])
    job_id = _id_or_404(request.path_params["job_id"], "No such badge PDF.")
    try:
        await mark_job_printed(event, job_id=job_id)
    except Conflict as exc:
        job = await get_badge_job(event, job_id=job_id)
        return await _job_page(request, event, job, message=exc.message, status_code=exc.status_code)
    if is_htmx(request):
        job = await get_badge_job(event, job_id=job_id)
        return await _job_page(request, event, job, notice=NOTICES["printed"])
    return RedirectResponse(f"{_base(event)}/jobs/{job_id}?done=printed", status_code=303)


async def change_role(request: Request) -> Response:
    require_organiser(request)
    form = await read_form(request)
    event = await get_event(slug=request.path_params["slug"])
    registration_id = _id_or_404(request.path_params["id"], "No such registration.")
    filters, values, errors = _read_filters(form)
    page = _page_number(form)
    try:
        await change_badge_role(event, registration_id=registration_id, role=_text(form, "badge_role", 20))
    except Invalid as exc:
        return await _index(request, event, filters=filters, form=values, errors=errors, page=page,
                            row_errors={registration_id: exc.fields.get("role", exc.message)},
                            status_code=422)
    return RedirectResponse(_url(event, values, page, done="role") + f"#person-{registration_id}",
                            status_code=303)


# --- settings -----------------------------------------------------------------------------


def _settings_page(request: Request, event: Event, settings: BadgeSettings, *, values: dict[str, Any],
                   errors: dict[str, str] | None = None, message: str = "", notice: str = "",
                   status_code: int = 200) -> Response:
    stamp = int(settings.updated_at.timestamp()) if settings.updated_at else 0
    return render(request, "badges/settings.html", {
        "event": event,
        "base": _base(event),
        "form": values,
        "errors": errors or {},
        "message": message,
        "notice": notice,
        "roles": ROLE_LABELS,
        "show_fields": SHOW_FIELDS,
        "has_logo": bool(settings.logo),
        "logo_url": f"{_base(event)}/logo?v={stamp}",
        "max_logo_kib": MAX_LOGO_BYTES // 1024,
    }, status_code=status_code)


async def settings_page(request: Request) -> Response:
    require_organiser(request)
    event = await get_event(slug=request.path_params["slug"])
    settings = await get_badge_settings(event)
    return _settings_page(request, event, settings, values=settings_form_values(settings),
                          notice=NOTICES.get(request.query_params.get("done", ""), ""))


async def _read_settings_form(request: Request) -> Any:
    """The settings form (multipart, with the logo), after the size and CSRF checks.

    Starlette spools file parts without a limit, so the declared size is checked before
    parsing; read_form then checks the token on the form already parsed (Starlette keeps it).
    """
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        length = request.headers.get("content-length", "")
        if not length.isdigit() or int(length) > MAX_SETTINGS_BODY:
            raise PayloadTooLarge(f"The logo is too large: it can be at most {MAX_LOGO_BYTES // 1024} KiB.")
        await request.form(max_files=1, max_fields=40, max_part_size=64 * 1024)
    return await read_form(request)


async def settings_submit(request: Request) -> Response:
    require_organiser(request)
    event = await get_event(slug=request.path_params["slug"])
    try:
        return await _save_settings(request, event)
    finally:
        await request.close()  # the uploaded logo's temporary file


async def _save_settings(request: Request, event: Event) -> Response:
    try:
        form = await _read_settings_form(request)
    except PayloadTooLarge as exc:
        settings = await get_badge_settings(event)
        return _settings_page(request, event, settings, values=settings_form_values(settings),
                              errors={"logo": exc.message}, message="The logo was not saved.",
                              status_code=exc.status_code)
    values: dict[str, Any] = {name: _text(form, name, 20) for name in ("accent_colour", "text_colour")}
    values.update({f"ribbon_{role}": _text(form, f"ribbon_{role}", 20) for role in ROLES})
    values.update({name: _text(form, name, 5) in ("1", "on", "true") for name in SHOW_FIELDS})
    upload = form.get("logo")
    logo = await upload.read(MAX_LOGO_BYTES + 1) if isinstance(upload, UploadFile) and upload.filename else None
    data = BadgeSettingsInput(
        accent_colour=values["accent_colour"], text_colour=values["text_colour"],
        ribbon_colours={role: values[f"ribbon_{role}"] for role in ROLES},
        show_organisation=values["show_organisation"], show_country=values["show_country"],
        show_job_title=values["show_job_title"], show_qr=values["show_qr"],
        logo=logo, remove_logo=_text(form, "remove_logo", 5) in ("1", "on", "true"),
    )
    try:
        await save_badge_settings(event, data=data)
    except Invalid as exc:
        settings = await get_badge_settings(event)
        return _settings_page(request, event, settings, values=values, errors=exc.fields, message=exc.message,
                              status_code=422)
    return RedirectResponse(f"{_base(event)}/settings?done=settings", status_code=303)


async def logo(request: Request) -> Response:
    require_organiser(request)
    event = await get_event(slug=request.path_params["slug"])
    found = await get_badge_logo(event)
    if found is None:
        raise NotFound("This event has no badge logo.")
    data, media_type = found
    extension = "png" if media_type == "image/png" else "jpg"
    return Response(data, media_type=media_type,
                    headers={"Content-Disposition": f'inline; filename="badge-logo.{extension}"'})


async def preview(request: Request) -> Response:
    require_organiser(request)
    event = await get_event(slug=request.path_params["slug"])
    pdf = await render_badge_preview(event)
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="badge-preview-{event.slug}.pdf"'})


BASE = "/organiser/events/{slug}/badges"
routes = [
    Route(BASE, badges_page, name="badges"),
    Route(BASE + "/jobs", start_job, methods=["POST"], name="badges_start_job"),
    Route(BASE + "/jobs/{job_id}", job_page, name="badges_job"),
    Route(BASE + "/jobs/{job_id}/download", download, name="badges_download"),
    Route(BASE + "/jobs/{job_id}/mark-printed", job_mark_printed, methods=["POST"], name="badges_mark_printed"),
    Route(BASE + "/registrations/{id}/role", change_role, methods=["POST"], name="badges_role"),
    Route(BASE + "/settings", settings_page, name="badges_settings"),
    Route(BASE + "/settings", settings_submit, methods=["POST"], name="badges_settings_save"),
    Route(BASE + "/logo", logo, name="badges_logo"),
    Route(BASE + "/preview.pdf", preview, name="badges_preview"),
]
