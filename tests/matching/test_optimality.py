"""Acceptance 1: the totals are optimal and no result breaks a hard constraint or a capacity.

Optima are computed independently here: exhaustive search (small N), networkx's blossom on
the complete feasible graph (peer mode, up to N = 1,000) and scipy's dense assignment with
one column per mentor place (mentoring).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

import networkx as nx
import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

import matching.solvers
from matching import Candidate, Options, load_problem, score, solve
from matching.checks import brute_force_total, check_pairing
from matching.generate import random_document
from matching.scoring import score_matrix
from tests.matching.conftest import candidate, random_candidates


def networkx_optimum(people: Sequence[Candidate], options: Options) -> float:
    graph = nx.Graph()
    for i, a in enumerate(people):
        for b in people[i + 1:]:
            s = score(a, b, options)
            if s is not None:
                graph.add_edge(a.id, b.id, weight=s.score)
    matched = nx.max_weight_matching(graph)
    return math.fsum(graph[a][b]["weight"] for a, b in matched)


def assignment_optimum(people: Sequence[Candidate], options: Options) -> float:
    mentors = [c for c in people if c.role == "mentor"]
    mentees = [c for c in people if c.role == "mentee" and c.capacity > 0]
    places = [m for m in mentors for _ in range(m.capacity)]
    weights = np.zeros((len(mentees), len(places)))
    for j, m in enumerate(places):
        for i, e in enumerate(mentees):
            s = score(m, e, options)
            weights[i, j] = s.score if s is not None else 0.0
    rows, cols = linear_sum_assignment(weights, maximize=True)
    return math.fsum(weights[rows, cols].tolist())


def assert_valid(people: Sequence[Candidate], options: Options, result: object) -> None:
    assert check_pairing(people, options, result) == []  # type: ignore[arg-type]


@pytest.mark.parametrize("mode", ["peer", "mentoring"])
def test_small_instances_equal_brute_force(mode: str) -> None:
    rng = random.Random(7)
    for seed in range(40):
        people = random_candidates(rng.randint(2, 10), seed=seed, mode=mode)
        options = Options(mode=mode)  # type: ignore[arg-type]
        result = solve(people, options)
        assert_valid(people, options, result)
        assert result.exact and result.upper_bound == result.total_score
        assert result.total_score == pytest.approx(brute_force_total(people, options), abs=1e-9)


def test_pins_forbidden_and_countries_respected_and_optimal_otherwise() -> None:
    for seed in range(15):
        people = sorted(random_candidates(9, seed=100 + seed), key=lambda c: c.id)
        feasible = [(a.id, b.id) for i, a in enumerate(people) for b in people[i + 1:]
                    if a.capacity and b.capacity
                    and score(a, b, Options(require_different_countries=True))]
        if len(feasible) < 3:
            continue
        pin, ban = feasible[0], feasible[-1]
        options = Options(pinned=(pin,), forbidden=(ban,), require_different_countries=True)
        result = solve(people, options)
        assert_valid(people, options, result)
        pairs = {(p.a, p.b) for p in result.pairs}
        assert pin in pairs and ban not in pairs
        assert all(score(next(c for c in people if c.id == p.a),
                         next(c for c in people if c.id == p.b), options) for p in result.pairs)
        assert result.total_score == pytest.approx(brute_force_total(people, options), abs=1e-9)


@pytest.fixture(scope="module")
def networkx_optima() -> dict[tuple[int, int], float]:
    """networkx's optimum of each random document, computed once for both solver paths."""
    return {}


@pytest.mark.parametrize("force_lp", [False, True], ids=["default", "LP proof path"])
@pytest.mark.parametrize(("n", "seeds"), [(20, range(5)), (200, range(2))])
def test_peer_equals_networkx_blossom(n: int, seeds: range, force_lp: bool,
                                      monkeypatch: pytest.MonkeyPatch,
                                      networkx_optima: dict[tuple[int, int], float]) -> None:
    if force_lp:  # skip the "few pairs: complete graph at once" shortcut
        monkeypatch.setattr(matching.solvers, "DIRECT_PAIRS", 0)
    for seed in seeds:
        problem = load_problem(random_document(n, seed=seed))
        result = solve(problem.candidates, problem.options)
        assert_valid(problem.candidates, problem.options, result)
        assert result.exact and result.gap == 0.0
        assert ("LP reduced costs" in result.solver) == force_lp
        if (n, seed) not in networkx_optima:
            networkx_optima[(n, seed)] = networkx_optimum(problem.candidates, problem.options)
        assert result.total_score == pytest.approx(networkx_optima[(n, seed)], abs=1e-9)


