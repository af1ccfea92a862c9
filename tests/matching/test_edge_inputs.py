"""Odd but possible inputs: out-of-range numbers, broken text, partners that take nobody."""

from __future__ import annotations

from typing import Any

import pytest

from matching import InputError, load_problem, solve


def _cand(id_: str, role: str = "peer", **extra: Any) -> dict[str, Any]:
    return {"id": id_, "authority": id_.upper(), "role": role, "country": "BE", "languages": ["en"],
            "offers": {"food": 3}, "seeks": ["food"], **extra}


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({"mode": "peer", "candidates": [_cand("\ud800"), _cand("b")]}, "candidates[0].id"),
        ({"mode": "peer", "candidates": [_cand("a", size=10**400), _cand("b")]}, "candidates[0].size"),
        ({"mode": "mentoring", "candidates": [_cand("m", "mentor", capacity=10**30), _cand("e", "mentee")]},
         "candidates[0].capacity"),
        ({"mode": "peer", "options": {"weights": {"size": 10**400}}, "candidates": [_cand("a"), _cand("b")]},
         "options.weights.size"),
        ({"mode": "peer", "options": {"weights": {"topic_fit": 1e308}}, "candidates": [_cand("a"), _cand("b")]},
         "options.weights.topic_fit"),
    ],
)
def test_out_of_range_values_name_their_field(document: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as info:
        load_problem(document)
    assert str(info.value).startswith(field + ":"), str(info.value)


def _reasons(document: dict[str, Any]) -> dict[str, tuple[str, str]]:
    problem = load_problem(document)
    result = solve(problem.candidates, problem.options).to_dict()
    return {u["id"]: (u["reason"], u.get("detail", "")) for u in result["unmatched"]}


def test_a_partner_that_takes_nobody_is_no_partner() -> None:
    peer = _reasons({"mode": "peer", "candidates": [_cand("a"), _cand("z", capacity=0)]})
    assert peer["a"][0] == "no feasible partner" and "capacity 0" in peer["a"][1]
    assert peer["z"][0] == "no capacity"
    mentoring = _reasons({"mode": "mentoring", "candidates": [
        _cand("m", "mentor", capacity=2), _cand("f", "mentee", capacity=0)]})
    assert mentoring["m"][0] == "no feasible partner" and "capacity 0" in mentoring["m"][1]
    assert mentoring["f"][0] == "no capacity"


def test_ranks_count_only_partners_that_take_someone() -> None:
    problem = load_problem({"mode": "peer", "candidates": [_cand("a"), _cand("b"), _cand("z", capacity=0)]})
    (pair,) = solve(problem.candidates, problem.options).pairs
    assert (pair.explanation.options_a, pair.explanation.options_b) == (1, 1)
    assert "1st choice of 1 feasible partner;" in " ".join(pair.reasons)
