"""The authorities' twinning pages: open rounds, the request form, and each request's private link page.

No password: a request is reached only through the link emailed to its contact person.
Every change is a POST (a link scanner that only GETs never confirms, withdraws or
answers anything); the private pages are never cached and send no referrer.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from events_app.errors import Invalid, NotFound, RateLimited, ServiceError
from events_app.events.models import EventStatus
from events_app.organisations.models import ORGANISATION_KIND_LABELS
from events_app.twinning.catalogue import list_interest_groups, list_topics
from events_app.twinning.models import (
    Answer,
    RequestStatus,
    RoundMode,
    RoundStatus,
    Twinning,
    TwinningRequest,
    TwinningStatus,
)
from events_app.twinning.public_forms import (
    EU_LANGUAGES,
    MATURITY_LABELS,
    blank_request_values,
    blank_visit_values,
    field_label,
    form_errors,
    ordered_errors,
    parse_ranking,
    parse_request_values,
    parse_visit,
    ranking_values,
    request_form_values,
    request_values,
    visit_errors,
    visit_form_values,
    visit_zones,
)
from events_app.twinning.publish import (
    answer_twinning,
    save_ranking,
    shared_contact,
    twinnings_of_request,
)
from events_app.twinning.reasons import plain_reasons
from events_app.twinning.requests import (
    confirm_request,
    find_request_by_token,
    submit_request,
    update_request,
    withdraw_request,
)
from events_app.twinning.rounds import (
    deadline_text,
    effective_status,
    get_round,
    is_open,
    list_open_rounds,
)
from events_app.twinning.schemas import MAX_CAPACITY, RequestEdit, RequestInput, language_names
from events_app.twinning.visits import plan_study_visit
from events_app.validation import country_names
from events_app.web import read_form, render

MAX_ID = 2**31 - 1
PRIVATE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex, nofollow"}
MODE_TEXT = {
    RoundMode.MENTORING: "Mentoring: an experienced authority helps one that is starting.",
    RoundMode.PEER: "Peers: two authorities at a similar stage learn from each other.",
}
NOTICES = {
    "confirmed": "Thank you: your request is confirmed. It takes part in the matching.",
    "saved": "Your changes are saved.",
    "withdrawn": "Your request is withdrawn. It takes no part in the matching.",
    "ranked": "Your ranking is saved. You can change it until the organisers run the matching.",
    "accepted": "You accepted the twinning. We email you when your twin has answered too.",
    "declined": "You declined the twinning. You are free for the next matching.",
    "visit": "Your study visit is planned. Both contact people received a calendar invite by email.",
}


def _id(request: Request, name: str) -> int:
    """An id from the path (untyped in the route, so that a CSRF failure is reported before a bad id)."""
    raw = request.path_params[name]
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 10) or not 0 < int(raw) <= MAX_ID:
        raise NotFound("This page does not exist." if name == "round_id" else "This link has no such twinning.")
    return int(raw)


def _client(request: Request) -> str:
    return request.client.host if request.client else "-"


async def _form_options() -> dict[str, Any]:
    topics = await list_topics()
    languages = language_names()
    return {
        "topics": topics,
        "groups": await list_interest_groups(),
        "eu_languages": {code: languages[code] for code in sorted(EU_LANGUAGES, key=lambda c: languages[c])},
        "other_languages": {code: name for code, name in languages.items() if code not in EU_LANGUAGES},
        "maturity_labels": MATURITY_LABELS,
        "kind_labels": {kind.value: label for kind, label in ORGANISATION_KIND_LABELS.items()},
        "countries": country_names(),
        "max_capacity": MAX_CAPACITY,
    }


def _labels(errors: dict[str, str], topic_names: dict[str, str]) -> dict[str, str]:
    return {key: field_label(key, topic_names) for key in errors}


# --- open rounds ---------------------------------------------------------------------------

async def rounds_page(request: Request) -> Response:
    rounds = await list_open_rounds()
    return render(request, "twinning/public_rounds.html", {
        "rounds": [{"round": r, "mode": MODE_TEXT[RoundMode(r.mode)], "deadline": deadline_text(r)} for r in rounds]})


# --- the request form ----------------------------------------------------------------------

async def _request_form(request: Request, *, values: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
                        message: str = "", status_code: int = 200) -> Response:
    round_ = await get_round(round_id=_id(request, "round_id"))
    options = await _form_options()
    topic_names = {t.slug: t.name for t in options["topics"]}
    errors = ordered_errors(errors or {}, list(topic_names))
    return render(request, "twinning/public_request_form.html", {
        "round": round_, "open": is_open(round_), "mode": MODE_TEXT[RoundMode(round_.mode)],
        "deadline": deadline_text(round_), "form": values or blank_request_values(RoundMode(round_.mode)),
        "errors": errors, "labels": _labels(errors, topic_names), "message": message, **options,
    }, status_code=status_code)


async def request_form(request: Request) -> Response:
    return await _request_form(request)


async def submit_request_form(request: Request) -> Response:
    form = await read_form(request)
    round_id = _id(request, "round_id")
    values = request_form_values(form, identity=True)
    topics = {t.slug for t in await list_topics()}
    try:
        request.app.state.limiter.hit(f"twinning-request:{_client(request)}", weight=10)
        data = parse_request_values(values, identity=True, topics=topics)
        assert isinstance(data, RequestInput)
        await submit_request(round_id=round_id, data=data)
    except Invalid as exc:
        return await _request_form(request, values=values, errors=form_errors(exc.fields, topics),
                                   message=exc.message, status_code=exc.status_code)
    except RateLimited as exc:
        return await _request_form(request, values=values, message=exc.message, status_code=exc.status_code)
    except ServiceError as exc:
        if exc.status_code == 404:
            raise
        return await _request_form(request, values=values, message=exc.message, status_code=exc.status_code)
    # The same page whether the authority had a request already or not: the link goes by
    # email to the address given, where only its owner reads it.
    round_ = await get_round(round_id=round_id)
    return render(request, "twinning/public_check_email.html", {"round": round_, "email": data.contact_email})


# --- the private page ----------------------------------------------------------------------

def _partner_role(mode: str, partner: TwinningRequest) -> str:
    if mode != RoundMode.MENTORING:
        return "Peer"
    return "Your mentor" if partner.role == "mentor" else "Your mentee"


async def _shortlist(own: TwinningRequest, sent: dict[str, str] | None) -> tuple[list[dict[str, Any]], list[str] | None]:
    """The shortlist rows (place: as sent, as saved, or the suggested order) and the saved ranking's names."""
    ids = list(own.shortlist or [])
    found = {r.id: r for r in await TwinningRequest.filter(id__in=ids).prefetch_related("organisation")}
    countries = country_names()
    saved = None if own.ranking is None else list(own.ranking)
    rows = []
    for n, ident in enumerate(ident for ident in ids if ident in found):
        organisation = found[ident].organisation
        if sent is not None:
            place = sent.get(f"rank-{ident}", "")
        elif saved is not None:
            place = str(saved.index(ident) + 1) if ident in saved else ""
        else:
            place = str(n + 1)
        rows.append({"id": ident, "name": organisation.name,
                     "country": countries.get(organisation.country, organisation.country), "place": place})
    names = {row["id"]: f"{row['name']} ({row['country']})" for row in rows}
    return rows, None if saved is None else [names[i] for i in saved if i in names]


