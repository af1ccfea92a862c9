"""The organiser's twinning pages (sign-in required: admin or organiser).

``/organiser/twinning`` lists the rounds; each round has a working page (requests,
matching runs with their explanations, pins and forbidden pairs, publishing, twinnings
and study visits), a run history with a comparison and JSON downloads, and a picture.
Every form is a plain POST that redirects back with a notice (303), or shows the page
again with the messages (422 or 409): nothing needs JavaScript. With htmx, pinning and
forbidding swap the ``proposals`` block of the same template. The topic and
interest-group lists are in :mod:`events_app.twinning.organiser_lists_routes`.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from events_app.auth.access import require_organiser
from events_app.errors import Conflict, Invalid
from events_app.twinning.catalogue import list_interest_groups, list_topics
from events_app.twinning.models import RoundStatus, TwinningStatus
from events_app.twinning.organiser_forms import (
    MATURITY_LABELS,
    MAX_ID,
    MODE_LABELS,
    blank_round_values,
    blank_visit_values,
    compare_runs,
    id_or_404,
    ordinal,
    parse_round_form,
    parse_visit_form,
    part_segments,
    picture_of,
    readable_reasons,
    round_form_values,
    round_values,
    visit_form_values,
    visit_zones,
    weight_rows,
)
from events_app.twinning.picture import legend_items, map_svg, network_svg
from events_app.twinning.publish import (
    close_round,
    preview_publish,
    publish_run,
    send_shortlists,
    set_twinning_status,
)
from events_app.twinning.rounds import (
    close_requests,
    create_round,
    deadline_text,
    effective_status,
    get_round,
    list_rounds,
    update_round,
)
from events_app.twinning.runs import get_run, list_runs, run_matching, set_pair_rule, view_proposals
from events_app.twinning.schemas import MatchInput, language_names
from events_app.twinning.visits import plan_study_visit
from events_app.web import is_htmx, read_form, render
from matching.scoring import PART_LABELS

BASE = "/organiser/twinning"
RESPONSE_HEADERS = {"Vary": "HX-Request"}
NETWORK_MIN_HEIGHT = 160  # the network picture grows downwards as the round needs

ROUND_NOTICES = {
    "created": "The round is open for requests.",
    "saved": "The round's settings are saved.",
    "closed": "Requests are closed: the round is ready for matching.",
    "finished": "The round is closed: no more runs or publishing. Its twinnings go on.",
    "run": "The matching has run: its pairs are below.",
    "stable": "The stable matching has run on the authorities' rankings: its pairs are below.",
    "pinned": "The pair is pinned. Run the matching again to apply it.",
    "unpinned": "The pin is removed. Run the matching again to apply it.",
    "forbidden": "The pair is forbidden. Run the matching again to apply it.",
    "allowed": "The pair is allowed again. Run the matching again to apply it.",
    "completed": "The twinning is marked completed.",
    "cancelled": "The twinning is cancelled.",
    "reopened": "The twinning is marked as running again.",
    "visit": "The study visit is planned: both contact people are registered and have their calendar invites.",
}
PAIR_NOTICES = {("pinned", True): "pinned", ("pinned", False): "unpinned",
                ("forbidden", True): "forbidden", ("forbidden", False): "allowed"}
STATUS_ACTIONS = {"completed": (TwinningStatus.COMPLETED, "completed"),
                  "cancelled": (TwinningStatus.CANCELLED, "cancelled"),
                  "accepted": (TwinningStatus.ACCEPTED, "reopened")}


def _round_id(request: Request) -> int:
    return id_or_404(request.path_params["id"])


def _round_url(round_id: int, done: str = "", **extra: Any) -> str:
    query = urlencode({"done": done, **extra}) if done else ""
    return f"{BASE}/rounds/{round_id}" + (f"?{query}" if query else "")


def _form_int(form: Any, name: str) -> int:
    raw = str(form.get(name, "") or "").strip()
    if not raw.isascii() or not raw.isdigit() or len(raw) > 10 or not 0 < int(raw) <= MAX_ID:
        raise Invalid("Some fields need attention.", fields={name: "Choose a request of this round."})
    return int(raw)


def _count_param(request: Request) -> int | None:
    raw = request.query_params.get("n", "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 6 else None


# --- rounds list ---------------------------------------------------------------------------

async def rounds_index(request: Request) -> Response:
    require_organiser(request)
    summaries = await list_rounds()
    return render(request, "twinning/organiser_rounds.html", {
        "summaries": summaries, "mode_labels": MODE_LABELS, "deadline_text": deadline_text,
        "twinning_statuses": [s.value for s in TwinningStatus]})


# --- round form ----------------------------------------------------------------------------

def _round_form(request: Request, *, values: dict[str, str], round_id: int | None = None, title: str = "",
                errors: dict[str, str] | None = None, message: str = "", status_code: int = 200) -> Response:
    return render(request, "twinning/organiser_round_form.html", {
        "round_id": round_id, "round_title": title, "form": values, "errors": errors or {},
        "message": message, "mode_labels": MODE_LABELS, "weight_rows": weight_rows(),
    }, status_code=status_code)


async def new_round(request: Request) -> Response:
    require_organiser(request)
    return _round_form(request, values=blank_round_values())


async def create_round_submit(request: Request) -> Response:
    user = require_organiser(request)
    form = await read_form(request)
    values = round_form_values(form)
    try:
        round_ = await create_round(data=parse_round_form(values), actor=user)
    except Invalid as exc:
        return _round_form(request, values=values, errors=exc.fields, message=exc.message, status_code=422)
    return RedirectResponse(_round_url(round_.id, "created"), status_code=303)


async def edit_round(request: Request) -> Response:
    require_organiser(request)
    round_ = await get_round(round_id=_round_id(request))
    return _round_form(request, values=round_values(round_), round_id=round_.id, title=round_.title)


async def edit_round_submit(request: Request) -> Response:
    require_organiser(request)
    form = await read_form(request)
    round_ = await get_round(round_id=_round_id(request))
    values = round_form_values(form)
    try:
        await update_round(round_id=round_.id, data=parse_round_form(values))
    except (Invalid, Conflict) as exc:
        return _round_form(request, values=values, round_id=round_.id, title=round_.title, errors=exc.fields,
                           message=exc.message, status_code=exc.status_code)
    return RedirectResponse(_round_url(round_.id, "saved"), status_code=303)


# --- the round's working page ------------------------------------------------------------------

async def _round_page(request: Request, round_id: int, *, notice: str = "", error: Invalid | Conflict | None = None,
                      visit: tuple[int, dict[str, str], dict[str, str]] | None = None,
                      block: str | None = None, status_code: int = 200) -> Response:
    view = await view_proposals(round_id=round_id)
    round_ = view.round
    runs = await list_runs(round_id=round_id)
    topics = {t.slug: t.name for t in await list_topics(active_only=False)}
    groups = {g.slug: g.name for g in await list_interest_groups(active_only=False)}
    status = effective_status(round_)
    requests = sorted(view.requests.values(), key=lambda r: r.id)
    pinned = {tuple(sorted(p)) for p in round_.pinned or []}
    forbidden = {tuple(sorted(p)) for p in round_.forbidden or []}
    proposals = sorted(view.proposals, key=lambda p: not p.pinned)  # pinned pairs first, else the engine's order
    visit_forms: dict[int, dict[str, Any]] = {}
    for t in view.twinnings:
        planned = t.study_visit is not None and t.study_visit.status != "cancelled"
        if t.status in (TwinningStatus.ACCEPTED, TwinningStatus.COMPLETED) and not planned:
            a, b = view.requests[t.a_id], view.requests[t.b_id]  # type: ignore[attr-defined]
            visit_forms[t.id] = {"values": blank_visit_values(a.organisation.name, b.organisation.name),
                                 "errors": {}, "open": False}
    if visit is not None:
        twinning_id, values, errors = visit
        visit_forms[twinning_id] = {"values": values, "errors": errors, "open": True}
    can_run = status in (RoundStatus.MATCHING, RoundStatus.SHORTLISTING, RoundStatus.PUBLISHED)
    to_publish = (await preview_publish(round_id=round_id)).emails if runs and can_run else 0
    context = {
        "view": view, "round": round_, "status": status, "deadline": deadline_text(round_),
        "to_publish": to_publish,
        "mode_labels": MODE_LABELS, "runs": runs, "latest": runs[0] if runs else None,
        "requests": requests, "topics": topics, "groups": groups, "maturity": MATURITY_LABELS,
        "has_rankings": any(r.ranking is not None for r in requests),
        "pinned": pinned, "forbidden": forbidden, "proposals": proposals,
        "pair_key": lambda a, b: tuple(sorted((a, b))), "ordinal": ordinal, "segments": part_segments,
        "readable": readable_reasons,
        "part_labels": PART_LABELS, "visit_forms": visit_forms, "visit_zones": visit_zones,
        "notice": notice, "error": error, "base": f"{BASE}/rounds/{round_.id}",
        "fragment": block is not None and is_htmx(request), "languages": language_names(),
        "can_run": can_run,
        "can_shortlist": status in (RoundStatus.MATCHING, RoundStatus.SHORTLISTING),
    }
    return render(request, "twinning/organiser_round.html", context, block=block, status_code=status_code,
                  headers=RESPONSE_HEADERS)


async def round_page(request: Request) -> Response:
    require_organiser(request)
    done = request.query_params.get("done", "")
    notice = ROUND_NOTICES.get(done, "")
    n = _count_param(request)
    if done == "shortlists" and n is not None:
        notice = f"Shortlists are on their way to {n} authorit{'y' if n == 1 else 'ies'}."
    elif done == "published" and n is not None:
        notice = (f"Published: {n} email{'' if n == 1 else 's'} queued, one per authority: an introduction to "
                  "each newly paired one, a note to each one left without a partner.")
    return await _round_page(request, _round_id(request), notice=notice)


Done = tuple[str, dict[str, Any]]


async def _act(request: Request, action: Callable[[int], Awaitable[Done]], *, block: str | None = None) -> Response:
    """Run one change on the round (the caller checked the sign-in and read the form); then
    redirect back with a notice, or show the page again with the service's message."""
    round_id = _round_id(request)
    await get_round(round_id=round_id)  # 404 before anything else
    try:
        done, extra = await action(round_id)
    except (Invalid, Conflict) as exc:
        return await _round_page(request, round_id, error=exc, status_code=exc.status_code,
                                 block=block if is_htmx(request) else None)
    if block and is_htmx(request):
        return await _round_page(request, round_id, notice=ROUND_NOTICES.get(done, ""), block=block)
    return RedirectResponse(_round_url(round_id, done, **extra), status_code=303)


