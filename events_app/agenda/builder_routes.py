"""The organiser's agenda builder (day-by-room grid, htmx).

One page per event, ``/organiser/events/{slug}/agenda``. Every form is a plain
POST that redirects back (works without JavaScript); with htmx the answer is
the ``builder`` block of the same template, swapped in place. A session form
that fails (422 field errors, 409 clashes with a "Save anyway" button) answers
with the ``editor`` block, retargeted there.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from events_app.agenda.builder_forms import (
    KIND_LABELS,
    MOVE_FIELDS,
    SESSION_TEXT_FIELDS,
    SessionEditor,
    blank_session_values,
    day_options,
    draft_values,
    form_names,
    parse_room_form,
    parse_room_patch,
    parse_session_form,
    parse_speaker_form,
    room_form_values,
    session_form_values,
    speaker_form_values,
)
from events_app.agenda.builder_service import (
    get_session_draft,
    is_pickable,
    load_builder,
    session_fill_csv,
    time_range,
    unpublished_of,
    view_session_fill,
)
from events_app.agenda.models import SessionStatus
from events_app.agenda.schemas import SessionInput, SessionPatch
from events_app.agenda.service import (
    cancel_session,
    create_room,
    create_session,
    create_speaker,
    discard_session_changes,
    list_tracks,
    publish_agenda,
    update_room,
    update_session,
    update_speaker,
)
from events_app.api.body import MAX_ID
from events_app.auth.access import require_organiser
from events_app.errors import AgendaConflict, Conflict, Invalid, NotFound
from events_app.events.service import get_event
from events_app.web import is_htmx, read_form, render

TEMPLATE = "organiser/agenda.html"
NOTICES = {
    "added": "The session is added as a draft. The public sees it once you publish.",
    "saved": "The session is saved. Changes to a published session wait for the next publish.",
    "cancelled": "The cancellation waits for the next publish.",
    "deleted": "The draft session is deleted.",
    "discarded": "The unpublished changes are discarded.",
    "published": "The agenda is published.",
    "room": "The room is saved.",
    "speaker": "The speaker is saved.",
}
EDITOR_SWAP = {"HX-Retarget": "#editor", "HX-Reswap": "outerHTML show:#editor:top"}


def _base(slug: str) -> str:
    return f"/organiser/events/{slug}/agenda"


def _id_or_404(value: str, what: str = "session") -> int:
    """A positive database id (at most ten digits, at most 2**31-1), else 404."""
    if not value.isascii() or not value.isdigit() or len(value) > 10 or not 0 < int(value) <= MAX_ID:
        raise NotFound(f"This event has no such {what}.")
    return int(value)


def _quote(title: str) -> str:
    return f"\u201c{title}\u201d"


async def _page(
    request: Request,
    slug: str,
    *,
    editor: SessionEditor | None = None,
    notice: str = "",
    forms: dict[str, dict[str, Any]] | None = None,
    just_published: bool = False,
    block: str | None = "builder",
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    view = await load_builder(slug=slug)
    event = view.event
    editor = editor or SessionEditor(values=blank_session_values(event))
    context = {
        "view": view,
        "event": event,
        "base": _base(event.slug),
        "editor": editor,
        "notice": notice,
        "forms": forms or {},
        "just_published": just_published,
        "kind_labels": KIND_LABELS,
        "day_options": day_options(event, str(editor.values.get("day", ""))),
        "room_options": {"": "No room", **{str(r.id): f"{r.name} ({r.seats} seats)" for r in view.agenda.rooms}},
        "time_range": time_range,
        "is_pickable": is_pickable,
        "badge_of": unpublished_of,
        # the builder block swapped in by htmx also updates the page's persistent status line
        "status_oob": block == "builder" and is_htmx(request),
    }
    return render(
        request, TEMPLATE, context, block=block, status_code=status_code,
        headers={"Vary": "HX-Request", **(headers or {})},
    )


async def _done(request: Request, slug: str, done: str, notice: str, anchor: str = "", **extra: Any) -> Response:
    """After a successful change: the builder block for htmx, else a redirect to the page."""
    if is_htmx(request):
        return await _page(request, slug, notice=notice, **extra)
    return RedirectResponse(f"{_base(slug)}?done={done}{anchor}", status_code=303)


# --- the page ----------------------------------------------------------------------------

async def agenda_page(request: Request) -> Response:
    require_organiser(request)
    slug = request.path_params["slug"]
    editor = None
    raw_edit = request.query_params.get("edit", "")
    if raw_edit:
        event = await get_event(slug=slug)
        draft = await get_session_draft(event=event, session_id=_id_or_404(raw_edit))
        view_tracks = {int(t.id): t for t in await list_tracks(event=event)}
        editor = SessionEditor(session_id=draft.id, title=draft.title, values=draft_values(draft, event, view_tracks))
    restoring = request.headers.get("hx-history-restore-request") == "true"
    return await _page(
        request, slug, editor=editor, notice=NOTICES.get(request.query_params.get("done", ""), ""),
        just_published=request.query_params.get("done") == "published",
        block=None if restoring else "editor",
    )


# --- sessions ----------------------------------------------------------------------------

async def _editor_failed(
    request: Request, slug: str, editor: SessionEditor, exc: Invalid | Conflict
) -> Response:
    editor.message = exc.message
    if isinstance(exc, AgendaConflict):
        editor.conflicts = list(exc.details.get("conflicts", []))
    else:
        editor.errors = form_names(exc.fields)
    return await _page(
        request, slug, editor=editor, block="editor", status_code=exc.status_code, headers=EDITOR_SWAP
    )


async def create_session_submit(request: Request) -> Response:
    require_organiser(request)
    form = await read_form(request)
    event = await get_event(slug=request.path_params["slug"])
    values = session_form_values(form, form.getlist)
    try:
        data = parse_session_form(values, event, allow_conflicts=form.get("allow_conflicts") == "1")
        assert isinstance(data, SessionInput)
        result = await create_session(event=event, data=data)
    except (Invalid, Conflict) as exc:
        return await _editor_failed(request, event.slug, SessionEditor(values=values), exc)
    draft = result.draft
    notice = f"{_quote(draft.title)} is added as a draft."
    if result.conflicts:
        notice += " It clashes: see the warnings beside it."
    return await _done(request, event.slug, "added", notice, f"#session-{draft.id}")


async def update_session_submit(request: Request) -> Response:
    require_organiser(request)
    form = await read_form(request)
    event = await get_event(slug=request.path_params["slug"])
    draft = await get_session_draft(event=event, session_id=_id_or_404(request.path_params["id"]))
    move = form.get("form") == "move"
    submitted = session_form_values(form, form.getlist)
    fields = MOVE_FIELDS if move else (*SESSION_TEXT_FIELDS, "speakers")
    tracks = {int(t.id): t for t in await list_tracks(event=event)}
    values = {**draft_values(draft, event, tracks), **{name: submitted[name] for name in fields}}
    editor = SessionEditor(session_id=draft.id, title=draft.title, values=values)
    try:
        patch = parse_session_form(
            submitted, event, fields=fields, allow_conflicts=form.get("allow_conflicts") == "1"
        )
        assert isinstance(patch, SessionPatch)
        result = await update_session(event=event, session_id=draft.id, patch=patch)
    except (Invalid, Conflict) as exc:
        return await _editor_failed(request, event.slug, editor, exc)
    saved = result.draft
    verb = "moved" if move else "saved"
    notice = f"{_quote(saved.title)} is {verb}."
    if saved.session.status == SessionStatus.PUBLISHED and saved.has_pending:
        notice += " The public sees the change once you publish."
    if result.conflicts:
        notice += " It clashes: see the warnings beside it."
    return await _done(request, event.slug, "saved", notice, f"#session-{saved.id}")


async def cancel_submit(request: Request) -> Response:
    require_organiser(request)
    await read_form(request)
    event = await get_event(slug=request.path_params["slug"])
    draft = await get_session_draft(event=event, session_id=_id_or_404(request.path_params["id"]))
    result = await cancel_session(event=event, session_id=draft.id)
    if result is None:
        return await _done(request, event.slug, "deleted", f"The draft {_quote(draft.title)} is deleted.")
    notice = f"{_quote(draft.title)} will be cancelled when you publish. People who signed up are then told."
    return await _done(request, event.slug, "cancelled", notice, f"#session-{draft.id}")


async def discard_submit(request: Request) -> Response:
    require_organiser(request)
    await read_form(request)
    event = await get_event(slug=request.path_params["slug"])
    draft = await get_session_draft(event=event, session_id=_id_or_404(request.path_params["id"]))
    await discard_session_changes(event=event, session_id=draft.id)
    notice = f"The unpublished changes of {_quote(draft.session.title)} are discarded."
    return await _done(request, event.slug, "discarded", notice, f"#session-{draft.id}")


async def publish_submit(request: Request) -> Response:
    user = require_organiser(request)
    await read_form(request)
    event = await get_event(slug=request.path_params["slug"])
    summary = await publish_agenda(event=event, actor=user.email)
    notice = "Nothing had changed since the last publish." if summary.nothing_changed else NOTICES["published"]
    return await _done(request, event.slug, "published", notice, "#publish", just_published=True)


# --- rooms and speakers --------------------------------------------------------------------

async def _side_form_failed(request: Request, slug: str, key: str, values: dict[str, str], exc: Invalid) -> Response:
    forms = {key: {"values": values, "errors": exc.fields, "message": exc.message}}
    return await _page(request, slug, forms=forms, status_code=exc.status_code)


async def create_room_submit(request: Request) -> Response:
    require_organiser(request)
    form = await read_form(request)
    event = await get_event(slug=request.path_params["slug"])
    values = room_form_values(form)
    try:
        room = await create_room(event=event, data=parse_room_form(values))
    except Invalid as exc:
        return await _side_form_failed(request, event.slug, "room-new", values, exc)
    return await _done(request, event.slug, "room", f"The room {_quote(room.name)} is added.", "#rooms")


async def update_room_submit(request: Request) -> Response:
    require_organiser(request)
    form = await read_form(request)
    event = await get_event(slug=request.path_params["slug"])
    room_id = _id_or_404(request.path_params["id"], "room")
    values = room_form_values(form)
    try:
        # In the builder a cut below a session's capacity is stored and flagged beside the
        # session (the grid shows it), as the page says; the API refuses it unless allowed.
        patch = parse_room_patch(values).model_copy(update={"allow_conflicts": True})
        room = await update_room(event=event, room_id=room_id, patch=patch)
    except Invalid as exc:
        return await _side_form_failed(request, event.slug, f"room-{room_id}", values, exc)
    return await _done(request, event.slug, "room", f"The room {_quote(room.name)} is saved.", "#rooms")


async def create_speaker_submit(request: Request) -> Response:
    require_organiser(request)
    form = await read_form(request)
    event = await get_event(slug=request.path_params["slug"])
    values = speaker_form_values(form)
    try:
        speaker = await create_speaker(event=event, data=parse_speaker_form(values))
    except Invalid as exc:
        return await _side_form_failed(request, event.slug, "speaker-new", values, exc)
    return await _done(request, event.slug, "speaker", f"{speaker.name} is added to the speakers.", "#speakers")


async def update_speaker_submit(request: Request) -> Response:
    require_organiser(request)
    form = await read_form(request)
    event = await get_event(slug=request.path_params["slug"])
    speaker_id = _id_or_404(request.path_params["id"], "speaker")
    values = speaker_form_values(form)
    try:
        speaker = await update_speaker(event=event, speaker_id=speaker_id, data=parse_speaker_form(values))
    except Invalid as exc:
        return await _side_form_failed(request, event.slug, f"speaker-{speaker_id}", values, exc)
    return await _done(request, event.slug, "speaker", f"The details of {speaker.name} are saved.", "#speakers")


# --- fill and export ---------------------------------------------------------------------

async def session_fill_page(request: Request) -> Response:
    require_organiser(request)
    fill = await view_session_fill(
        slug=request.path_params["slug"], session_id=_id_or_404(request.path_params["id"])
    )
    return render(request, "organiser/session_fill.html", {
        "fill": fill, "event": fill.event, "base": _base(fill.event.slug),
        "time_range": time_range, "kind_labels": KIND_LABELS,
    })


async def session_fill_export(request: Request) -> Response:
    require_organiser(request)
    fill = await view_session_fill(
        slug=request.path_params["slug"], session_id=_id_or_404(request.path_params["id"])
    )
    delimiter = ";" if request.query_params.get("sep") == "semicolon" else ","
    export = session_fill_csv(fill, delimiter=delimiter)
    return Response(
        export.content,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{export.filename}"'},
    )


_B = "/organiser/events/{slug}/agenda"
routes: list[Route] = [
    Route(_B, agenda_page, name="agenda_builder"),
    Route(f"{_B}/sessions", create_session_submit, methods=["POST"], name="agenda_create_session"),
    Route(f"{_B}/sessions/{{id}}", session_fill_page, name="agenda_session_fill"),
    Route(f"{_B}/sessions/{{id}}", update_session_submit, methods=["POST"], name="agenda_update_session"),
    Route(f"{_B}/sessions/{{id}}/export.csv", session_fill_export, name="agenda_session_export"),
    Route(f"{_B}/sessions/{{id}}/cancel", cancel_submit, methods=["POST"], name="agenda_cancel_session"),
    Route(f"{_B}/sessions/{{id}}/discard", discard_submit, methods=["POST"], name="agenda_discard_session"),
    Route(f"{_B}/publish", publish_submit, methods=["POST"], name="agenda_publish"),
    Route(f"{_B}/rooms", create_room_submit, methods=["POST"], name="agenda_create_room"),
    Route(f"{_B}/rooms/{{id}}", update_room_submit, methods=["POST"], name="agenda_update_room"),
    Route(f"{_B}/speakers", create_speaker_submit, methods=["POST"], name="agenda_create_speaker"),
    Route(f"{_B}/speakers/{{id}}", update_speaker_submit, methods=["POST"], name="agenda_update_speaker"),
]
