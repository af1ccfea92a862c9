"""Organisations are shared: the same name in the same country is the same organisation."""

from __future__ import annotations

import re

from tortoise.exceptions import IntegrityError

from events_app.organisations.models import Organisation, OrganisationKind

_KNOWN: dict[tuple[str, str], Organisation] = {}
_KNOWN_MAX = 20_000


def _remember(organisation: Organisation) -> Organisation:
    if len(_KNOWN) >= _KNOWN_MAX:
        _KNOWN.clear()
    _KNOWN[(organisation.name_key, organisation.country)] = organisation
    return organisation


def forget_organisations() -> None:
    """Drop what this process remembers (tests empty the tables between tests)."""
    _KNOWN.clear()


def organisation_key(name: str) -> str:
    return re.sub(r"\s+", " ", name).strip().casefold()[:200]


async def find_or_create_organisation(*, name: str, country: str, kind: OrganisationKind) -> Organisation:
    """Return the organisation called ``name`` in ``country``, creating it on first use.

    Runs in its own short transaction, before the registration's: two people of a
    new organisation registering at once both end up with the same row.
    """
    key = organisation_key(name)
    known = _KNOWN.get((key, country))
    if known is not None and not (known.kind == OrganisationKind.OTHER and kind != OrganisationKind.OTHER):
        return known  # organisations are never renamed or deleted: a process may remember them
    existing = await Organisation.filter(name_key=key, country=country).first()
    if existing is not None:
        if existing.kind == OrganisationKind.OTHER and kind != OrganisationKind.OTHER:
            existing.kind = kind
            await existing.save(update_fields=["kind"])
        return _remember(existing)
    try:
        created = await Organisation.create(name=name.strip(), name_key=key, country=country, kind=kind)
    except IntegrityError:
        created = await Organisation.get(name_key=key, country=country)
    return _remember(created)