async def close_submit(request: Request) -> Response:
    require_organiser(request)
    await read_form(request)

    async def action(round_id: int) -> Done:
        await close_requests(round_id=round_id)
        return "closed", {}

    return await _act(request, action)


async def finish_submit(request: Request) -> Response:
    require_organiser(request)
    await read_form(request)

    async def action(round_id: int) -> Done:
        await close_round(round_id=round_id)
        return "finished", {}

    return await _act(request, action)


async def run_submit(request: Request) -> Response:
    user = require_organiser(request)
    form = await read_form(request)
    stable = form.get("stable") == "1"

    async def action(round_id: int) -> Done:
        await run_matching(round_id=round_id, data=MatchInput(stable=stable), actor=user)
        return ("stable" if stable else "run"), {}

    return await _act(request, action)


async def shortlists_submit(request: Request) -> Response:
    require_organiser(request)
    await read_form(request)

    async def action(round_id: int) -> Done:
        return "shortlists", {"n": await send_shortlists(round_id=round_id)}

    return await _act(request, action)


async def pair_submit(request: Request) -> Response:
    require_organiser(request)
    form = await read_form(request)
    rule = str(form.get("rule", ""))
    on = form.get("on") == "1"

    async def action(round_id: int) -> Done:
        if rule not in ("pinned", "forbidden"):
            raise Invalid("Choose to pin or to forbid the pair.", fields={"rule": "Pin or forbid."})
        a, b = _form_int(form, "a"), _form_int(form, "b")
        await set_pair_rule(round_id=round_id, a=a, b=b, rule=rule, on=on)
        return PAIR_NOTICES[(rule, on)], {}

    return await _act(request, action, block="proposals")


