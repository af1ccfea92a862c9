"""Pure matching library for the twinning programme (no web, no ORM, no I/O).

Pairs public authorities for peer exchange or mentoring: scores each pair from documented
parts (:mod:`matching.scoring`), finds the pairing with the best total (blossom for peers,
capacitated assignment for mentoring, :mod:`matching.solvers`) or a stable one
(:mod:`matching.stable`), and explains every pair and every candidate left out
(:mod:`matching.explain`). Deterministic: the same input gives the same output.

Examples
--------
>>> from matching import load_problem, solve
>>> problem = load_problem({"mode": "mentoring", "candidates": [
...     {"id": "gent", "authority": "Gent", "role": "mentor", "country": "BE",
...      "languages": ["nl", "en"], "offers": {"food": 3}, "capacity": 2},
...     {"id": "porto", "authority": "Porto", "role": "mentee", "country": "PT",
...      "languages": ["pt", "en"], "seeks": ["food"]}]})
>>> result = solve(problem.candidates, problem.options)
>>> [(p.a, p.b) for p in result.pairs], result.to_dict()["free_places"]
([('gent', 'porto')], {'gent': 1})
"""

from matching.engine import solve
from matching.scoring import PART_NAMES, infeasibility, score
from matching.types import (
    Alternative,
    Candidate,
    Explanation,
    InputError,
    Options,
    Pair,
    PairScore,
    PastPartner,
    Problem,
    Result,
    SharedTopic,
    Stability,
    Unmatched,
)
from matching.validation import load_problem

__all__ = [
    "PART_NAMES",
    "Alternative",
    "Candidate",
    "Explanation",
    "InputError",
    "Options",
    "Pair",
    "PairScore",
    "PastPartner",
    "Problem",
    "Result",
    "SharedTopic",
    "Stability",
    "Unmatched",
    "infeasibility",
    "load_problem",
    "score",
    "solve",
]
