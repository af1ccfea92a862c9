"""Optimal pairings: maximum-weight matching (peer) and capacitated assignment (mentoring).

Peer mode is a maximum-weight matching on a general graph, solved with Edmonds' blossom
algorithm (``rustworkx.max_weight_matching``, integer weights). Mentoring mode is an
assignment with each mentor repeated once per place, solved with the sparse Jonker-Volgenant
algorithm (``scipy.sparse.csgraph.min_weight_full_bipartite_matching``); every mentee also
gets a private "stay unmatched" column of weight 0, so infeasible pairs are never needed.

Neither runs on the complete graph when it need not: :mod:`matching.bounds` computes LP duals
on the full score matrix, the solver runs on the pairs whose reduced cost is close to 0, and
then again on every pair whose reduced cost is within the gap between the bound and the
pairing found. No better pairing can use any other pair, so that second result is proven
optimal. Up to ``options.exact_limit`` candidates the solver falls back to the complete graph
when the gap leaves too many pairs; above it the result carries the LP upper bound instead.

Ties are broken explicitly: scores are rounded to 1e-12 and each pair gets a deterministic
pseudo-random perturbation from its two ids, smaller than one rounding step summed over any
pairing, so the optimum is unique (with overwhelming probability) and does not depend on
the order of the input or on hash seeds.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import rustworkx as rx
from scipy import sparse
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

from matching.bounds import (
    COLLECT,
    Instance,
    IntArray,
    column_generation,
    scan,
    unique_pairs,
)

SCALE = 10**12
PERTURBATION_BITS = 40
NEAR = 0.02  # first pass: pairs with reduced cost >= -NEAR
WIDE = 0.25  # above exact_limit, look for a proof only when the gap is at most this
DIRECT_PAIRS = 40_000  # up to this many feasible pairs, solve on the complete graph at once
U64 = npt.NDArray[np.uint64]
Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class Solution:
    """Pairs as (row, col) indices of the instance's matrix, sorted, with the figures."""

    pairs: tuple[tuple[int, int], ...]
    total: float
    upper_bound: float
    exact: bool
    solver: str


def node_hashes(ids: Sequence[str]) -> U64:
    """A 64-bit hash of each id (BLAKE2b: independent of Python's hash seed)."""
    return np.array([int.from_bytes(hashlib.blake2b(i.encode(), digest_size=8).digest(), "big")
                     for i in ids], dtype=np.uint64)


def _perturbation(ha: U64, hb: U64) -> U64:
    """SplitMix64 of the two hashes, keeping PERTURBATION_BITS bits."""
    with np.errstate(over="ignore"):
        x = ha * np.uint64(0x9E3779B97F4A7C15) ^ hb
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
    out: U64 = x >> np.uint64(64 - PERTURBATION_BITS)
    return out


def blossom(inst: Instance, r: IntArray, c: IntArray, hashes: U64) -> list[tuple[int, int]]:
    """Maximum-weight matching on the pairs (r, c) of a peer instance (r < c).

    Complexity: O(n^3) worst case for n nodes (rustworkx's blossom implementation).
    """
    n = inst.W.shape[0]
    if len(r) == 0:
        return []
    quant = np.rint(inst.W[r, c] * SCALE).astype(np.int64).tolist()
    pert = _perturbation(hashes[r], hashes[c]).tolist()
    shift = PERTURBATION_BITS + n.bit_length() + 1
    graph: rx.PyGraph = rx.PyGraph(multigraph=False)
    graph.add_nodes_from(range(n))
    graph.add_edges_from(list(zip(r.tolist(), c.tolist(),
                                  [(q << shift) + p for q, p in zip(quant, pert, strict=True)],
                                  strict=True)))
    matching = rx.max_weight_matching(graph, max_cardinality=False, weight_fn=_identity)
    return sorted((min(a, b), max(a, b)) for a, b in matching)


def _identity(weight: int) -> int:
    return weight


