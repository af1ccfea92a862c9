"""Inputs that only the API has (bodies reuse the feature schemas)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from events_app.registration.models import RegistrationStatus
from events_app.validation import Input, Line


class RegistrationQuery(Input):
    """``GET /api/v1/events/{slug}/registrations`` query string."""

    status: RegistrationStatus | None = None
    q: Annotated[Line, Field(max_length=200)] = ""
    page: Annotated[int, Field(ge=1, le=1_000_000)] = 1
    per_page: Annotated[int, Field(ge=1, le=200)] = 50