def _twinning_view(own: TwinningRequest, twinning: Twinning, partner: TwinningRequest,
                   visit_values: dict[int, dict[str, str]], names: dict[str, dict[str, str]]) -> dict[str, Any]:
    side = "a" if twinning.a_id == own.id else "b"  # type: ignore[attr-defined]
    other = "b" if side == "a" else "a"
    visit = twinning.study_visit
    if visit is not None and visit.status == EventStatus.CANCELLED:
        visit = None
    status = TwinningStatus(twinning.status)
    live = status in (TwinningStatus.PROPOSED, TwinningStatus.ACCEPTED, TwinningStatus.COMPLETED)
    countries = country_names()
    return {
        "twinning": twinning, "partner": partner, "status": status.value,
        "partner_name": partner.organisation.name,
        "partner_country": countries.get(partner.organisation.country, partner.organisation.country),
        "role": _partner_role(str(own.round.mode), partner),
        "reasons": plain_reasons(own, partner, names, mode=own.round.mode),
        "own_answer": Answer(getattr(twinning, f"{side}_answer")).value,
        "partner_answer": Answer(getattr(twinning, f"{other}_answer")).value,
        "contact": shared_contact(own.contact, partner.contact) if live else None,
        "visit": visit,
        "can_plan": status in (TwinningStatus.ACCEPTED, TwinningStatus.COMPLETED) and visit is None,
        "visit_open": twinning.id in visit_values,
        "visit_form": visit_values.get(twinning.id) or blank_visit_values(
            f"Study visit: {own.organisation.name} and {partner.organisation.name}"[:200]),
    }