def assignment(inst: Instance, r: IntArray, c: IntArray, row_hash: U64, col_hash: U64
               ) -> list[tuple[int, int]]:
    """Optimal capacitated assignment of columns (mentees) to rows (mentors) on pairs (r, c).

    Complexity: that of LAPJVsp on sum over pairs of the mentor's places, plus one column
    per mentee: O(V * E log V) in the worst case, far less in practice.
    """
    n_cols = inst.W.shape[1]
    if len(r) == 0:
        return []
    caps = inst.row_cap.astype(np.int64)
    start = np.concatenate([[0], np.cumsum(caps)])
    places = int(start[-1])
    reps = caps[r]
    rows = np.repeat(c, reps)  # matrix rows are mentees
    first = np.repeat(start[r], reps)
    within = np.arange(len(rows)) - np.repeat(np.cumsum(reps) - reps, reps)
    cols = first + within
    pert = _perturbation(row_hash[r], col_hash[c]).astype(np.float64) * 2.0**-86
    weights = np.repeat(inst.W[r, c] + pert, reps) + 1.0
    mentees = np.arange(n_cols)
    data = np.concatenate([weights, np.ones(n_cols)])
    matrix = sparse.csr_matrix(
        (data, (np.concatenate([rows, mentees]), np.concatenate([cols, places + mentees]))),
        shape=(n_cols, places + n_cols))
    row_ind, col_ind = min_weight_full_bipartite_matching(matrix, maximize=True)
    owner = np.repeat(np.arange(len(caps)), caps)
    chosen = [(int(owner[col]), int(row)) for row, col in zip(row_ind.tolist(),
                                                              col_ind.tolist(), strict=True)
              if col < places]
    return sorted(chosen)


def _total(inst: Instance, pairs: Sequence[tuple[int, int]]) -> float:
    return math.fsum(float(inst.W[a, b]) for a, b in pairs)


def optimum(inst: Instance, *, k: int, exact_limit: int, row_hash: U64, col_hash: U64,
            progress: Progress | None = None) -> Solution:
    """The best pairing of an instance, with an upper bound (equal to the total when exact).

    Parameters
    ----------
    inst : Instance
        Score matrix and remaining capacities.
    k : int
        Initial shortlist size per node for the LP.
    exact_limit : int
        Up to this many active nodes the result is always proven optimal.
    row_hash, col_hash : uint64 arrays
        Id hashes for the tie-break.

    Returns
    -------
    Solution

    Complexity: O(R * C) per LP round for the scans, plus the LPs and the final solves on
    small graphs; the complete-graph fallback is O(n^3).
    """
    n_active = int(inst.row_active.sum()) + (0 if inst.peer else int(inst.col_active.sum()))

    def solve_on(r: IntArray, c: IntArray) -> list[tuple[int, int]]:
        if inst.peer:
            return blossom(inst, r, c, row_hash)
        return assignment(inst, r, c, row_hash, col_hash)

    name = ("max-weight matching (blossom)" if inst.peer
            else "assignment (sparse Jonker-Volgenant, one column per mentor place)")
    n_pairs = inst.count_pairs()
    if n_pairs == 0:
        return Solution((), 0.0, 0.0, True, f"{name}, no feasible pair")
    if n_active <= exact_limit and (not inst.peer or n_pairs <= DIRECT_PAIRS):
        pairs = solve_on(*inst.all_pairs())
        total = _total(inst, pairs)
        return Solution(tuple(pairs), total, total, True, f"{name}, complete graph, exact")
    bound = column_generation(inst, k, certify=n_active <= exact_limit, progress=progress)
    integral = bool(np.all((bound.lp_x < 1e-6) | (bound.lp_x > 1 - 1e-6)))
    if integral and len(bound.lp_x):
        chosen = bound.lp_x > 0.5
        pairs = sorted(zip(bound.lp_r[chosen].tolist(), bound.lp_c[chosen].tolist(),
                           strict=True))
    else:
        near = bound.near_cost >= -NEAR
        pairs = solve_on(*unique_pairs(np.concatenate([bound.near_r[near], bound.lp_r]),
                                       np.concatenate([bound.near_c[near], bound.lp_c]),
                                       inst.W.shape[1]))
    total = _total(inst, pairs)
    if progress is not None:
        progress("solving", 0.5)
    theta = bound.upper_bound - total + 1e-9
    if n_active <= exact_limit:
        limit = 100 * n_active
    else:  # the final solve must stay fast: blossom is the slow one
        limit = (3 if inst.peer else 20) * n_active
    within: tuple[IntArray, IntArray] | None = None
    if theta <= COLLECT:
        keep = bound.near_cost >= -theta
        if int(keep.sum()) <= limit:
            within = (bound.near_r[keep], bound.near_c[keep])
    elif theta <= WIDE or n_active <= exact_limit:
        found = scan(inst, bound.duals, theta, limit)
        within = None if found is None else (found.r, found.c)
    if within is not None:
        pairs = solve_on(*within)
        total = _total(inst, pairs)
        return Solution(tuple(pairs), total, total, True,
                        f"{name}, proven optimal by LP reduced costs")
    if n_active <= exact_limit:
        pairs = solve_on(*inst.all_pairs())
        total = _total(inst, pairs)
        return Solution(tuple(pairs), total, total, True, f"{name}, complete graph, exact")
    return Solution(tuple(pairs), total, max(bound.upper_bound, total), False,
                    f"{name} on pruned graph, LP upper bound")
