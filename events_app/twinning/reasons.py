"""Why two authorities were paired, in plain words for the authorities themselves.

The engine's reasons (scores, ranks, the alternatives each side lost, other authorities'
names) are for the organisers; what goes to an authority is built from the two requests only.
"""

from __future__ import annotations

from events_app.twinning.catalogue import list_interest_groups, list_topics
from events_app.twinning.models import RoundMode, TwinningRequest
from events_app.twinning.schemas import language_names
from events_app.validation import country_names

LEVELS = {"1": "started", "2": "practising", "3": "advanced"}
Names = dict[str, dict[str, str]]


async def catalogue_names() -> Names:
    """Display names of every topic, group (retired ones too) and language."""
    return {"topics": {t.slug: t.name for t in await list_topics(active_only=False)},
            "groups": {g.slug: g.name for g in await list_interest_groups(active_only=False)},
            "languages": language_names()}


def _level(level: object) -> str:
    return LEVELS.get(str(level), str(level))


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def plain_reasons(own: TwinningRequest, partner: TwinningRequest, names: Names, *, mode: RoundMode | str) -> list[str]:
    """Why ``partner`` is a twin for ``own``, from what both requests say (organisations prefetched)."""
    topics, groups, languages = names["topics"], names["groups"], names["languages"]
    other = partner.organisation.name
    lines = []
    for slug, level in sorted(partner.offers.items()):
        if slug in own.seeks:
            lines.append(f"{other} offers {topics.get(slug, slug)} ({_level(level)}). You seek it.")
    for slug, level in sorted(own.offers.items()):
        if slug in partner.seeks:
            lines.append(f"You offer {topics.get(slug, slug)} ({_level(level)}). {other} seeks it.")
    both = sorted(set(own.seeks) & set(partner.seeks))
    if both and mode == RoundMode.PEER:
        lines.append("You both want to learn about " + _join([topics.get(s, s) for s in both]) + ".")
    shared = [languages.get(c, c) for c in own.languages if c in partner.languages]
    if shared:
        lines.append("You can work together in " + _join(shared) + ".")
    common = sorted(set(own.interest_groups) & set(partner.interest_groups))
    if common:
        label = "interest group" if len(common) == 1 else "interest groups"
        lines.append(f"You are both in the {label} " + _join([groups.get(g, g) for g in common]) + ".")
    if own.organisation.country != partner.organisation.country:
        countries = country_names()
        lines.append("A cross-border twinning: " + countries.get(own.organisation.country, own.organisation.country)
                     + " and " + countries.get(partner.organisation.country, partner.organisation.country) + ".")
    return lines or ["A good overall fit."]
