"""The authorities' twinning forms: submitted strings in, schemas (or errors keyed by form field) out.

Error keys are the ids of the form controls without their ``f-`` prefix, so that the
error summary at the top of a page links to the field: ``organisation``, ``languages``,
``topics`` (the topic table), ``offer-<slug>`` (one topic's level), ``rank-<id>``,
``visit-<twinning id>-<field>``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from starlette.datastructures import FormData

from events_app.errors import Invalid
from events_app.organiser.forms import _local_time, time_zone_groups
from events_app.twinning.models import AuthorityContact, RequestRole, RoundMode, TwinningRequest
from events_app.twinning.schemas import MAX_CAPACITY, RequestEdit, RequestInput, StudyVisitInput
from events_app.validation import parse

# The 24 official languages of the European Union (ISO 639-1), shown first as tick boxes.
EU_LANGUAGES = ("bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "ga", "hr",
                "hu", "it", "lt", "lv", "mt", "nl", "pl", "pt", "ro", "sk", "sl", "sv")
MATURITY_LABELS = {"1": "Started", "2": "Practising", "3": "Advanced"}
IDENTITY_FIELDS = ("organisation", "organisation_kind", "country", "contact_name", "contact_email", "job_title")
PROFILE_FIELDS = ("role", "size", "capacity", "motivation")
VISIT_FIELDS = ("title", "starts_at", "ends_at", "timezone", "venue_name", "venue_address", "description")
MAX_VALUE = 5000
MAX_ITEMS = 60

# Shown in the error summary (other keys show their own label, see field_label()).
FIELD_LABELS = {
    "organisation": "Authority", "organisation_kind": "Kind of authority", "country": "Country",
    "contact_name": "Your name", "contact_email": "Your work email", "job_title": "Job title",
    "consent_share": "Sharing your contact", "role": "Your role", "languages": "Working languages",
    "size": "Population served", "topics": "Topics", "interest_groups": "Interest groups",
    "capacity": "Number of mentees", "motivation": "Why you want a twin", "ranking": "Your ranking",
    "answer": "Your answer", "reason": "Reason",
}
VISIT_LABELS = {"title": "Title", "starts_at": "Starts", "ends_at": "Ends", "timezone": "Time zone",
                "venue_name": "Place", "venue_address": "Address", "description": "Programme"}

# Plain messages instead of the validator's wording, for the fields a form fills itself.
_PLAIN = {
    "organisation_kind": "Choose a kind from the list.",
    "country": "Choose a country from the list.",
    "contact_email": "Write a valid email address, such as name@city.example.",
    "role": "Choose your role.",
    "size": "Write a whole number from 1, such as 250000.",
    "capacity": f"Choose a number from 1 to {MAX_CAPACITY}.",
}
_LEVEL_MESSAGE = "Choose started, practising or advanced, or leave it empty."
_SEPARATORS = re.compile(r"[\s.,'’_\u00a0\u202f]")


FIELD_ORDER = (*IDENTITY_FIELDS, "role", "languages", "size", "topics", "offer-", "interest_groups", "capacity",
               "motivation", "consent_share")



def _digits(text: str, most: int) -> bool:
    """Plain ASCII digits, at most ``most`` of them ("²" and 5,000-digit numbers are not numbers here)."""
    return 0 < len(text) <= most and text.isascii() and text.isdigit()

def ordered_errors(errors: Mapping[str, str], topic_order: list[str]) -> dict[str, str]:
    """The errors in the order of the fields on the page (the summary lists them top to bottom)."""
    def place(key: str) -> tuple[int, int, str]:
        if key.startswith("offer-"):
            slug = key.removeprefix("offer-")
            return FIELD_ORDER.index("offer-"), topic_order.index(slug) if slug in topic_order else 999, key
        return (FIELD_ORDER.index(key) if key in FIELD_ORDER else len(FIELD_ORDER)), 0, key

    return dict(sorted(errors.items(), key=lambda item: place(item[0])))


def field_label(key: str, topic_names: Mapping[str, str]) -> str:
    if key.startswith("offer-"):
        return topic_names.get(key.removeprefix("offer-"), "Topic")
    if key.startswith("rank-"):
        return "Your ranking"
    if key.startswith("visit-"):
        return "Study visit: " + VISIT_LABELS.get(key.split("-", 2)[-1], "field")
    return FIELD_LABELS.get(key, key.replace("_", " ").capitalize())


def _text(form: FormData, name: str, limit: int = MAX_VALUE) -> str:
    value = form.get(name, "")
    return value[:limit] if isinstance(value, str) else ""


def _strings(form: FormData, name: str) -> list[str]:
    out: list[str] = []
    for value in form.getlist(name)[:MAX_ITEMS]:
        if isinstance(value, str) and value.strip() and value.strip()[:60] not in out:
            out.append(value.strip()[:60])
    return out


# --- the request form (public) and its edit form (private link) -------------------------------

def blank_request_values(mode: RoundMode) -> dict[str, Any]:
    return {"organisation": "", "organisation_kind": "municipality", "country": "", "contact_name": "",
            "contact_email": "", "job_title": "", "consent_share": False,
            "role": "peer" if mode == RoundMode.PEER else "", "languages": [], "size": "", "offers": {},
            "seeks": [], "interest_groups": [], "capacity": "1", "motivation": ""}


def request_values(request: TwinningRequest, contact: AuthorityContact) -> dict[str, Any]:
    """A stored request as the strings its edit form starts from."""
    return {"role": RequestRole(request.role).value,
            "languages": list(request.languages), "size": "" if request.size is None else str(request.size),
            "offers": {slug: str(level) for slug, level in request.offers.items()},
            "seeks": list(request.seeks), "interest_groups": list(request.interest_groups),
            "capacity": str(request.capacity), "motivation": request.motivation,
            # before confirmation the person's answer waits on the request (see requests._pending)
            "consent_share": (request.pending or {}).get("consent_share", contact.consent_share)}


def request_form_values(form: FormData, *, identity: bool) -> dict[str, Any]:
    """The submitted request form, as it is shown again beside its errors."""
    values: dict[str, Any] = {name: _text(form, name) for name in PROFILE_FIELDS}
    if identity:
        values.update({name: _text(form, name, 1000) for name in IDENTITY_FIELDS})
    languages = [code.lower() for code in _strings(form, "languages") + _strings(form, "other_languages")]
    values["languages"] = list(dict.fromkeys(languages))
    values["offers"] = {key.removeprefix("offer-")[:60]: value[:10] for key, value in form.multi_items()
                        if key.startswith("offer-") and isinstance(value, str) and value.strip()}
    values["seeks"] = _strings(form, "seeks")
    values["interest_groups"] = _strings(form, "interest_groups")
    values["consent_share"] = form.get("consent_share") == "yes"
    return values


def error_key(name: str, topics: set[str] | frozenset[str] = frozenset()) -> str:
    """The form control a schema or service error belongs to (see the module docstring)."""
    head, _, rest = name.partition(".")
    if head == "offers":
        return f"offer-{rest}" if rest in topics else "topics"
    if head == "seeks":
        return "topics"
    if head in ("languages", "interest_groups"):
        return head
    if head.startswith("ranking"):
        return "ranking"
    return head


def form_errors(fields: Mapping[str, str], topics: set[str] | frozenset[str] = frozenset()) -> dict[str, str]:
    """Service errors keyed by form control (the first message per control)."""
    out: dict[str, str] = {}
    for name, message in fields.items():
        out.setdefault(error_key(name, topics), message)
    return out


def parse_request_values(values: Mapping[str, Any], *, identity: bool, topics: set[str]) -> RequestInput | RequestEdit:
    """Validate the request form (``identity``: the public form with authority and contact).

    Raises :class:`Invalid` with plain messages keyed by form control.
    """
    errors: dict[str, str] = {}
    data: dict[str, Any] = {"role": values.get("role", ""), "motivation": values.get("motivation", ""),
                            "languages": list(values.get("languages", [])), "seeks": list(values.get("seeks", [])),
                            "interest_groups": list(values.get("interest_groups", [])),
                            "consent_share": bool(values.get("consent_share"))}
    if not data["role"]:
        del data["role"]
    if identity:
        data.update({name: values.get(name, "") for name in IDENTITY_FIELDS})
        if not data["organisation_kind"]:
            del data["organisation_kind"]
    size = _SEPARATORS.sub("", str(values.get("size", "")))
    if size:
        if _digits(size, 12):
            data["size"] = int(size)
        else:
            errors["size"] = _PLAIN["size"]
    capacity = str(values.get("capacity", "")).strip()
    if capacity:
        if _digits(capacity, 3):
            data["capacity"] = int(capacity)
        else:
            errors["capacity"] = _PLAIN["capacity"]
    offers: dict[str, int] = {}
    for slug, level in dict(values.get("offers", {})).items():
        if _digits(str(level).strip(), 3):
            offers[slug] = int(level)
        else:
            errors[error_key(f"offers.{slug}", topics)] = _LEVEL_MESSAGE
    data["offers"] = offers
    schema: type[RequestInput] | type[RequestEdit] = RequestInput if identity else RequestEdit
    try:
        result = parse(schema, data)
    except Invalid as exc:
        for name, message in exc.fields.items():
            key = error_key(name, topics)
            if key.startswith("offer-"):
                message = _LEVEL_MESSAGE
            elif key == "topics":
                message = "One of the topics is not on the network's list. Reload the page and try again."
            elif key == "interest_groups":
                message = "One of the interest groups is not on the network's list. Reload the page and try again."
            elif key == "languages" and message == "This field is required.":
                message = "Tick at least one working language."
            elif key in _PLAIN:
                message = _PLAIN[key]
            errors.setdefault(key, message)
        raise Invalid("Some fields need attention.", fields=errors) from None
    if errors:
        raise Invalid("Some fields need attention.", fields=errors)
    return result


# --- ranking a shortlist -------------------------------------------------------------------

def ranking_values(form: FormData) -> dict[str, str]:
    """``rank-<request id>`` -> the chosen place ("" = not this one), as sent."""
    return {key: value[:10] for key, value in list(form.multi_items())[:MAX_ITEMS]
            if key.startswith("rank-") and isinstance(value, str)}


def parse_ranking(values: Mapping[str, str], shortlist: list[int]) -> list[int]:
    """The ranked request ids, best first. Ids off the shortlist are passed on (the service refuses them)."""
    errors: dict[str, str] = {}
    places = len(shortlist)
    ranked: list[tuple[int, int]] = []
    taken: dict[int, str] = {}
    for key, raw in values.items():
        ident = key.removeprefix("rank-")
        if not _digits(ident, 10):
            errors.setdefault("ranking", "This ranking names a candidate that is not on your shortlist.")
            continue
        if not raw.strip():
            continue  # not this one
        if not _digits(raw.strip(), 3) or not 1 <= int(raw) <= max(places, 1):
            errors[key] = f"Choose a place from 1 to {places}, or “not this one”."
            continue
        place = int(raw)
        if place in taken:
            errors[key] = f"Place {place} is given twice: give each place to one authority only."
            continue
        taken[place] = key
        ranked.append((place, int(ident)))
    if errors:
        raise Invalid("Some fields need attention.", fields=errors)
    return [ident for _, ident in sorted(ranked)]


# --- study visit ---------------------------------------------------------------------------

def visit_zones() -> tuple[str, ...]:
    return time_zone_groups()[0]


def blank_visit_values(title: str) -> dict[str, str]:
    return {"title": title, "starts_at": "", "ends_at": "", "timezone": "Europe/Brussels",
            "venue_name": "", "venue_address": "", "description": ""}


def visit_form_values(form: FormData) -> dict[str, str]:
    return {name: _text(form, name) for name in VISIT_FIELDS}


def read_visit(values: Mapping[str, str]) -> StudyVisitInput:
    """Validate a study visit form (local times read in its zone); ``Invalid`` keyed by field name.

    Shared by the authorities' page and the organiser's round page.
    """
    errors: dict[str, str] = {}
    zone_name = values.get("timezone", "").strip()
    zone = ZoneInfo(zone_name) if zone_name in visit_zones() else ZoneInfo("UTC")
    if zone_name not in visit_zones():
        errors["timezone"] = "Choose a time zone from the list."
    data: dict[str, Any] = {name: values.get(name, "") for name in VISIT_FIELDS}
    for name in ("starts_at", "ends_at"):
        raw = values.get(name, "").strip().replace(" ", "T", 1)
        if not raw:
            del data[name]
            continue
        try:
            data[name] = _local_time(raw, zone)
        except ValueError as exc:
            errors[name] = str(exc)
            del data[name]
    try:
        result = parse(StudyVisitInput, data)
    except Invalid as exc:
        for name, message in exc.fields.items():
            errors.setdefault(name.split(".")[0], message)
    if errors:
        raise Invalid("Some fields need attention.", fields=errors)
    return result


def parse_visit(values: Mapping[str, str], twinning_id: int) -> StudyVisitInput:
    """:func:`read_visit` with errors keyed ``visit-<id>-<field>`` (a page with several visit forms)."""
    try:
        return read_visit(values)
    except Invalid as exc:
        raise Invalid(exc.message, fields=visit_errors(exc.fields, twinning_id)) from None


def visit_errors(fields: Mapping[str, str], twinning_id: int) -> dict[str, str]:
    return {f"visit-{twinning_id}-{name if name in VISIT_FIELDS else 'title'}": message
            for name, message in fields.items()}


def local_input(value: datetime, zone: str) -> str:
    return value.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")
