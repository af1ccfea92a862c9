"""Factories for the matching tests (no database: nothing here asks for one)."""

from __future__ import annotations

import random
from typing import Any

import pytest

from matching import Candidate

TOPICS = ("food", "clean-vehicles", "circular-procurement", "ict-devices", "electricity",
          "cleaning", "furniture", "innovation-procurement")
GROUPS = ("food", "ict", "circular", "energy")


def candidate(ident: str, **fields: Any) -> Candidate:
    """A valid candidate with sensible defaults; any field can be overridden."""
    data: dict[str, Any] = {"id": ident, "authority": f"auth-{ident}", "role": "peer",
                            "country": "BE", "languages": ["en"]}
    data.update(fields)
    return Candidate.from_dict(data)


def random_candidates(n: int, *, seed: int, mode: str = "peer", languages: int = 3,
                      mentors: int | None = None) -> list[Candidate]:
    """Small random instances with plenty of ties and infeasible pairs."""
    rng = random.Random(seed)
    pool = ["en", "fr", "de", "nl", "it"][:languages]
    n_mentors = n // 3 if mentors is None else mentors
    out = []
    for i in range(n):
        role = "peer" if mode == "peer" else ("mentor" if i < n_mentors else "mentee")
        others = [f"x{j}" for j in range(n) if j != i]
        out.append(candidate(
            f"x{i}",
            authority=f"a{rng.randrange(max(n - 1, 1))}",
            role=role,
            country=rng.choice(["BE", "DE", "FR", "PT"]),
            languages=rng.sample(pool, rng.randint(1, min(2, len(pool)))),
            size=rng.choice([None, 5_000, 80_000, 1_200_000]),
            offers={t: rng.randint(1, 3) for t in rng.sample(TOPICS, rng.randint(0, 3))},
            seeks=rng.sample(TOPICS, rng.randint(0, 2)),
            interest_groups=rng.sample(GROUPS, rng.randint(0, 2)),
            capacity=rng.randint(1, 3) if role == "mentor" else rng.choice([1, 1, 1, 0]),
            blocked=rng.sample(others, 1) if others and rng.random() < 0.15 else [],
        ))
    rng.shuffle(out)
    return out


@pytest.fixture
def make() -> Any:
    """The candidate factory, as a fixture."""
    return candidate
