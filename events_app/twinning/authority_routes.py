"""The organiser's view of the authorities in the twinning programme: profiles, contacts and history."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from events_app.auth.access import require_organiser
from events_app.errors import Invalid, NotFound
from events_app.twinning.catalogue import list_interest_groups, list_topics
from events_app.twinning.profiles import (
    get_authority,
    list_authorities,
    update_profile,
    withdraw_contact_consent,
)
from events_app.twinning.public_forms import EU_LANGUAGES
from events_app.twinning.schemas import ProfileInput, language_names
from events_app.validation import country_names, parse
from events_app.web import read_form, render

BASE = "/organiser/twinning/authorities"
MATURITY = {"1": "started", "2": "practising", "3": "advanced"}
NOTICES = {"saved": "The profile is saved.",
           "consent": "The person's details will no longer be shared with twins."}


def _id(value: str) -> int:
    if not value.isascii() or not value.isdigit() or not 0 < int(value[:12]) <= 2**31 - 1:
        raise NotFound("No such authority in the twinning programme.")
    return int(value)


def _page_number(value: str | None) -> int:
    return int(value) if value and value.isascii() and value.isdigit() and len(value) < 7 else 1


async def authorities_index(request: Request) -> Response:
    require_organiser(request)
    q = request.query_params
    search, country, topic = q.get("q", ""), q.get("country", ""), q.get("topic", "")
    page = await list_authorities(search=search, country=country, topic=topic, page=_page_number(q.get("page")))
    return render(request, "twinning/organiser_authorities.html", {
        "page": page, "search": search, "country": country, "topic": topic,
        "countries": country_names(), "topics": await list_topics(active_only=False), "maturity": MATURITY,
    })


async def _authority_page(request: Request, organisation_id: int, *, values: dict[str, object] | None = None,
                          errors: dict[str, str] | None = None, message: str = "", status_code: int = 200) -> Response:
    authority = await get_authority(organisation_id=organisation_id)
    profile = authority.profile
    form = values or {"languages": list(profile.languages or []), "size": profile.size or "",
                      "offers": {k: str(v) for k, v in (profile.topics or {}).items()},
                      "interest_groups": list(profile.interest_groups or [])}
    return render(request, "twinning/organiser_authority.html", {
        "authority": authority, "form": form, "errors": errors or {}, "message": message,
        "notice": NOTICES.get(request.query_params.get("done", ""), ""),
        "topics": await list_topics(active_only=False), "groups": await list_interest_groups(active_only=False),
        "languages": language_names(), "countries": country_names(), "maturity": MATURITY,
        "eu_languages": EU_LANGUAGES,
    }, status_code=status_code)


async def authority_page(request: Request) -> Response:
    require_organiser(request)
    return await _authority_page(request, _id(request.path_params["id"]))


def _profile_values(form: object) -> dict[str, object]:
    get = form.get  # type: ignore[attr-defined]
    getlist = form.getlist  # type: ignore[attr-defined]
    offers = {}
    for key in form.keys():  # type: ignore[attr-defined]
        if key.startswith("offer-") and get(key) in MATURITY:
            offers[key.removeprefix("offer-")] = str(get(key))
    return {"languages": [str(v) for v in getlist("languages") if v],
            "size": str(get("size") or "").strip(), "offers": offers,
            "interest_groups": [str(v) for v in getlist("interest_groups")]}


async def profile_submit(request: Request) -> Response:
    require_organiser(request)
    form = await read_form(request)
    organisation_id = _id(request.path_params["id"])
    values = _profile_values(form)
    data = {**values, "size": values["size"] or None,
            "offers": {k: int(v) for k, v in values["offers"].items()}}  # type: ignore[attr-defined]
    try:
        await update_profile(organisation_id=organisation_id, data=parse(ProfileInput, data))
    except Invalid as exc:
        return await _authority_page(request, organisation_id, values=values, errors=exc.fields,
                                     message=exc.message, status_code=422)
    return RedirectResponse(f"{BASE}/{organisation_id}?done=saved", status_code=303)


async def consent_submit(request: Request) -> Response:
    require_organiser(request)
    await read_form(request)
    organisation_id = _id(request.path_params["id"])
    await withdraw_contact_consent(organisation_id=organisation_id, contact_id=_id(request.path_params["contact_id"]))
    return RedirectResponse(f"{BASE}/{organisation_id}?done=consent", status_code=303)


routes = [
    Route(BASE, authorities_index, name="twinning_authorities"),
    Route(f"{BASE}/{{id}}", authority_page, name="twinning_authority"),
    Route(f"{BASE}/{{id}}/profile", profile_submit, methods=["POST"], name="twinning_authority_profile"),
    Route(f"{BASE}/{{id}}/contacts/{{contact_id}}/withdraw-consent", consent_submit, methods=["POST"],
          name="twinning_contact_consent"),
]
