"""Checkers for results, used by the tests: they recompute everything with :func:`score`.

- :func:`check_pairing`: hard constraints, capacities, pins, scores and parts, totals.
- :func:`brute_force_total`: the optimum by exhaustive search (small instances only).
- :func:`blocking_pairs`: pairs that would both rather be together (stable mode).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cache

from matching.scoring import score
from matching.types import Candidate, Options, Result
from matching.validation import infer_mode


def _mode_options(candidates: Sequence[Candidate], options: Options) -> Options:
    from dataclasses import replace

    return options if options.mode else replace(options, mode=infer_mode(candidates))


def check_pairing(candidates: Sequence[Candidate], options: Options, result: Result,
                  *, tolerance: float = 1e-9) -> list[str]:
    """Every problem found in ``result`` (an empty list when it is valid).

    Checks: pairs join existing candidates, feasible by :func:`score` (so no hard constraint
    is broken), mentor first in mentoring mode; each peer and mentee used at most once,
    mentors within capacity; pinned pairs present; reported scores equal :func:`score`
    and parts add up within ``tolerance``; every candidate is either paired or listed as
    unmatched (a mentor with no mentee is unmatched); the total is the sum of the scores
    and the upper bound is not below it.

    Examples
    --------
    >>> from matching import Candidate, solve
    >>> people = [Candidate.from_dict({"id": i, "authority": i, "role": "peer",
    ...     "country": "BE", "languages": ["en"]}) for i in "ab"]
    >>> check_pairing(people, Options(mode="peer"), solve(people))
    []

    Complexity: O(P * cost of score + N) for P pairs.
    """
    options = _mode_options(candidates, options)
    by_id = {c.id: c for c in candidates}
    problems: list[str] = []
    load: dict[str, int] = {}
    for pair in result.pairs:
        a, b = by_id.get(pair.a), by_id.get(pair.b)
        if a is None or b is None:
            problems.append(f"pair {pair.a}-{pair.b}: unknown id")
            continue
        if options.mode == "mentoring" and (a.role, b.role) != ("mentor", "mentee"):
            problems.append(f"pair {a.id}-{b.id}: a must be the mentor, b the mentee")
        scored = score(a, b, options)
        if scored is None:
            problems.append(f"pair {a.id}-{b.id}: infeasible")
            continue
        if abs(scored.score - pair.score) > tolerance:
            problems.append(f"pair {a.id}-{b.id}: score {pair.score} but score() gives "
                            f"{scored.score}")
        if abs(math.fsum(pair.parts.values()) - pair.score) > tolerance:
            problems.append(f"pair {a.id}-{b.id}: parts do not add up to the score")
        for cand in (a, b):
            load[cand.id] = load.get(cand.id, 0) + 1
    for ident, used in sorted(load.items()):
        cap = by_id[ident].capacity
        if used > cap:
            problems.append(f"{ident}: in {used} pairs, capacity {cap}")
    paired = {(p.a, p.b) for p in result.pairs} | {(p.b, p.a) for p in result.pairs}
    for x, y in options.pinned:
        if (x, y) not in paired:
            problems.append(f"pinned pair {x}-{y} missing")
    unmatched = [u.id for u in result.unmatched]
    if len(set(unmatched)) != len(unmatched):
        problems.append("a candidate is listed twice as unmatched")
    for cand in candidates:
        listed = cand.id in set(unmatched)
        if listed == (cand.id in load):
            problems.append(f"{cand.id}: must be either paired or unmatched, exactly once")
    total = math.fsum(p.score for p in result.pairs)
    if abs(total - result.total_score) > tolerance:
        problems.append(f"total_score {result.total_score} but the pairs add up to {total}")
    if result.upper_bound < result.total_score - tolerance:
        problems.append("upper_bound below total_score")
    return problems


def brute_force_total(candidates: Sequence[Candidate], options: Options) -> float:
    """The best total by exhaustive search, pinned pairs included (up to about 12 candidates).

    Examples
    --------
    >>> from matching import Candidate
    >>> people = [Candidate.from_dict({"id": i, "authority": i, "role": "peer",
    ...     "country": c, "languages": ["en"]}) for i, c in [("a", "BE"), ("b", "DE")]]
    >>> round(brute_force_total(people, Options()), 3)  # experience, language, size, border
    0.275

    Complexity: O(2^N * N) for peers, O(prod of (capacity + 1) * mentees * mentors) for
    mentoring.
    """
    options = _mode_options(candidates, options)
    by_id = {c.id: c for c in candidates}
    pinned = set()
    total_pinned = 0.0
    caps = {c.id: c.capacity for c in candidates}
    for x, y in options.pinned:
        a, b = by_id[x], by_id[y]
        if options.mode == "mentoring" and a.role == "mentee":
            a, b = b, a
        scored = score(a, b, options)
        assert scored is not None
        total_pinned += scored.score
        for cand in (a, b):
            caps[cand.id] -= 1
            pinned.add(cand.id)
    if options.mode == "peer":
        free = [c for c in candidates if c.id not in pinned and c.capacity > 0]
        n = len(free)
        w = [[(s.score if (s := score(free[i], free[j], options)) else None) for j in range(n)]
             for i in range(n)]

        @cache
        def best(mask: int) -> float:
            if mask == 0:
                return 0.0
            i = (mask & -mask).bit_length() - 1
            rest = mask & ~(1 << i)
            value = best(rest)
            for j in range(n):
                if rest >> j & 1 and w[i][j] is not None:
                    value = max(value, w[i][j] + best(rest & ~(1 << j)))  # type: ignore[operator]
            return value

        return total_pinned + best((1 << n) - 1)
    mentors = [c for c in candidates if c.role == "mentor"]
    mentees = [c for c in candidates if c.role == "mentee" and c.id not in pinned
               and c.capacity > 0]
    table = [[(s.score if (s := score(m, e, options)) else None) for m in mentors]
             for e in mentees]

    @cache
    def assign(i: int, left: tuple[int, ...]) -> float:
        if i == len(mentees):
            return 0.0
        value = assign(i + 1, left)
        for j, s in enumerate(table[i]):
            if s is not None and left[j] > 0:
                value = max(value, s + assign(i + 1, left[:j] + (left[j] - 1,) + left[j + 1:]))
        return value

    return total_pinned + assign(0, tuple(max(caps[m.id], 0) for m in mentors))


def _free_capacity(candidates: Sequence[Candidate], options: Options) -> dict[str, int]:
    """Capacity left after the pinned pairs (a pinned peer or mentee has none left)."""
    caps = {c.id: c.capacity for c in candidates}
    for pair in options.pinned:
        for x in pair:
            caps[x] -= 1
    roles = {c.id: c.role for c in candidates}
    return {x: (cap if roles[x] == "mentor" else min(cap, 1)) for x, cap in caps.items()}


def preferences(candidates: Sequence[Candidate], options: Options) -> dict[str, list[str]]:
    """Each available candidate's acceptable partners, best first (see :mod:`matching.stable`).

    Computed from :func:`score` and the rankings only, independently of the solvers.
    """
    options = _mode_options(candidates, options)
    caps = _free_capacity(candidates, options)
    free = [c for c in candidates if caps[c.id] > 0]

    def pair_score(x: Candidate, y: Candidate) -> float | None:
        a, b = (y, x) if options.mode == "mentoring" and x.role == "mentee" else (x, y)
        scored = score(a, b, options)
        return None if scored is None else scored.score

    lists: dict[str, list[str]] = {}
    for x in free:
        scored = {y.id: s for y in free if y.id != x.id and (s := pair_score(x, y)) is not None}
        if x.ranking is not None:
            lists[x.id] = [y for y in x.ranking if y in scored]
        else:
            lists[x.id] = sorted(scored, key=lambda y: (-scored[y], y))
    return {x: [y for y in ys if x in lists.get(y, [])] for x, ys in lists.items()}


def blocking_pairs(candidates: Sequence[Candidate], options: Options, result: Result
                   ) -> list[tuple[str, str]]:
    """Acceptable pairs, not together, that would both rather be together.

    A side "would rather" when it is unpaired (a mentor: has a free place) or prefers the
    other to its partner (a mentor: to its least preferred mentee). Pinned pairs are left
    out, and a mentor's pinned mentees take places.

    Complexity: O(sum of list lengths * capacity).
    """
    options = _mode_options(candidates, options)
    prefs = preferences(candidates, options)
    rank = {x: {y: i for i, y in enumerate(ys)} for x, ys in prefs.items()}
    caps = _free_capacity(candidates, options)
    pinned = {pair for x, y in options.pinned for pair in ((x, y), (y, x))}
    partners: dict[str, list[str]] = {}
    for p in result.pairs:
        if (p.a, p.b) in pinned:
            continue
        partners.setdefault(p.a, []).append(p.b)
        partners.setdefault(p.b, []).append(p.a)

    def wants(x: str, y: str) -> bool:
        mine = partners.get(x, [])
        if len(mine) < caps[x]:
            return True
        return any(y in rank[x] and (m not in rank[x] or rank[x][y] < rank[x][m]) for m in mine)

    found = []
    for x, ys in sorted(prefs.items()):
        for y in ys:
            if x < y and y not in partners.get(x, []) and wants(x, y) and wants(y, x):
                found.append((x, y))
    return found
