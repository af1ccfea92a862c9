"""Property tests with hypothesis: valid and optimal pairings, symmetric peer scores,
deterministic output, stable results without blocking pairs."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching import Candidate, Options, score, solve
from matching.checks import blocking_pairs, brute_force_total, check_pairing

TOPICS = ("food", "clean-vehicles", "cleaning", "electricity")
PROFILE = settings(max_examples=60, deadline=None,
                   suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def candidates(draw: Any, mode: str, max_size: int = 9) -> list[Candidate]:
    n = draw(st.integers(1, max_size))
    ids = [f"c{i}" for i in range(n)]
    people = []
    for i, ident in enumerate(ids):
        role = "peer" if mode == "peer" else draw(st.sampled_from(["mentor", "mentee"]))
        others = [x for x in ids if x != ident]
        people.append(Candidate.from_dict({
            "id": ident,
            "authority": draw(st.sampled_from([f"a{i}", "shared"])),
            "role": role,
            "country": draw(st.sampled_from(["BE", "DE", "PT"])),
            "languages": draw(st.lists(st.sampled_from(["en", "fr", "de"]), min_size=1,
                                       max_size=2, unique=True)),
            "size": draw(st.one_of(st.none(), st.integers(100, 3_000_000))),
            "offers": draw(st.dictionaries(st.sampled_from(TOPICS), st.integers(1, 3),
                                           max_size=3)),
            "seeks": draw(st.lists(st.sampled_from(TOPICS), max_size=2, unique=True)),
            "interest_groups": draw(st.lists(st.sampled_from(["food", "ict"]), max_size=2,
                                             unique=True)),
            "capacity": draw(st.integers(0, 3)) if role == "mentor"
            else draw(st.sampled_from([1, 1, 1, 0])),
            "blocked": draw(st.lists(st.sampled_from(others), max_size=1, unique=True))
            if others else [],
            "ranking": draw(st.one_of(st.none(), st.permutations(others))) if others else None,
        }))
    return people


def as_json(people: list[Candidate], options: Options) -> str:
    return json.dumps(solve(people, options).to_dict(), sort_keys=True)


@PROFILE
@given(st.sampled_from(["peer", "mentoring"]).flatmap(
    lambda mode: st.tuples(st.just(mode), candidates(mode), st.booleans())))
def test_valid_and_optimal(case: tuple[str, list[Candidate], bool]) -> None:
    mode, people, different = case
    options = Options(mode=mode, require_different_countries=different)  # type: ignore[arg-type]
    result = solve(people, options)
    assert check_pairing(people, options, result) == []
    assert abs(result.total_score - brute_force_total(people, options)) < 1e-9


@PROFILE
@given(candidates("peer"))
def test_peer_score_symmetric(people: list[Candidate]) -> None:
    for a in people:
        for b in people:
            assert score(a, b) == score(b, a) or (
                score(a, b) is not None and score(a, b).score == score(b, a).score)  # type: ignore[union-attr]


@PROFILE
@given(st.sampled_from(["peer", "mentoring"]).flatmap(
    lambda mode: st.tuples(st.just(mode), candidates(mode), st.randoms(use_true_random=False),
                           st.booleans())))
def test_deterministic_whatever_the_input_order(case: tuple[str, list[Candidate], Any, bool]
                                                ) -> None:
    mode, people, rnd, stable = case
    options = Options(mode=mode, stable=stable)  # type: ignore[arg-type]
    shuffled = list(people)
    rnd.shuffle(shuffled)
    assert as_json(people, options) == as_json(shuffled, options)


@PROFILE
@given(st.sampled_from(["peer", "mentoring"]).flatmap(
    lambda mode: st.tuples(st.just(mode), candidates(mode))))
def test_stable_mode_has_no_blocking_pair(case: tuple[str, list[Candidate]]) -> None:
    mode, people = case
    options = Options(mode=mode, stable=True)  # type: ignore[arg-type]
    result = solve(people, options)
    assert check_pairing(people, options, result) == []
    assert result.stability is not None
    if result.stability.exists:
        assert blocking_pairs(people, options, result) == []
        assert result.stability.score_given_up >= -1e-9
    else:
        assert mode == "peer"


@PROFILE
@given(st.sampled_from(["peer", "mentoring"]).flatmap(
    lambda mode: st.tuples(st.just(mode), candidates(mode, max_size=12))))
def test_lp_path_bound_is_valid(case: tuple[str, list[Candidate]]) -> None:
    """Forced onto the LP path (exact_limit=0): valid pairing, total <= optimum <= bound."""
    mode, people = case
    options = Options(mode=mode, exact_limit=0, k=2)  # type: ignore[arg-type]
    result = solve(people, options)
    assert check_pairing(people, options, result) == []
    best = brute_force_total(people, options)
    assert result.total_score <= best + 1e-9 <= result.upper_bound + 2e-9
    if result.exact:
        assert abs(result.total_score - best) < 1e-9