ISLAND_LANGUAGES = ("nl", "fr", "de", "it", "es", "pt", "pl", "cs", "sv", "fi", "da", "el",
                    "hu", "ro", "bg", "hr", "sk", "sl", "et", "lv")


def language_islands(n: int, seed: int) -> list[Candidate]:
    """Peers in 20 language groups that share no language: 20 components."""
    rng = random.Random(seed)
    topics = ["food", "clean-vehicles", "circular-procurement", "ict-devices", "electricity",
              "cleaning", "furniture", "textiles", "wastewater", "life-cycle-costing"]
    return [candidate(f"p{i:04d}", authority=f"a{i}", country=rng.choice(["AT", "BE", "DE"]),
                      languages=[ISLAND_LANGUAGES[i % 20]], size=rng.randint(1_000, 2_000_000),
                      offers={t: rng.randint(1, 3) for t in rng.sample(topics, 3)},
                      seeks=rng.sample(topics, 2),
                      interest_groups=rng.sample(["food", "ict", "energy"], rng.randint(0, 2)))
            for i in range(n)]


@pytest.fixture(scope="module")
def islands() -> tuple[list[Candidate], float]:
    """1,000 peers and networkx's optimum on their complete feasible graph."""
    people = sorted(language_islands(1000, seed=3), key=lambda c: c.id)
    # The complete feasible graph, from the (separately tested) score matrix; networkx's
    # blossom runs per connected component, which gives the same optimum faster.
    W = score_matrix(people, people, Options(mode="peer"), mode="peer")
    graph = nx.Graph()
    rows, cols = np.nonzero(np.triu(W >= 0, 1))
    graph.add_weighted_edges_from((people[i].id, people[j].id, float(W[i, j]))
                                  for i, j in zip(rows.tolist(), cols.tolist(), strict=True))
    assert graph.number_of_edges() > 20_000
    optimum = math.fsum(
        graph[a][b]["weight"]
        for part in nx.connected_components(graph)
        for a, b in nx.max_weight_matching(graph.subgraph(part)))
    return people, optimum


@pytest.mark.parametrize("force_lp", [False, True], ids=["default", "LP proof path"])
def test_peer_n1000_equals_networkx_on_the_complete_graph(
        force_lp: bool, monkeypatch: pytest.MonkeyPatch,
        islands: tuple[list[Candidate], float]) -> None:
    if force_lp:
        monkeypatch.setattr(matching.solvers, "DIRECT_PAIRS", 0)
    people, expected = islands
    options = Options(mode="peer")
    result = solve(people, options)
    assert_valid(people, options, result)
    assert result.exact and len(result.pairs) >= 490
    assert ("LP reduced costs" in result.solver) == force_lp
    assert result.total_score == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("exact_limit", [1000, 0], ids=["complete graph", "LP path"])
def test_mentoring_equals_the_exact_assignment(exact_limit: int) -> None:
    document = random_document(450, mode="mentoring", seed=4, mentors=120,
                               options={"exact_limit": exact_limit})
    problem = load_problem(document)
    result = solve(problem.candidates, problem.options)
    assert_valid(problem.candidates, problem.options, result)
    expected = assignment_optimum(problem.candidates, problem.options)
    assert result.total_score == pytest.approx(expected, abs=1e-9)
    assert result.exact and ("LP reduced costs" in result.solver) == (exact_limit == 0)


def test_mentoring_with_scarce_places_and_pins() -> None:
    people = random_candidates(11, seed=3, mode="mentoring", mentors=3)
    options = Options(mode="mentoring")
    first = solve(people, options)
    pin = (first.pairs[0].a, first.pairs[0].b)
    again = Options(mode="mentoring", pinned=(pin,))
    result = solve(people, again)
    assert_valid(people, again, result)
    assert result.total_score == pytest.approx(brute_force_total(people, again), abs=1e-9)
    mentors = {c.id: c.capacity for c in people if c.role == "mentor"}
    free = dict(result.free_places)
    for m, cap in mentors.items():
        used = sum(1 for p in result.pairs if p.a == m)
        assert used <= cap and free.get(m, 0) == cap - used
