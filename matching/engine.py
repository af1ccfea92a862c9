"""``solve``: from candidates and options to an explained result."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from matching.bounds import Instance
from matching.explain import Context, explain_pairs, explain_unmatched
from matching.scoring import Progress, score_matrix
from matching.solvers import node_hashes, optimum
from matching.stable import blocking_pairs, hospitals_residents, preference_lists, stable_roommates
from matching.types import Candidate, Options, Result, Stability
from matching.validation import check_problem


def solve(candidates: Iterable[Candidate], options: Options | Mapping[str, Any] | None = None,
          *, progress: Progress | None = None) -> Result:
    """Pair the candidates: the best total score, or a stable pairing in stable mode.

    Parameters
    ----------
    candidates : iterable of Candidate
        Any order: they are sorted by id first.
    options : Options or dict, optional
        Mode (inferred from the roles when absent), weights, pinned and forbidden pairs,
        cooldown, k, exact_limit, stable. A dict is validated with ``Options.from_dict``.
    progress : callable, optional
        Called as ``progress(stage, fraction)`` with stage ``scoring``, ``bounding``,
        ``solving`` or ``explaining`` and fraction in [0, 1] (the library does no I/O).

    Returns
    -------
    Result
        Pairs (in mentoring mode ``a`` is the mentor) with parts, reasons and explanations;
        unmatched candidates with a reason; total score, upper bound, gap and solver.

    Raises
    ------
    InputError
        Duplicate ids, unknown references, roles that do not fit the mode, pinned pairs that
        are infeasible or exceed a capacity...

    Examples
    --------
    >>> from matching import Candidate, solve
    >>> people = [Candidate.from_dict({"id": i, "authority": i, "role": "peer",
    ...     "country": c, "languages": ["en"], "offers": {"food": 2}, "seeks": ["food"]})
    ...     for i, c in [("a", "BE"), ("b", "DE"), ("c", "FR")]]
    >>> result = solve(people, {"mode": "peer"})
    >>> [(p.a, p.b) for p in result.pairs], [u.reason for u in result.unmatched]
    ([('a', 'b')], ['odd one out'])

    Complexity: O(N^2) scores (vectorised), then the solver: exact for N up to
    ``exact_limit`` (proven through LP reduced costs, else blossom on the complete graph,
    O(N^3)); above it each candidate's best k partners plus the pairs the LP duals point at,
    with an upper bound. Stable mode adds O(P * L) for Irving or O(P log c) for Gale-Shapley.
    """
    opts = options if isinstance(options, Options) else Options.from_dict(options)
    given = list(candidates)
    opts = check_problem(given, opts)
    assert opts.mode is not None
    mode = opts.mode
    everyone = sorted(given, key=lambda c: c.id)
    peer = mode == "peer"
    rows = everyone if peer else [c for c in everyone if c.role == "mentor"]
    cols = rows if peer else [c for c in everyone if c.role == "mentee"]
    W = score_matrix(rows, cols, opts, mode=mode, progress=progress)
    row_at = {c.id: i for i, c in enumerate(rows)}
    col_at = {c.id: j for j, c in enumerate(cols)}
    pins: list[tuple[int, int]] = []
    for x, y in opts.pinned:
        if peer:
            i, j = sorted((row_at[x], row_at[y]))
        else:
            i, j = (row_at[x], col_at[y]) if x in row_at else (row_at[y], col_at[x])
        pins.append((i, j))
    pins.sort()
    pinned_rows = [0] * len(rows)
    pinned_cols = [0] * len(cols)
    for i, j in pins:
        pinned_rows[i] += 1
        pinned_cols[j] += 1
    if peer:
        cap = np.array([1 if c.capacity > 0 and not pinned_rows[i] + pinned_cols[i] else 0
                        for i, c in enumerate(rows)], dtype=np.int64)
        inst = Instance(W, True, cap, cap)
    else:
        inst = Instance(W, False,
                        np.array([c.capacity - pinned_rows[i] for i, c in enumerate(rows)],
                                 dtype=np.int64),
                        np.array([1 if c.capacity > 0 and not pinned_cols[j] else 0
                                  for j, c in enumerate(cols)], dtype=np.int64))
    row_hash = node_hashes([c.id for c in rows])
    col_hash = row_hash if peer else node_hashes([c.id for c in cols])
    best = optimum(inst, k=opts.k, exact_limit=opts.exact_limit, row_hash=row_hash,
                   col_hash=col_hash, progress=progress)
    pin_total = math.fsum(float(W[i, j]) for i, j in pins)
    optimum_total = math.fsum([pin_total, best.total])
    chosen = sorted(pins + list(best.pairs))
    solver, exact, stability = best.solver, best.exact, None
    notes = [f"{len(pins)} pinned pair(s) kept."] if pins else []
    if opts.stable:
        row_prefs, col_prefs = preference_lists(inst, rows, cols)
        stable_pairs: list[tuple[int, int]] | None
        if peer:
            partner = stable_roommates(row_prefs)
            stable_pairs = None if partner is None else [
                (i, p) for i, p in enumerate(partner) if p > i]
            solver = "stable roommates (Irving)"
        else:
            stable_pairs = hospitals_residents(row_prefs, col_prefs, inst.row_cap.tolist())
            solver = "hospitals/residents (mentee-proposing Gale-Shapley)"
        if stable_pairs is None:
            solver = f"{best.solver} (no stable pairing exists for these rankings)"
            stability = Stability(False, -1, optimum_total, 0.0,
                                  "No stable pairing exists for these rankings: the pairing "
                                  "with the best total is shown instead.")
        else:
            blocking = blocking_pairs(row_prefs, col_prefs, stable_pairs,
                                      inst.row_cap.tolist(), peer=peer)
            chosen = sorted(pins + stable_pairs)
            exact = False
            stable_total = math.fsum([pin_total] + [float(W[i, j]) for i, j in stable_pairs])
            given_up = round(optimum_total - stable_total, 12) + 0.0
            stability = Stability(True, len(blocking), optimum_total, given_up,
                                  f"The stable pairing gives up {given_up:.3f} of total score "
                                  "against the best pairing.")
    if progress is not None:
        progress("explaining", 0.0)
    ctx = Context(mode, opts, rows, cols, W, [c.capacity for c in rows],
                  [c.capacity for c in cols], frozenset(pins))
    pairs = explain_pairs(ctx, chosen)
    unmatched = explain_unmatched(ctx, chosen)
    total = math.fsum(p.score for p in pairs)
    if stability is None and exact:
        upper = total
    else:
        upper = max(total, math.fsum([pin_total, best.upper_bound]))
    free: list[tuple[str, int]] = []
    if not peer:
        load = [0] * len(rows)
        for i, _ in chosen:
            load[i] += 1
        free = [(c.id, c.capacity - load[i]) for i, c in enumerate(rows) if load[i] < c.capacity]
    if progress is not None:
        progress("explaining", 1.0)
    return Result(mode=mode, pairs=pairs, unmatched=unmatched, total_score=total,
                  upper_bound=upper, solver=solver, exact=exact and stability is None,
                  free_places=tuple(free), stability=stability, notes=tuple(notes))
