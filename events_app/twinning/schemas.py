"""Input schemas of the twinning programme (API and forms share them)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Annotated

from babel import Locale
from pydantic import Field, field_validator

from events_app.organisations.models import OrganisationKind
from events_app.twinning.models import RequestRole, RoundMode
from events_app.validation import Country, Email, Input, Line, Moment, Text, TimeZone

TopicSlug = Annotated[str, Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=60)]
Maturity = Annotated[int, Field(ge=1, le=3)]
RequestId = Annotated[int, Field(ge=1, le=2**31 - 1)]
MAX_TOPICS = 40
MAX_LANGUAGES = 24
MAX_SIZE = 10_000_000_000
MAX_CAPACITY = 10


@lru_cache(maxsize=1)
def language_names() -> dict[str, str]:
    """ISO 639-1 code -> English name (two-letter codes only), sorted by name."""
    names = {code: name for code, name in Locale("en").languages.items() if re.fullmatch(r"[a-z]{2}", code)}
    return dict(sorted(names.items(), key=lambda item: item[1]))


def _languages(values: list[str]) -> list[str]:
    known = language_names()
    cleaned = []
    for value in values:
        code = value.strip().lower()
        if code not in known:
            raise ValueError(f"{value[:20]!r} is not an ISO 639-1 language code such as en, fr or de")
        if code not in cleaned:
            cleaned.append(code)
    return cleaned


class RoundInput(Input):
    title: Annotated[Line, Field(min_length=1, max_length=200)]
    mode: RoundMode
    deadline: Moment
    intro: Annotated[Text, Field(max_length=10_000)] = ""
    require_different_countries: bool = False
    cooldown_years: Annotated[int, Field(ge=0, le=20)] = 3
    shortlist_size: Annotated[int, Field(ge=1, le=20)] = 5
    weights: dict[Annotated[str, Field(max_length=40)], Annotated[float, Field(ge=0, le=1_000_000)]] = {}

    @field_validator("weights")
    @classmethod
    def _weights(cls, value: dict[str, float]) -> dict[str, float]:
        from matching.scoring import DEFAULT_WEIGHTS

        parts = {part for weights in DEFAULT_WEIGHTS.values() for part in weights}
        unknown = sorted(set(value) - parts)
        if unknown:
            raise ValueError(f"unknown part {unknown[0]!r}: use {', '.join(sorted(parts))}")
        if value and not any(weight > 0 for weight in value.values()) and set(value) >= parts:
            raise ValueError("at least one part must weigh more than 0")
        return value


class ProfileInput(Input):
    """What an authority says about itself (copied onto its profile and its request)."""

    languages: Annotated[list[str], Field(min_length=1, max_length=MAX_LANGUAGES)]
    size: Annotated[int, Field(ge=1, le=MAX_SIZE)] | None = None
    offers: Annotated[dict[TopicSlug, Maturity], Field(max_length=MAX_TOPICS)] = {}
    seeks: Annotated[list[TopicSlug], Field(max_length=MAX_TOPICS)] = []
    interest_groups: Annotated[list[TopicSlug], Field(max_length=MAX_TOPICS)] = []

    @field_validator("languages")
    @classmethod
    def _langs(cls, value: list[str]) -> list[str]:
        return _languages(value)

    @field_validator("seeks", "interest_groups")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        return sorted(set(value))


class RequestInput(ProfileInput):
    """A twinning request: who asks (authority and contact person) and what it wants."""

    organisation: Annotated[Line, Field(min_length=1, max_length=200)]
    organisation_kind: OrganisationKind = OrganisationKind.MUNICIPALITY
    country: Country
    contact_name: Annotated[Line, Field(min_length=1, max_length=120)]
    contact_email: Annotated[Email, Field(max_length=254)]
    job_title: Annotated[Line, Field(max_length=120)] = ""
    consent_share: bool = False
    role: RequestRole
    capacity: Annotated[int, Field(ge=1, le=MAX_CAPACITY)] = 1
    motivation: Annotated[Text, Field(max_length=5000)] = ""


class RequestEdit(ProfileInput):
    """What the authority may change from its link until the deadline."""

    role: RequestRole
    capacity: Annotated[int, Field(ge=1, le=MAX_CAPACITY)] = 1
    motivation: Annotated[Text, Field(max_length=5000)] = ""
    consent_share: bool = False


class MatchInput(Input):
    """``pinned`` / ``forbidden`` (request id pairs) replace the round's lists when given."""

    stable: bool = False
    pinned: Annotated[list[tuple[RequestId, RequestId]], Field(max_length=500)] | None = None
    forbidden: Annotated[list[tuple[RequestId, RequestId]], Field(max_length=5000)] | None = None


class RankingInput(Input):
    """Request ids from the shortlist, best first. Shortlisted ids left out are declined."""

    ranking: Annotated[list[RequestId], Field(max_length=20)]


class CatalogueInput(Input):
    slug: TopicSlug
    name: Annotated[Line, Field(min_length=1, max_length=120)]


class StudyVisitInput(Input):
    title: Annotated[Line, Field(min_length=1, max_length=200)]
    starts_at: Moment
    ends_at: Moment
    timezone: TimeZone
    venue_name: Annotated[Line, Field(min_length=1, max_length=200)]
    venue_address: Annotated[Line, Field(max_length=500)] = ""
    description: Annotated[Text, Field(max_length=5000)] = ""
