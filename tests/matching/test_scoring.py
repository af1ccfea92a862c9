"""Scores: hard constraints, documented parts, weights, and the vectorised matrix."""

from __future__ import annotations

import math

import pytest

from matching import PART_NAMES, Options, score
from matching.scoring import DEFAULT_WEIGHTS, score_matrix
from tests.matching.conftest import candidate, random_candidates


def mentor(ident: str = "m", **kw: object) -> object:
    return candidate(ident, role="mentor", **{"offers": {"food": 3}, **kw})


def mentee(ident: str = "e", **kw: object) -> object:
    return candidate(ident, role="mentee", **{"seeks": ["food"], "country": "PT", **kw})


@pytest.mark.parametrize(("a", "b", "options"), [
    (candidate("a"), candidate("b", authority="auth-a"), Options()),
    (candidate("a", languages=["nl"]), candidate("b", languages=["fr"]), Options()),
    (candidate("a", blocked=["b"]), candidate("b"), Options()),
    (candidate("a"), candidate("b", blocked=["a"]), Options()),
    (candidate("a"), candidate("b"), Options(forbidden=(("b", "a"),))),
    (candidate("a", past_partners=["b"]), candidate("b"), Options(year=2026)),
    (candidate("a"), candidate("b", past_partners=[{"id": "a", "year": 2024}]),
     Options(year=2026, cooldown_years=3)),
    (candidate("a"), candidate("b", past_partners=[{"id": "a", "year": 2024}]),
     Options(cooldown_years=3)),
    (candidate("a"), candidate("b"), Options(require_different_countries=True)),
    (candidate("a"), candidate("a"), Options()),
    (mentor("m1"), mentor("m2"), Options(mode="mentoring")),
    (mentee("e1"), mentee("e2"), Options(mode="mentoring")),
    (mentee(), mentor(), Options(mode="mentoring")),
    (mentor(), mentee(), Options(mode="peer")),
], ids=["same authority", "no shared language", "blocked", "blocked the other way",
        "forbidden", "past partner without year", "past partner within cooldown",
        "past partner, no current year", "same country", "itself", "two mentors",
        "two mentees", "wrong direction", "mentor in peer mode"])
def test_hard_constraints_make_pairs_infeasible(a, b, options) -> None:
    assert score(a, b, options) is None


def test_past_partner_after_cooldown_and_zero_cooldown_are_feasible() -> None:
    a = candidate("a")
    b = candidate("b", past_partners=[{"id": "a", "year": 2020}])
    assert score(a, b, Options(year=2026, cooldown_years=3)) is not None
    assert score(a, candidate("b", past_partners=["a"]), Options(cooldown_years=0)) is not None


def test_parts_add_up_and_follow_the_documented_formulas() -> None:
    m = mentor(offers={"food": 3, "cleaning": 2}, size=100_000, interest_groups=["food", "ict"],
               languages=["en", "fr"])
    e = mentee(offers={"food": 1}, seeks=["food", "cleaning", "textiles"], size=100,
               interest_groups=["food"], languages=["fr", "en"])
    result = score(m, e)  # mode inferred: mentoring
    assert result is not None
    w = DEFAULT_WEIGHTS["mentoring"]
    parts = result.parts
    assert list(parts) == list(PART_NAMES)
    assert parts["topic_fit"] == pytest.approx(w["topic_fit"] * (3 + 2 + 0) / 9)
    assert parts["experience"] == pytest.approx(w["experience"] * (2 + 2 + 0) / 6)
    assert parts["groups"] == pytest.approx(w["groups"] * 1 / 2)
    assert parts["language"] == pytest.approx(w["language"] * 1.0)
    assert parts["size"] == pytest.approx(w["size"] * 0.0)  # 1000x apart: no similarity
    assert parts["cross_border"] == pytest.approx(w["cross_border"])
    assert parts["shared_ambition"] == 0.0
    assert abs(math.fsum(parts.values()) - result.score) < 1e-9
    assert 0.0 <= result.score <= 1.0


def test_weights_override_and_normalise() -> None:
    a, b = candidate("a", offers={"food": 3}, seeks=["food"]), candidate("b", seeks=["food"])
    only_topic = score(a, b, Options(weights={name: 0.0 for name in PART_NAMES} | {
        "topic_fit": 5.0}))
    assert only_topic is not None
    assert only_topic.score == pytest.approx((1.0 + 0.0) / 2)  # a->b full, b->a nothing
    assert set(only_topic.parts.values()) - {0.0} == {only_topic.score}


def test_peer_score_is_symmetric_bit_for_bit() -> None:
    people = random_candidates(40, seed=5)
    for a in people:
        for b in people:
            ab, ba = score(a, b), score(b, a)
            assert (ab is None) == (ba is None)
            if ab is not None and ba is not None:
                assert ab.score == ba.score and dict(ab.parts) == dict(ba.parts)


@pytest.mark.parametrize("mode", ["peer", "mentoring"])
@pytest.mark.parametrize("different_countries", [False, True])
def test_matrix_equals_scalar_score_bit_for_bit(mode: str, different_countries: bool) -> None:
    people = sorted(random_candidates(90, seed=11, mode=mode), key=lambda c: c.id)
    options = Options(mode=mode, year=2026, forbidden=(("x1", "x2"),),  # type: ignore[arg-type]
                      weights=(("size", 0.3),), require_different_countries=different_countries)
    rows = people if mode == "peer" else [c for c in people if c.role == "mentor"]
    cols = rows if mode == "peer" else [c for c in people if c.role == "mentee"]
    W = score_matrix(rows, cols, options, mode=mode)  # type: ignore[arg-type]
    for i, a in enumerate(rows):
        for j, b in enumerate(cols):
            s = score(a, b, options)
            assert (W[i, j] < 0) == (s is None), (a.id, b.id)
            if s is not None:
                assert W[i, j] == s.score, (a.id, b.id)