async def _private_page(request: Request, *, values: dict[str, Any] | None = None,
                        errors: dict[str, str] | None = None, message: str = "", status_code: int = 200,
                        visit_values: dict[int, dict[str, str]] | None = None,
                        ranking: dict[str, str] | None = None) -> Response:
    token = request.path_params["token"]
    own = await find_request_by_token(token=token)
    round_ = own.round
    options = await _form_options()
    all_topics = {t.slug: t.name for t in await list_topics(active_only=False)}
    all_groups = {g.slug: g.name for g in await list_interest_groups(active_only=False)}
    errors = ordered_errors(errors or {}, [t.slug for t in options["topics"]])
    status = effective_status(round_)
    shortlist, saved_ranking = None, None
    if status == RoundStatus.SHORTLISTING and own.shortlist is not None:
        shortlist, saved_ranking = await _shortlist(own, ranking)
    languages = language_names()
    names = {"topics": all_topics, "groups": all_groups, "languages": languages}
    twinnings = [_twinning_view(own, t, partner, visit_values or {}, names)
                 for t, partner in await twinnings_of_request(request=own)]
    notice = "" if errors or message else NOTICES.get(request.query_params.get("done", ""), "")
    return render(request, "twinning/request_page.html", {
        "token": token, "own": own, "round": round_, "contact": own.contact, "organisation": own.organisation,
        "status": RequestStatus(own.status).value, "round_status": status.value, "open": is_open(round_),
        "mode": MODE_TEXT[RoundMode(round_.mode)], "deadline": deadline_text(round_),
        "form": values or request_values(own, own.contact), "errors": errors,
        "labels": _labels(errors, all_topics), "message": message, "notice": notice,
        "topic_names": all_topics, "group_names": all_groups, "language_names": languages,
        "shortlist": shortlist, "saved_ranking": saved_ranking,
        "twinnings": twinnings, "zones": visit_zones(), **options,
    }, status_code=status_code, headers=PRIVATE_HEADERS)


def _back(request: Request, done: str) -> Response:
    return RedirectResponse(f"/twinning/requests/{request.path_params['token']}?done={done}", status_code=303)


async def request_page(request: Request) -> Response:
    return await _private_page(request)


async def confirm(request: Request) -> Response:
    await read_form(request)
    try:
        await confirm_request(token=request.path_params["token"])
    except ServiceError as exc:
        return await _private_page(request, message=exc.message, status_code=exc.status_code)
    return _back(request, "confirmed")


async def edit(request: Request) -> Response:
    form = await read_form(request)
    values = request_form_values(form, identity=False)
    topics = {t.slug for t in await list_topics()}
    try:
        data = parse_request_values(values, identity=False, topics=topics)
        assert isinstance(data, RequestEdit)
        await update_request(token=request.path_params["token"], data=data)
    except ServiceError as exc:
        return await _private_page(request, values=values, errors=form_errors(exc.fields, topics),
                                   message=exc.message, status_code=exc.status_code)
    return _back(request, "saved")