async def twinning_status_submit(request: Request) -> Response:
    require_organiser(request)
    form = await read_form(request)
    twinning_id = id_or_404(request.path_params["twinning_id"], "twinning")
    chosen = STATUS_ACTIONS.get(str(form.get("status", "")))

    async def action(round_id: int) -> Done:
        if chosen is None:
            raise Invalid("Choose completed, cancelled or running.", fields={"status": "Choose a status."})
        await set_twinning_status(round_id=round_id, twinning_id=twinning_id, status=chosen[0])
        return chosen[1], {}

    return await _act(request, action)


async def visit_submit(request: Request) -> Response:
    require_organiser(request)
    form = await read_form(request)
    round_id = _round_id(request)
    twinning_id = id_or_404(request.path_params["twinning_id"], "twinning")
    await get_round(round_id=round_id)
    values = visit_form_values(form)
    try:
        await plan_study_visit(twinning_id=twinning_id, data=parse_visit_form(values), round_id=round_id)
    except Invalid as exc:
        return await _round_page(request, round_id, visit=(twinning_id, values, exc.fields), error=exc,
                                 status_code=422)
    except Conflict as exc:
        return await _round_page(request, round_id, error=exc, status_code=exc.status_code)
    return RedirectResponse(_round_url(round_id, "visit") + f"#twinning-{twinning_id}", status_code=303)


