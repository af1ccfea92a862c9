"""The topic and interest-group lists that organisers manage and authorities pick from."""

from __future__ import annotations

from tortoise.exceptions import IntegrityError

from events_app.errors import Invalid, NotFound
from events_app.twinning.models import InterestGroup, Topic
from events_app.twinning.schemas import CatalogueInput

CatalogueModel = type[Topic] | type[InterestGroup]
KINDS: dict[str, CatalogueModel] = {"topics": Topic, "groups": InterestGroup}


def _model(kind: str) -> CatalogueModel:
    try:
        return KINDS[kind]
    except KeyError:
        raise NotFound("No such list.") from None


async def list_topics(*, active_only: bool = True) -> list[Topic]:
    query = Topic.all() if not active_only else Topic.filter(active=True)
    return list(await query.order_by("position", "name"))


async def list_interest_groups(*, active_only: bool = True) -> list[InterestGroup]:
    query = InterestGroup.all() if not active_only else InterestGroup.filter(active=True)
    return list(await query.order_by("position", "name"))


async def add_catalogue_entry(*, kind: str, data: CatalogueInput) -> Topic | InterestGroup:
    """Add a topic (``kind="topics"``) or an interest group (``"groups"``); a retired one comes back."""
    model = _model(kind)
    existing = await model.filter(slug=data.slug).first()
    if existing is not None:
        if existing.active:
            raise Invalid("Some fields need attention.", fields={"slug": "This short name is taken already."})
        existing.active, existing.name = True, data.name
        await existing.save(update_fields=["active", "name"])
        return existing
    position = await model.all().count()
    try:
        return await model.create(slug=data.slug, name=data.name, position=position)
    except IntegrityError:
        raise Invalid("Some fields need attention.", fields={"slug": "This short name is taken already."}) from None


async def rename_catalogue_entry(*, kind: str, entry_id: int, name: str) -> Topic | InterestGroup:
    entry = await _model(kind).filter(id=entry_id).first()
    if entry is None:
        raise NotFound("No such entry.")
    name = " ".join(name.split())[:120]
    if not name:
        raise Invalid("Some fields need attention.", fields={"name": "Give a name."})
    entry.name = name
    await entry.save(update_fields=["name"])
    return entry


async def retire_catalogue_entry(*, kind: str, entry_id: int) -> Topic | InterestGroup:
    """Hide an entry from new requests; requests and profiles that name it keep it."""
    entry = await _model(kind).filter(id=entry_id).first()
    if entry is None:
        raise NotFound("No such entry.")
    entry.active = False
    await entry.save(update_fields=["active"])
    return entry


async def check_catalogue_slugs(*, offers: dict[str, int], seeks: list[str], interest_groups: list[str],
                                allowed_topics: set[str] | None = None) -> None:
    """Refuse topic or group slugs that are not on the organisers' lists (422 naming the field)."""
    topics = {t.slug for t in await Topic.filter(active=True).only("slug")} | (allowed_topics or set())
    groups = {g.slug for g in await InterestGroup.filter(active=True).only("slug")}
    problems: dict[str, str] = {}
    for slug in offers:
        if slug not in topics:
            problems.setdefault("offers", f"{slug!r} is not a topic of the network's list.")
    for slug in seeks:
        if slug not in topics:
            problems.setdefault("seeks", f"{slug!r} is not a topic of the network's list.")
    for slug in interest_groups:
        if slug not in groups:
            problems.setdefault("interest_groups", f"{slug!r} is not an interest group of the network.")
    if problems:
        raise Invalid("Some fields need attention.", fields=problems)