async def withdraw_page(request: Request) -> Response:
    own = await find_request_by_token(token=request.path_params["token"])
    return render(request, "twinning/request_withdraw.html", {
        "token": request.path_params["token"], "own": own, "round": own.round, "open": is_open(own.round),
        "deadline": deadline_text(own.round), "withdrawn": own.status == RequestStatus.WITHDRAWN,
    }, headers=PRIVATE_HEADERS)


async def withdraw(request: Request) -> Response:
    await read_form(request)
    try:
        await withdraw_request(token=request.path_params["token"])
    except ServiceError as exc:
        return await _private_page(request, message=exc.message, status_code=exc.status_code)
    return _back(request, "withdrawn")


async def rank(request: Request) -> Response:
    form = await read_form(request)
    token = request.path_params["token"]
    values = ranking_values(form)
    own = await find_request_by_token(token=token)
    try:
        ranking = parse_ranking(values, list(own.shortlist or []))
        await save_ranking(token=token, ranking=ranking)
    except ServiceError as exc:
        errors = {}
        for key, text in exc.fields.items():
            errors.setdefault(key if key.startswith("rank-") else "ranking", text)
        return await _private_page(request, errors=errors, message=exc.message, status_code=exc.status_code,
                                   ranking=values)
    return _back(request, "ranked")


async def answer(request: Request) -> Response:
    form = await read_form(request)
    choice = form.get("answer")
    reason = form.get("reason", "")
    try:
        twinning_id = _id(request, "twinning_id")
        if choice not in ("accept", "decline"):
            raise Invalid("Choose accept or decline.", fields={"answer": "Choose accept or decline."})
        await answer_twinning(token=request.path_params["token"], twinning_id=twinning_id, accept=choice == "accept",
                              reason=reason if isinstance(reason, str) else "")
    except ServiceError as exc:
        return await _private_page(request, message=exc.message, status_code=exc.status_code)
    return _back(request, "accepted" if choice == "accept" else "declined")


async def plan_visit(request: Request) -> Response:
    form = await read_form(request)
    token = request.path_params["token"]
    values = visit_form_values(form)
    own = await find_request_by_token(token=token)
    twinning_id = 0
    try:
        twinning_id = _id(request, "twinning_id")
        data = parse_visit(values, twinning_id)
        await plan_study_visit(twinning_id=twinning_id, data=data, request_id=own.id)
    except Invalid as exc:
        errors = exc.fields if all(k.startswith("visit-") for k in exc.fields) else visit_errors(exc.fields, twinning_id)
        return await _private_page(request, errors=errors, message=exc.message, status_code=exc.status_code,
                                   visit_values={twinning_id: values})
    except ServiceError as exc:
        return await _private_page(request, message=exc.message, status_code=exc.status_code,
                                   visit_values={twinning_id: values})
    return _back(request, "visit")


routes = [
    Route("/twinning", rounds_page, name="twinning_public"),
    Route("/twinning/rounds/{round_id}/request", request_form, name="twinning_request_form"),
    Route("/twinning/rounds/{round_id}/request", submit_request_form, methods=["POST"],
          name="twinning_request_submit"),
    Route("/twinning/requests/{token}", request_page, name="twinning_request"),
    Route("/twinning/requests/{token}/confirm", confirm, methods=["POST"], name="twinning_request_confirm"),
    Route("/twinning/requests/{token}/edit", edit, methods=["POST"], name="twinning_request_edit"),
    Route("/twinning/requests/{token}/withdraw", withdraw_page, name="twinning_request_withdraw_page"),
    Route("/twinning/requests/{token}/withdraw", withdraw, methods=["POST"], name="twinning_request_withdraw"),
    Route("/twinning/requests/{token}/ranking", rank, methods=["POST"], name="twinning_request_ranking"),
    Route("/twinning/requests/{token}/twinnings/{twinning_id}/answer", answer, methods=["POST"],
          name="twinning_answer"),
    Route("/twinning/requests/{token}/twinnings/{twinning_id}/visit", plan_visit, methods=["POST"],
          name="twinning_visit"),
]
