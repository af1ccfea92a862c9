"""Acceptance 3: stable mode leaves no blocking pair, and reports the score it gives up.

The blocking-pair checker here is written independently of matching.stable and
matching.checks: preferences come from score() and the candidates' rankings.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence

import pytest

from matching import Candidate, Options, Result, score, solve
from matching.checks import blocking_pairs, check_pairing
from tests.matching.conftest import candidate, random_candidates


def acceptable_lists(people: Sequence[Candidate], options: Options) -> dict[str, list[str]]:
    mentoring = options.mode == "mentoring"
    places = free_places(people, options)
    free = {c.id: c for c in people if places[c.id] > 0}

    def value(x: Candidate, y: Candidate) -> float | None:
        if mentoring and x.role == "mentee":
            x, y = y, x
        s = score(x, y, options)
        return None if s is None else s.score

    lists = {}
    for x in free.values():
        ok = {y.id: v for y in free.values() if (v := value(x, y)) is not None}
        lists[x.id] = ([y for y in x.ranking if y in ok] if x.ranking is not None
                       else sorted(ok, key=lambda y: (-ok[y], y)))
    return {x: [y for y in ys if x in lists[y]] for x, ys in lists.items()}


def free_places(people: Sequence[Candidate], options: Options) -> dict[str, int]:
    """Places left once the pinned pairs are placed."""
    return {c.id: c.capacity - sum(c.id in p for p in options.pinned) for c in people}


def independent_blocking(people: Sequence[Candidate], options: Options,
                         result: Result) -> list[tuple[str, str]]:
    lists = acceptable_lists(people, options)
    pinned = {frozenset(p) for p in options.pinned}
    places = free_places(people, options)
    held: dict[str, list[str]] = {x: [] for x in lists}
    for p in result.pairs:
        if frozenset((p.a, p.b)) not in pinned:
            held[p.a].append(p.b)
            held[p.b].append(p.a)

    def would_rather(x: str, y: str) -> bool:
        if len(held[x]) < places[x]:
            return True
        worst = max(lists[x].index(z) for z in held[x])
        return lists[x].index(y) < worst

    return [(x, y) for x, ys in lists.items() for y in ys
            if x < y and y not in held[x] and would_rather(x, y) and would_rather(y, x)]


def with_rankings(people: list[Candidate], seed: int, length: int) -> list[Candidate]:
    rng = random.Random(seed)
    ids = [c.id for c in people]
    out = []
    for c in people:
        others = [x for x in ids if x != c.id]
        ranked = rng.sample(others, min(length, len(others))) if rng.random() < 0.8 else None
        out.append(candidate(c.id, authority=c.authority, role=c.role, country=c.country,
                             languages=list(c.languages), offers=dict(c.offers),
                             seeks=list(c.seeks), capacity=c.capacity, ranking=ranked))
    return out


@pytest.mark.parametrize("mode", ["peer", "mentoring"])
@pytest.mark.parametrize("ranked", [False, True], ids=["from scores", "shortlists"])
def test_no_blocking_pairs_and_score_given_up_reported(mode: str, ranked: bool) -> None:
    checked = 0
    for seed in range(12):
        people = random_candidates(40, seed=seed, mode=mode, languages=2)
        if ranked:
            people = with_rankings(people, seed, length=6)
        options = Options(mode=mode, stable=True)  # type: ignore[arg-type]
        result = solve(people, options)
        assert check_pairing(people, options, result) == []
        stability = result.stability
        assert stability is not None
        if not stability.exists:  # possible for peers only: then the optimum is shown
            assert mode == "peer" and "no stable pairing" in result.solver
            continue
        checked += 1
        assert independent_blocking(people, options, result) == []
        assert blocking_pairs(people, options, result) == [] and stability.blocking_pairs == 0
        optimum = solve(people, Options(mode=mode))  # type: ignore[arg-type]
        assert stability.optimum_total == pytest.approx(optimum.total_score, abs=1e-9)
        assert stability.score_given_up == pytest.approx(
            optimum.total_score - result.total_score, abs=1e-9)
        assert stability.score_given_up >= -1e-9 and not result.exact
        assert result.to_dict()["score_given_up"] == stability.score_given_up
    assert checked >= 8


def test_pinned_pairs_stay_and_the_rest_is_stable() -> None:
    people = random_candidates(30, seed=4, mode="mentoring", languages=1)
    first = solve(people, Options(mode="mentoring"))
    pin = (first.pairs[-1].a, first.pairs[-1].b)
    options = Options(mode="mentoring", stable=True, pinned=(pin,))
    result = solve(people, options)
    assert (pin[0], pin[1]) in {(p.a, p.b) for p in result.pairs}
    assert independent_blocking(people, options, result) == []


def matchings(ids: list[str], ok: set[frozenset[str]]) -> Iterator[list[tuple[str, str]]]:
    if not ids:
        yield []
        return
    head, rest = ids[0], ids[1:]
    yield from matchings(rest, ok)
    for other in rest:
        if frozenset((head, other)) in ok:
            for tail in matchings([x for x in rest if x != other], ok):
                yield [(head, other), *tail]


def is_stable(m: list[tuple[str, str]], lists: dict[str, list[str]]) -> bool:
    rank = {x: {y: i for i, y in enumerate(ys)} for x, ys in lists.items()}
    partner = {a: b for a, b in m} | {b: a for a, b in m}
    return not any(
        x < y and partner.get(x) != y
        and (x not in partner or rank[x][y] < rank[x][partner[x]])
        and (y not in partner or rank[y][x] < rank[y][partner[y]])
        for x, ys in lists.items() for y in ys)


def test_irving_finds_a_stable_matching_exactly_when_one_exists() -> None:
    """Against exhaustive search over every matching of small ranked instances."""
    found_none = found_some = 0
    for seed in range(120):
        rng = random.Random(seed)
        n = rng.randint(3, 8)
        ids = [f"p{i}" for i in range(n)]
        people = [candidate(x, country="DE" if i % 2 else "FR",
                            ranking=rng.sample([y for y in ids if y != x], rng.randint(1, n - 1)))
                  for i, x in enumerate(ids)]
        options = Options(mode="peer", stable=True)
        lists = acceptable_lists(people, options)
        ok = {frozenset((x, y)) for x, ys in lists.items() for y in ys}
        exists = any(is_stable(m, lists) for m in matchings(ids, ok))
        result = solve(people, options)
        assert result.stability is not None and result.stability.exists == exists, seed
        if exists:
            found_some += 1
            assert independent_blocking(people, options, result) == []
        else:
            found_none += 1
    assert found_none >= 5 and found_some >= 50


def test_no_stable_pairing_is_reported() -> None:
    # The classic instance: everyone ranks d last, and a, b, c rank each other in a cycle.
    rankings = {"a": ["b", "c", "d"], "b": ["c", "a", "d"], "c": ["a", "b", "d"],
                "d": ["a", "b", "c"]}
    people = [candidate(x, country=c, ranking=r)
              for (x, r), c in zip(rankings.items(), ["BE", "DE", "FR", "IT"], strict=True)]
    result = solve(people, {"mode": "peer", "stable": True})
    assert result.stability is not None and not result.stability.exists
    assert "no stable pairing exists" in result.solver and len(result.pairs) == 2
    assert result.to_dict()["stable"]["exists"] is False
