"""The organiser's topic and interest-group lists (sign-in required: admin or organiser).

``/organiser/twinning/lists`` shows both lists; each has a form to add an entry and, per
entry, forms to rename and to retire it. Every form is a plain POST that redirects back
with a notice (303), or shows the page again with the messages (422): nothing needs
JavaScript. With htmx, the forms swap the ``catalogue`` block of the same template.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from events_app.auth.access import require_organiser
from events_app.errors import Invalid
from events_app.twinning.catalogue import (
    add_catalogue_entry,
    list_interest_groups,
    list_topics,
    rename_catalogue_entry,
    retire_catalogue_entry,
)
from events_app.twinning.organiser_forms import id_or_404, parse_catalogue_form
from events_app.web import is_htmx, read_form, render

BASE = "/organiser/twinning"
RESPONSE_HEADERS = {"Vary": "HX-Request"}
CATALOGUE_KINDS = {"topics": "Topics", "groups": "Interest groups"}
CATALOGUE_NOTICES = {
    "added": "The entry is added.",
    "renamed": "The entry is renamed.",
    "retired": "The entry is retired: new requests no longer offer it; requests that name it keep it.",
}


async def _lists_page(request: Request, *, notice: str = "", forms: dict[str, dict[str, Any]] | None = None,
                      renames: dict[tuple[str, int], dict[str, str]] | None = None,
                      status_code: int = 200) -> Response:
    entries = {"topics": await list_topics(active_only=False), "groups": await list_interest_groups(active_only=False)}
    forms = forms or {}
    return render(request, "twinning/organiser_lists.html", {
        "entries": entries, "kinds": CATALOGUE_KINDS, "notice": notice,
        "forms": {kind: forms.get(kind, {"values": {}, "errors": {}}) for kind in CATALOGUE_KINDS},
        "renames": renames or {}, "base": BASE,
    }, block="catalogue", status_code=status_code, headers=RESPONSE_HEADERS)


async def lists_page(request: Request) -> Response:
    require_organiser(request)
    return await _lists_page(request, notice=CATALOGUE_NOTICES.get(request.query_params.get("done", ""), ""))


async def _lists_done(request: Request, done: str) -> Response:
    if is_htmx(request):
        return await _lists_page(request, notice=CATALOGUE_NOTICES[done])
    return RedirectResponse(f"{BASE}/lists?done={done}", status_code=303)


def _catalogue_handlers(kind: str) -> list[Route]:
    async def add(request: Request) -> Response:
        require_organiser(request)
        form = await read_form(request)
        values = {"slug": str(form.get("slug", "") or "")[:200], "name": str(form.get("name", "") or "")[:200]}
        try:
            await add_catalogue_entry(kind=kind, data=parse_catalogue_form(form))
        except Invalid as exc:
            return await _lists_page(request, forms={kind: {"values": values, "errors": exc.fields}}, status_code=422)
        return await _lists_done(request, "added")

    async def rename(request: Request) -> Response:
        require_organiser(request)
        form = await read_form(request)
        entry_id = id_or_404(request.path_params["entry_id"], "entry")
        name = str(form.get("name", "") or "")[:200]
        try:
            await rename_catalogue_entry(kind=kind, entry_id=entry_id, name=name)
        except Invalid as exc:
            renames = {(kind, entry_id): {"value": name, "error": exc.fields.get("name", exc.message)}}
            return await _lists_page(request, renames=renames, status_code=422)
        return await _lists_done(request, "renamed")

    async def retire(request: Request) -> Response:
        require_organiser(request)
        await read_form(request)
        await retire_catalogue_entry(kind=kind, entry_id=id_or_404(request.path_params["entry_id"], "entry"))
        return await _lists_done(request, "retired")

    return [
        Route(f"{BASE}/lists/{kind}", add, methods=["POST"], name=f"twinning_{kind}_add"),
        Route(f"{BASE}/lists/{kind}/{{entry_id}}/rename", rename, methods=["POST"], name=f"twinning_{kind}_rename"),
        Route(f"{BASE}/lists/{kind}/{{entry_id}}/retire", retire, methods=["POST"], name=f"twinning_{kind}_retire"),
    ]


routes = [
    Route(f"{BASE}/lists", lists_page, name="twinning_lists"),
    *(route for kind in CATALOGUE_KINDS for route in _catalogue_handlers(kind)),
]
