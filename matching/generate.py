"""Seeded random instances that look like real twinning rounds, for tests, benchmarks and demos.

Topics and interest groups come from the network's domain (EU green public procurement
sector groups and cross-cutting themes); countries are the EU 27 with their official
languages; most staff also work in English.
"""

from __future__ import annotations

import random
from typing import Any

TOPICS: tuple[str, ...] = (
    "food", "catering", "vending-machines", "clean-vehicles", "buses", "waste-trucks",
    "office-buildings", "road-construction", "ict-devices", "data-centres", "electricity",
    "furniture", "textiles", "cleaning", "paints", "road-lighting", "imaging-equipment",
    "sanitary-tapware", "wastewater", "public-space-maintenance", "circular-procurement",
    "innovation-procurement", "pre-commercial-procurement", "market-engagement",
    "socially-responsible-procurement", "zero-emission-construction-sites",
    "life-cycle-costing", "co2-accounting", "monitoring-reporting")
INTEREST_GROUPS: tuple[str, ...] = (
    "food", "clean-vehicles", "construction", "ict", "circular", "innovation", "social",
    "energy")
EU_LANGUAGES: dict[str, tuple[str, ...]] = {
    "AT": ("de",), "BE": ("nl", "fr"), "BG": ("bg",), "HR": ("hr",), "CY": ("el",),
    "CZ": ("cs",), "DK": ("da",), "EE": ("et",), "FI": ("fi", "sv"), "FR": ("fr",),
    "DE": ("de",), "GR": ("el",), "HU": ("hu",), "IE": ("en", "ga"), "IT": ("it",),
    "LV": ("lv",), "LT": ("lt",), "LU": ("lb", "fr", "de"), "MT": ("mt", "en"),
    "NL": ("nl",), "PL": ("pl",), "PT": ("pt",), "RO": ("ro",), "SK": ("sk",),
    "SI": ("sl",), "ES": ("es",), "SE": ("sv",)}
# Rough weights: bigger countries send more requests.
COUNTRY_WEIGHTS: dict[str, float] = {
    "DE": 8, "FR": 7, "IT": 7, "ES": 6, "PL": 4, "NL": 4, "BE": 3, "SE": 3, "AT": 2,
    "PT": 2, "CZ": 2, "DK": 2, "FI": 2, "IE": 1.5, "GR": 1.5, "HU": 1.5, "RO": 1.5, "HR": 1,
    "SK": 1, "SI": 1, "BG": 1, "LT": 1, "LV": 1, "EE": 1, "LU": 0.5, "MT": 0.5, "CY": 0.5}


def random_document(n: int, *, mode: str = "peer", seed: int = 0, mentors: int | None = None,
                    capacity: int | None = None, english: float = 0.75,
                    blocked: float = 0.02, past: float = 0.03,
                    options: dict[str, Any] | None = None) -> dict[str, Any]:
    """An input document ``{"mode", "options", "candidates"}`` with n candidates.

    Parameters
    ----------
    n : int
        Number of candidates (mentors included).
    mode : "peer" or "mentoring"
    seed : int
        Same seed, same document.
    mentors : int, optional
        Mentoring: how many of the n are mentors (default n // 3).
    capacity : int, optional
        Mentoring: every mentor's capacity (default 1 to 3 at random).
    english : float
        Share of candidates whose staff also work in English.
    blocked, past : float
        Share of candidates that declined one other, and that have one past partner.

    Returns
    -------
    dict
        Ready for :func:`matching.load_problem`.

    Examples
    --------
    >>> doc = random_document(4, seed=1)
    >>> len(doc["candidates"]), doc["mode"]
    (4, 'peer')

    Complexity: O(n).
    """
    rng = random.Random(seed)
    countries = sorted(COUNTRY_WEIGHTS)
    weights = [COUNTRY_WEIGHTS[c] for c in countries]
    n_mentors = 0 if mode == "peer" else (n // 3 if mentors is None else mentors)
    ids = [f"c{i:05d}" for i in range(n)]
    candidates: list[dict[str, Any]] = []
    for i, ident in enumerate(ids):
        role = "peer" if mode == "peer" else ("mentor" if i < n_mentors else "mentee")
        country = rng.choices(countries, weights)[0]
        languages = set(EU_LANGUAGES[country][: rng.choice((1, len(EU_LANGUAGES[country])))])
        if rng.random() < english:
            languages.add("en")
        for extra in ("fr", "de", "es"):
            if rng.random() < 0.08:
                languages.add(extra)
        n_offers, n_seeks, low = {"mentor": (rng.randint(2, 6), rng.randint(0, 1), 2),
                                  "mentee": (rng.randint(0, 2), rng.randint(1, 3), 1),
                                  "peer": (rng.randint(1, 4), rng.randint(1, 3), 1)}[role]
        offered = rng.sample(TOPICS, n_offers)
        offers = {t: rng.randint(low, 3 if role != "mentee" else 2) for t in offered}
        sought = rng.sample([t for t in TOPICS if t not in offers or role == "peer"], n_seeks)
        cand: dict[str, Any] = {
            "id": ident,
            "authority": f"auth{i:05d}" if rng.random() > 0.03 else f"auth{max(i - 1, 0):05d}",
            "role": role,
            "country": country,
            "languages": sorted(languages),
            "size": int(10 ** rng.uniform(3.5, 6.5)),
            "offers": offers,
            "seeks": sought,
            "interest_groups": rng.sample(INTEREST_GROUPS, rng.randint(0, 3)),
        }
        if role == "mentor":
            cand["capacity"] = capacity if capacity is not None else rng.randint(1, 3)
        if n > 1 and rng.random() < blocked:
            cand["blocked"] = [rng.choice([x for x in ids if x != ident])]
        if n > 1 and rng.random() < past:
            other = rng.choice([x for x in ids if x != ident])
            cand["past_partners"] = [{"id": other, "year": rng.randint(2018, 2025)}]
        candidates.append(cand)
    rng.shuffle(candidates)
    return {"mode": mode, "options": {"year": 2026, **(options or {})},
            "candidates": candidates}
