"""Fixtures for the twinning workflow: the topic lists, rounds and authorities' requests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest

from events_app.clock import utcnow
from events_app.settings import Settings
from events_app.twinning.catalogue import add_catalogue_entry
from events_app.twinning.models import TwinningRound
from events_app.twinning.rounds import close_requests, create_round
from events_app.twinning.schemas import CatalogueInput, RequestInput, RoundInput
from tests.notifications.conftest import smtp, smtp_down  # noqa: F401 (the real SMTP server fixtures)

TOPICS = ["clean-vehicles", "circular-procurement", "food", "construction", "ict", "electricity",
          "innovation-procurement", "social-procurement"]
GROUPS = ["food", "clean-vehicles", "circular", "construction", "innovation"]

# 30 authorities: (name, country, languages, population)
AUTHORITIES = [
    ("City of Gent", "BE", ["nl", "en", "fr"], 265_000), ("Ville de Lyon", "FR", ["fr", "en"], 520_000),
    ("Stadt Wien", "AT", ["de", "en"], 1_900_000), ("Comune di Torino", "IT", ["it", "en"], 850_000),
    ("Ayuntamiento de Valencia", "ES", ["es", "en"], 800_000), ("Câmara Municipal do Porto", "PT", ["pt", "en", "es"], 230_000),
    ("Helsingin kaupunki", "FI", ["fi", "sv", "en"], 675_000), ("Københavns Kommune", "DK", ["da", "en"], 650_000),
    ("Gemeente Rotterdam", "NL", ["nl", "en"], 655_000), ("Miasto Kraków", "PL", ["pl", "en"], 800_000),
    ("Δήμος Αθηναίων", "GR", ["el", "en"], 640_000), ("Столична община София", "BG", ["bg", "en"], 1_300_000),
    ("Kauno miesto savivaldybė", "LT", ["lt", "en"], 300_000), ("Rīgas valstspilsēta", "LV", ["lv", "en"], 610_000),
    ("Tallinna linn", "EE", ["et", "en"], 440_000), ("Hlavní město Praha", "CZ", ["cs", "en", "de"], 1_300_000),
    ("Budapest Főváros", "HU", ["hu", "en", "de"], 1_700_000), ("Municipiul Cluj-Napoca", "RO", ["ro", "en", "hu"], 290_000),
    ("Mestna občina Ljubljana", "SI", ["sl", "en", "it"], 290_000), ("Grad Zagreb", "HR", ["hr", "en"], 770_000),
    ("Stadt Zürich", "CH", ["de", "en", "fr"], 420_000), ("Dublin City Council", "IE", ["en"], 590_000),
    ("Stockholms stad", "SE", ["sv", "en"], 980_000), ("Oslo kommune", "NO", ["no", "en"], 700_000),
    ("Ville de Luxembourg", "LU", ["fr", "de", "en"], 130_000), ("Città di Bologna", "IT", ["it", "en"], 390_000),
    ("Region Skåne", "SE", ["sv", "en"], 1_400_000), ("Région Bruxelles-Capitale", "BE", ["fr", "nl", "en"], 1_200_000),
    ("Freie Hansestadt Bremen", "DE", ["de", "en"], 570_000), ("Concello de Vigo", "ES", ["es", "gl", "en"], 290_000),
]


@pytest.fixture
async def catalogue(settings: Settings) -> None:
    for slug in TOPICS:
        await add_catalogue_entry(kind="topics", data=CatalogueInput(slug=slug, name=slug.replace("-", " ").title()))
    for slug in GROUPS:
        await add_catalogue_entry(kind="groups", data=CatalogueInput(slug=slug, name=slug.replace("-", " ").title()))


RoundFactory = Callable[..., Awaitable[TwinningRound]]


@pytest.fixture
def make_round(catalogue: None) -> RoundFactory:
    async def factory(mode: str = "peer", days: float = 10, **extra: Any) -> TwinningRound:
        data = RoundInput(title=extra.pop("title", f"Twinning {mode} 2027"), mode=mode,
                          deadline=utcnow() + timedelta(days=days), intro="Welcome to the round.", **extra)
        return await create_round(data=data, actor=None)

    return factory


def request_data(i: int, *, mode: str = "peer", consent: bool = True, **changes: Any) -> RequestInput:
    """Authority number ``i``: deterministic topics, groups and role (even: mentor in mentoring mode)."""
    name, country, languages, size = AUTHORITIES[i % len(AUTHORITIES)]
    offers = {TOPICS[i % 8]: 1 + i % 3, TOPICS[(i * 3 + 1) % 8]: 1 + (i + 1) % 3}
    seeks = [TOPICS[(i + 2) % 8], TOPICS[(i * 5 + 3) % 8]]
    role = "peer" if mode == "peer" else ("mentor" if i % 2 == 0 else "mentee")
    values: dict[str, Any] = {
        "organisation": name, "country": country, "organisation_kind": "municipality",
        "contact_name": f"Contact {i}", "contact_email": f"contact{i}@authority{i}.example",
        "consent_share": consent, "role": role, "languages": languages, "size": size,
        "offers": offers if role != "mentee" else {TOPICS[i % 8]: 1},
        "seeks": seeks, "interest_groups": [GROUPS[i % 5]],
        "capacity": 2 if role == "mentor" and i % 4 == 0 else 1,
    }
    values.update(changes)
    return RequestInput(**values)


async def closed(round_: TwinningRound) -> TwinningRound:
    return await close_requests(round_id=round_.id)


async def token_for(email: str, kind: str | None = None) -> str:
    """The private link token in the newest outbox email to ``email`` (of ``kind``)."""
    import re

    from events_app.notifications.models import OutboxMessage

    query = OutboxMessage.filter(to_email=email)
    if kind:
        query = query.filter(kind=kind)
    message = await query.order_by("-id").first()
    assert message is not None, f"no email to {email}"
    found = re.search(r"/twinning/requests/([A-Za-z0-9_-]+)", message.body_text)
    assert found, message.body_text
    return found.group(1)