# --- publishing (with a confirmation step) -------------------------------------------------------

async def publish_page(request: Request) -> Response:
    require_organiser(request)
    round_ = await get_round(round_id=_round_id(request))
    preview, error = None, None
    try:
        preview = await preview_publish(round_id=round_.id)
    except Conflict as exc:
        error = exc
    return render(request, "twinning/organiser_publish.html", {
        "round": round_, "preview": preview, "error": error, "base": f"{BASE}/rounds/{round_.id}",
    }, status_code=error.status_code if error else 200)


async def publish_submit(request: Request) -> Response:
    require_organiser(request)
    form = await read_form(request)
    raw = str(form.get("run", "") or "")

    async def action(round_id: int) -> Done:
        number = id_or_404(raw, "run") if raw else None
        published = await publish_run(round_id=round_id, run_number=number)
        return "published", {"n": published.emails}

    return await _act(request, action)


# --- run history, comparison and downloads ---------------------------------------------------------

def _run_number(value: str) -> int | None:
    value = value.strip()
    return int(value) if value.isascii() and value.isdigit() and 0 < len(value) <= 9 and int(value) > 0 else None


async def runs_page(request: Request) -> Response:
    require_organiser(request)
    round_ = await get_round(round_id=_round_id(request))
    runs = await list_runs(round_id=round_.id)
    raw_a, raw_b = request.query_params.get("a", ""), request.query_params.get("b", "")
    comparison, error, status_code = None, "", 200
    if raw_a or raw_b:
        a, b = _run_number(raw_a), _run_number(raw_b)
        by_number = {run.number: run for run in runs}
        if a is None or b is None or a not in by_number or b not in by_number:
            error, status_code = "Choose two runs of this round to compare.", 404
        else:
            comparison = compare_runs(by_number[a], by_number[b])
    if runs:  # the compare form starts at the newest run against the one before
        raw_a = raw_a or str(runs[1].number if len(runs) > 1 else runs[0].number)
        raw_b = raw_b or str(runs[0].number)
    names: dict[int, str] = {}
    if comparison is not None:
        view = await view_proposals(round_id=round_.id)
        names = {r.id: r.organisation.name for r in view.requests.values()}
    return render(request, "twinning/organiser_runs.html", {
        "round": round_, "runs": runs, "comparison": comparison, "names": names, "error": error,
        "selected": (raw_a, raw_b), "base": f"{BASE}/rounds/{round_.id}",
    }, status_code=status_code)


