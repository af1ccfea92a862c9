"""Input schemas for registering and for correcting one's details."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator

from events_app.organisations.models import OrganisationKind
from events_app.validation import Country, Email, Input, Line


class DetailsInput(Input):
    """What a person may correct from their manage link (the email stays: it identifies them)."""

    name: Annotated[Line, Field(min_length=1, max_length=120)]
    job_title: Annotated[Line, Field(max_length=120)] = ""
    organisation: Annotated[Line, Field(min_length=1, max_length=200)]
    organisation_kind: OrganisationKind = OrganisationKind.OTHER
    country: Country


class RegistrationInput(DetailsInput):
    email: Annotated[Email, Field(max_length=254)]
    consent: bool

    @field_validator("consent")
    @classmethod
    def _must_consent(cls, value: bool) -> bool:
        if value is not True:
            raise ValueError("You must accept the privacy notice to register")
        return value
