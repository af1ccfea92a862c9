"""Upper bounds from linear programming duals, and the pairs worth looking at.

The solvers work on a score matrix ``W`` (rows x cols, ``INFEASIBLE`` where infeasible):
peer mode has the candidates on both sides (pairs ``r < c``), mentoring mode mentors as rows
and mentees as columns. The LP relaxation

    maximise  sum w_e x_e   subject to  sum_{e at v} x_e <= cap_v,  x >= 0,
              (peer) sum_{e inside S} x_e <= (|S| - 1) / 2 for some odd sets S

has the dual  minimise sum cap_v y_v + sum (|S| - 1) / 2 z_S  subject to
``y_r + y_c + sum_{S containing r, c} z_S >= w_rc``, ``y, z >= 0``. Any dual feasible
solution bounds every pairing from above, and the reduced cost
``R_rc = w_rc - y_r - y_c - sum z_S <= 0`` of a pair bounds what a pairing containing it
can reach: ``total <= bound + sum of R over its pairs``. So pairs with
``R < -(bound - best known total)`` cannot be in a better pairing, which lets the solver
prove optimality on a small graph.

The LP is solved on a working set of pairs (first each node's best k) and the pairs whose
dual constraint fails on the full matrix are added (column generation; the set only grows,
since dropping pairs can make it cycle) until repairing the rest would cost next to nothing.
In peer mode odd sets are then added where the LP solution has odd cycles of half pairs
(blossom inequalities), which usually closes the gap to the integral optimum. Remaining
failures are repaired by raising duals, so the bound is valid in every case.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.optimize import linprog
from scipy.sparse.csgraph import connected_components

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BLOCK = 256
TOL = 1e-9
COLLECT = 0.05  # scans keep pairs whose reduced cost is at least -COLLECT
VIOLATION = 1e-7  # pairs outside the working set with a larger reduced cost are added
KEEP = 0.02  # the odd-set phase starts from the pairs with reduced cost >= -KEEP
SETTLED = 1e-4  # stop adding pairs once repairing the duals costs less (relative)
MAX_ROUNDS = 30


@dataclass(frozen=True)
class Instance:
    """A score matrix with remaining capacities. ``peer``: rows and cols are the same nodes."""

    W: FloatArray
    peer: bool
    row_cap: IntArray
    col_cap: IntArray

    @property
    def row_active(self) -> npt.NDArray[np.bool_]:
        return self.row_cap > 0

    @property
    def col_active(self) -> npt.NDArray[np.bool_]:
        return self.col_cap > 0

    @cached_property
    def masked(self) -> FloatArray:
        """W with -inf wherever a pair is not valid (inactive, infeasible, peer: col <= row)."""
        out = np.where(self.W >= 0, self.W, -np.inf)
        out[~self.row_active] = -np.inf
        out[:, ~self.col_active] = -np.inf
        if self.peer:
            for i in range(out.shape[0]):
                out[i, : i + 1] = -np.inf
        return out

    def count_pairs(self) -> int:
        """How many valid pairs there are. O(R * C)."""
        return int(np.isfinite(self.masked).sum())

    def all_pairs(self) -> tuple[IntArray, IntArray]:
        """Every valid pair, in row-major order. O(R * C)."""
        r, c = np.nonzero(np.isfinite(self.masked))
        return r.astype(np.int64), c.astype(np.int64)


@dataclass(frozen=True)
class Duals:
    """Dual values: per row, per col (the same array in peer mode) and per odd set."""

    y_row: FloatArray
    y_col: FloatArray
    sets: tuple[tuple[int, ...], ...] = ()
    z: tuple[float, ...] = ()
    corr_r: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    corr_c: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    corr_z: FloatArray = field(default_factory=lambda: np.zeros(0))

    def value(self, inst: Instance) -> float:
        """The bound ``sum cap_v y_v + sum (|S| - 1) / 2 z_S``."""
        terms = (inst.row_cap * self.y_row).tolist()
        if not inst.peer:
            terms += (inst.col_cap * self.y_col).tolist()
        terms += [(len(s) - 1) / 2 * z for s, z in zip(self.sets, self.z, strict=True)]
        return math.fsum(terms)


def with_sets(y_row: FloatArray, y_col: FloatArray, sets: list[tuple[int, ...]],
              z: list[float]) -> Duals:
    """Duals with the per-pair sum of z over the sets that contain both ends."""
    total: dict[tuple[int, int], float] = {}
    for members, value in zip(sets, z, strict=True):
        if value <= 0:
            continue
        for i, a in enumerate(members):
            for b in members[i + 1:]:
                total[(a, b)] = total.get((a, b), 0.0) + value
    keys = sorted(total)
    return Duals(y_row, y_col, tuple(sets), tuple(z),
                 np.array([a for a, _ in keys], dtype=np.int64),
                 np.array([b for _, b in keys], dtype=np.int64),
                 np.array([total[k] for k in keys]))


@dataclass(frozen=True)
class Scan:
    """Pairs with reduced cost >= -threshold (r, c, cost) and the duals repaired to feasible."""

    r: IntArray
    c: IntArray
    cost: FloatArray
    repaired: Duals
    violated: int


def _blocks(n: int) -> list[slice]:
    return [slice(s, min(s + BLOCK, n)) for s in range(0, n, BLOCK)]


def _cat(parts: list[IntArray]) -> IntArray:
    return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, dtype=np.int64)


def scan(inst: Instance, duals: Duals, threshold: float, limit: int | None = None
         ) -> Scan | None:
    """One pass over the matrix: reduced costs, near pairs, repaired duals.

    Returns None as soon as more than ``limit`` pairs are within the threshold.
    Complexity: O(R * C).
    """
    rs, cs, vs = [], [], []
    raise_row = np.zeros_like(duals.y_row)
    raise_col = np.zeros_like(duals.y_col)
    count = violated = 0
    for s in _blocks(inst.W.shape[0]):
        R = inst.masked[s] - duals.y_row[s, None] - duals.y_col[None, :]
        inside = (duals.corr_r >= s.start) & (duals.corr_r < s.stop)
        R[duals.corr_r[inside] - s.start, duals.corr_c[inside]] -= duals.corr_z[inside]
        r, c = np.nonzero(R >= -threshold)
        count += len(r)
        if limit is not None and count > limit:
            return None
        v = R[r, c]
        violated += int((v > TOL).sum())
        rs.append(r + s.start)
        cs.append(c)
        vs.append(v)
        if inst.peer:
            raise_row[s] = np.maximum(R.max(axis=1, initial=0.0), 0.0)
        else:
            raise_col = np.maximum(raise_col, R.max(axis=0, initial=0.0))
    if inst.peer:
        y = duals.y_row + raise_row
        repaired = Duals(y, y, duals.sets, duals.z, duals.corr_r, duals.corr_c, duals.corr_z)
    else:
        repaired = Duals(duals.y_row, duals.y_col + raise_col)
    return Scan(_cat(rs), _cat(cs), np.concatenate(vs) if vs else np.zeros(0), repaired,
                violated)


def shortlist(inst: Instance, k: int) -> tuple[IntArray, IntArray]:
    """Each active node's best k feasible partners by score, as unique (row, col) pairs.

    Complexity: O(R * C) with ``argpartition``.
    """
    M = inst.masked
    n_rows, n_cols = M.shape
    if n_rows == 0 or n_cols == 0 or k <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    full = np.maximum(M, M.T) if inst.peer else M
    rs, cs = [], []
    for s in _blocks(n_rows):
        kk = min(k, n_cols)
        top = np.argpartition(-full[s], kk - 1, axis=1)[:, :kk]
        r = np.repeat(np.arange(s.start, s.stop), kk)
        c = top.ravel()
        ok = np.isfinite(full[r, c])
        rs.append(r[ok])
        cs.append(c[ok])
    if not inst.peer:  # and each mentee's best k mentors
        MT = np.ascontiguousarray(M.T)
        kk = min(k, n_rows)
        for s in _blocks(n_cols):
            top = np.argpartition(-MT[s], kk - 1, axis=1)[:, :kk]
            c = np.repeat(np.arange(s.start, s.stop), kk)
            r = top.ravel()
            ok = np.isfinite(M[r, c])
            rs.append(r[ok])
            cs.append(c[ok])
    r_all, c_all = _cat(rs), _cat(cs)
    if inst.peer:
        r_all, c_all = np.minimum(r_all, c_all), np.maximum(r_all, c_all)
    return unique_pairs(r_all, c_all, n_cols)


def unique_pairs(r: IntArray, c: IntArray, n_cols: int) -> tuple[IntArray, IntArray]:
    """Sorted unique (r, c) pairs."""
    width = max(n_cols, 1)
    key = np.unique(r * width + c)
    return key // width, key % width


def _lp(inst: Instance, r: IntArray, c: IntArray, sets: list[tuple[int, ...]]
        ) -> tuple[FloatArray, Duals] | None:
    """Solve the LP on pairs (r, c) with the odd sets; None when HiGHS fails."""
    n_rows, n_cols = inst.W.shape
    m = len(r)
    offset = 0 if inst.peer else n_rows
    n_nodes = n_rows if inst.peer else n_rows + n_cols
    rows = [r, c + offset]
    cols = [np.arange(m), np.arange(m)]
    where = {(a, b): e for e, (a, b) in enumerate(zip(r.tolist(), c.tolist(), strict=True))}
    for i, members in enumerate(sets):
        inside = [where[(a, b)] for j, a in enumerate(members) for b in members[j + 1:]
                  if (a, b) in where]
        rows.append(np.full(len(inside), n_nodes + i, dtype=np.int64))
        cols.append(np.array(inside, dtype=np.int64))
    rr, cc = np.concatenate(rows), np.concatenate(cols)
    A = sparse.csr_matrix((np.ones(len(rr)), (rr, cc)), shape=(n_nodes + len(sets), m))
    caps = inst.row_cap if inst.peer else np.concatenate([inst.row_cap, inst.col_cap])
    b = np.concatenate([caps.astype(np.float64), [(len(s) - 1) / 2 for s in sets]])
    res = linprog(-inst.W[r, c], A_ub=A, b_ub=b, bounds=(0, None), method="highs-ipm")
    if res.status != 0 or res.ineqlin is None or res.x is None:
        return None
    dual = np.maximum(-np.asarray(res.ineqlin.marginals, dtype=np.float64), 0.0)
    y = dual[:n_nodes]
    z = dual[n_nodes:].tolist()
    if inst.peer:
        return np.asarray(res.x), with_sets(y, y, sets, z)
    return np.asarray(res.x), Duals(y[:n_rows], y[n_rows:])


def _odd_sets(inst: Instance, r: IntArray, c: IntArray, x: FloatArray) -> list[tuple[int, ...]]:
    """Odd components of the fractional part of x that break a blossom inequality."""
    frac = (x > 1e-6) & (x < 1 - 1e-6)
    if not frac.any():
        return []
    n = inst.W.shape[0]
    graph = sparse.csr_matrix((np.ones(int(frac.sum())), (r[frac], c[frac])), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    touched = np.unique(np.concatenate([r[frac], c[frac]]))
    found = []
    for comp in np.unique(label[touched]).tolist():
        members = np.nonzero(label == comp)[0]
        if len(members) % 2 == 0 or len(members) < 3:
            continue
        inside = frac & (label[r] == comp) & (label[c] == comp)
        if float(x[inside].sum()) > (len(members) - 1) / 2 + 1e-6:
            found.append(tuple(int(v) for v in members))
    return found


def _set_pairs(inst: Instance, sets: list[tuple[int, ...]]) -> tuple[IntArray, IntArray]:
    pairs = [(a, b) for members in sets for j, a in enumerate(members) for b in members[j + 1:]
             if np.isfinite(inst.masked[a, b])]
    return (np.array([a for a, _ in pairs], dtype=np.int64),
            np.array([b for _, b in pairs], dtype=np.int64))


def trivial_duals(inst: Instance) -> Duals:
    """Always feasible duals: half of each node's best score (peer), or each mentee's best."""
    M = np.where(np.isfinite(inst.masked), inst.masked, 0.0)
    if inst.peer:
        best = np.maximum(M.max(axis=1, initial=0.0), M.max(axis=0, initial=0.0))
        return Duals(best / 2, best / 2)
    return Duals(np.zeros(M.shape[0]), M.max(axis=0, initial=0.0))


@dataclass(frozen=True)
class Bound:
    """Feasible duals, their bound, the near pairs of the last scan and the LP solution."""

    duals: Duals
    upper_bound: float
    near_r: IntArray
    near_c: IntArray
    near_cost: FloatArray
    lp_r: IntArray
    lp_c: IntArray
    lp_x: FloatArray
    rounds: int


def reduced_costs(inst: Instance, duals: Duals, r: IntArray, c: IntArray) -> FloatArray:
    """Reduced costs of the given pairs (odd-set duals included). O(len(r) log S)."""
    cost: FloatArray = inst.W[r, c] - duals.y_row[r] - duals.y_col[c]
    if len(duals.corr_r):
        width = inst.W.shape[1]
        keys = duals.corr_r * width + duals.corr_c
        want = r * width + c
        at = np.minimum(np.searchsorted(keys, want), len(keys) - 1)
        hit = keys[at] == want
        cost[hit] -= duals.corr_z[at[hit]]
    return cost


class _Work:
    """The LP working set: grows only (dropping pairs can make column generation cycle)."""

    def __init__(self, inst: Instance, r: IntArray, c: IntArray) -> None:
        self.inst = inst
        self.width = max(inst.W.shape[1], 1)
        self.r, self.c = unique_pairs(r, c, inst.W.shape[1])
        self.sets: list[tuple[int, ...]] = []

    def contains(self, r: IntArray, c: IntArray) -> npt.NDArray[np.bool_]:
        return np.isin(r * self.width + c, self.r * self.width + self.c)

    def add(self, r: IntArray, c: IntArray) -> None:
        self.r, self.c = unique_pairs(np.concatenate([self.r, r]), np.concatenate([self.c, c]),
                                      self.inst.W.shape[1])

    def add_violated(self, r: IntArray, c: IntArray, cost: FloatArray) -> bool:
        """Add the pairs outside the set whose reduced cost is positive; True if any."""
        new = (cost > VIOLATION) & ~self.contains(r, c)
        if not new.any():
            return False
        r, c, cost = r[new], c[new], cost[new]
        limit = 4 * max(self.inst.W.shape)
        if len(r) > limit:
            top = np.argpartition(-cost, limit - 1)[:limit]
            r, c = r[top], c[top]
        self.add(r, c)
        return True

    def add_sets(self, found: list[tuple[int, ...]]) -> None:
        self.sets += found
        self.add(*_set_pairs(self.inst, found))

    def solve(self) -> tuple[FloatArray, Duals] | None:
        return _lp(self.inst, self.r, self.c, self.sets)


def _integral(x: FloatArray) -> bool:
    return bool(np.all((x < 1e-6) | (x > 1 - 1e-6)))


def column_generation(inst: Instance, k: int, *, certify: bool = True,
                      progress: Callable[[str, float], None] | None = None) -> Bound:
    """Feasible duals close to the (peer: odd-set strengthened) LP optimum, and an LP solution.

    1. Column generation on the full matrix from each node's best k partners, until
       repairing the duals for the pairs left out would cost under SETTLED of the bound.
    2. Peer mode, when the LP solution is fractional: blossom inequalities for its odd
       cycles, re-solving and pricing the pairs near tight (reduced cost >= -COLLECT), until
       the LP is integral or no cut is found. With ``certify`` the LP keeps every pair of
       step 1 and the result is checked on the full matrix (its bound is used when lower);
       without, the LP keeps only the pairs within KEEP of tight: faster, and its solution
       only serves as a pairing.

    Parameters
    ----------
    inst : Instance
    k : int
        Size of each node's initial shortlist.
    certify : bool
        Whether step 2 should try to lower the bound (peer mode).

    Returns
    -------
    Bound
        ``upper_bound`` is valid for every pairing of ``inst`` (the duals are repaired), and
        ``lp_x`` is the last LP solution on the pairs ``lp_r, lp_c``.

    Complexity: one LP on the working set per round, plus one O(R * C) pass per full check;
    at most MAX_ROUNDS LPs.
    """
    work = _Work(inst, *shortlist(inst, k))
    rounds = 0
    x, duals = np.zeros(len(work.r)), trivial_duals(inst)

    def step(on: _Work) -> bool:
        nonlocal rounds, x, duals
        rounds += 1
        if progress is not None:
            progress("bounding", min(rounds / MAX_ROUNDS, 1.0))
        solved = on.solve()
        if solved is None:
            x, duals = np.zeros(len(on.r)), trivial_duals(inst)
            return False
        x, duals = solved
        return True

    def settled(found: Scan) -> bool:
        value = duals.value(inst)
        return found.repaired.value(inst) - value <= SETTLED * max(value, 1.0)

    def grow(on: _Work) -> tuple[bool, Scan]:
        """Column generation on the full matrix; returns (LP solved, last scan)."""
        while True:
            ok = step(on)
            found = scan(inst, duals, COLLECT)
            assert found is not None
            if not ok or rounds >= MAX_ROUNDS or settled(found) \
                    or not on.add_violated(found.r, found.c, found.cost):
                return ok, found

    ok, found = grow(work)
    best = found
    if not ok or not inst.peer or _integral(x):
        return Bound(best.repaired, best.repaired.value(inst), best.r, best.c, best.cost,
                     work.r, work.c, x, rounds)
    pool_r, pool_c = found.r, found.c
    if not certify:
        near, support = found.cost >= -KEEP, x > 1e-9
        work = _Work(inst, np.concatenate([found.r[near], work.r[support]]),
                     np.concatenate([found.c[near], work.c[support]]))
        ok = step(work)
    while ok and rounds < MAX_ROUNDS and not _integral(x):
        cuts = _odd_sets(inst, work.r, work.c, x)
        priced = work.add_violated(pool_r, pool_c, reduced_costs(inst, duals, pool_r, pool_c))
        if not cuts and not priced:
            break
        work.add_sets(cuts)
        ok = step(work)
    if certify and ok:
        ok, found = grow(work)
        if found.repaired.value(inst) < best.repaired.value(inst):
            best = found
    return Bound(best.repaired, best.repaired.value(inst), best.r, best.c, best.cost,
                 work.r, work.c, x, rounds)