async def _download(request: Request, part: str) -> Response:
    require_organiser(request)
    round_id = _round_id(request)
    number = id_or_404(request.path_params["run_id"], "run")
    run = await get_run(round_id=round_id, number=number)
    body = json.dumps(getattr(run, part), ensure_ascii=False, indent=2) + "\n"
    filename = f"twinning-round-{round_id}-run-{run.number}-{part}.json"
    return Response(body, media_type="application/json; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


async def run_input(request: Request) -> Response:
    return await _download(request, "input")


async def run_output(request: Request) -> Response:
    return await _download(request, "output")


# --- the picture ---------------------------------------------------------------------------------

async def picture_page(request: Request) -> Response:
    require_organiser(request)
    view = await view_proposals(round_id=_round_id(request))
    nodes, edges = picture_of(view)
    unpaired = sorted((n for n in nodes if not n.paired), key=lambda n: n.label.casefold())
    return render(request, "twinning/organiser_picture.html", {
        "round": view.round, "run": view.run, "nodes": nodes, "edges": edges, "unpaired": unpaired,
        "network": network_svg(nodes, edges, height=NETWORK_MIN_HEIGHT), "map": map_svg(nodes, edges),
        "legend": legend_items(),
        "base": f"{BASE}/rounds/{view.round.id}",
    })


routes = [
    Route(BASE, rounds_index, name="twinning_rounds"),
    Route(f"{BASE}/rounds/new", new_round, name="twinning_new_round"),
    Route(f"{BASE}/rounds/new", create_round_submit, methods=["POST"], name="twinning_create_round"),
    Route(f"{BASE}/rounds/{{id}}", round_page, name="twinning_round"),
    Route(f"{BASE}/rounds/{{id}}/edit", edit_round, name="twinning_edit_round"),
    Route(f"{BASE}/rounds/{{id}}/edit", edit_round_submit, methods=["POST"], name="twinning_update_round"),
    Route(f"{BASE}/rounds/{{id}}/close", close_submit, methods=["POST"], name="twinning_close_requests"),
    Route(f"{BASE}/rounds/{{id}}/finish", finish_submit, methods=["POST"], name="twinning_finish_round"),
    Route(f"{BASE}/rounds/{{id}}/run", run_submit, methods=["POST"], name="twinning_run"),
    Route(f"{BASE}/rounds/{{id}}/shortlists", shortlists_submit, methods=["POST"], name="twinning_shortlists"),
    Route(f"{BASE}/rounds/{{id}}/pairs", pair_submit, methods=["POST"], name="twinning_pair_rule"),
    Route(f"{BASE}/rounds/{{id}}/publish", publish_page, name="twinning_publish_confirm"),
    Route(f"{BASE}/rounds/{{id}}/publish", publish_submit, methods=["POST"], name="twinning_publish"),
    Route(f"{BASE}/rounds/{{id}}/twinnings/{{twinning_id}}/status", twinning_status_submit, methods=["POST"],
          name="twinning_status"),
    Route(f"{BASE}/rounds/{{id}}/twinnings/{{twinning_id}}/visit", visit_submit, methods=["POST"],
          name="twinning_plan_visit"),
    Route(f"{BASE}/rounds/{{id}}/runs", runs_page, name="twinning_runs"),
    # run_id: the run's number within the round (1, 2, ...)
    Route(f"{BASE}/rounds/{{id}}/runs/{{run_id}}/input.json", run_input, name="twinning_run_input"),
    Route(f"{BASE}/rounds/{{id}}/runs/{{run_id}}/output.json", run_output, name="twinning_run_output"),
    Route(f"{BASE}/rounds/{{id}}/picture", picture_page, name="twinning_picture"),
]
