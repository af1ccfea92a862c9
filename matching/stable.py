"""Stable mode: pairings that no two candidates would both rather leave.

Each candidate ranks its own shortlist (``Candidate.ranking``); a candidate without a ranking
ranks all its feasible partners by score (ties by id). A pair is *acceptable* when it is
feasible and each side lists the other. Mentoring mode runs the mentee-proposing deferred
acceptance of Gale and Shapley with mentor places (hospitals/residents): the result is stable
and the best stable result for every mentee. Peer mode runs Irving's stable roommates
algorithm (with incomplete lists), which finds a stable matching or proves none exists.

A *blocking pair* is an acceptable pair, not paired together, where each side is unpaired
(or has a free place) or prefers the other to its partner (its worst mentee, for a mentor).
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Sequence

import numpy as np

from matching.bounds import Instance
from matching.types import Candidate

Prefs = list[list[int]]


def preference_lists(inst: Instance, rows: Sequence[Candidate], cols: Sequence[Candidate]
                     ) -> tuple[Prefs, Prefs]:
    """Mutually acceptable preference lists of rows and cols, as indices of the other side.

    Peer mode returns the same lists twice. Complexity O(R * C log C).
    """
    W = inst.W
    col_index = {c.id: j for j, c in enumerate(cols)}
    row_index = {c.id: i for i, c in enumerate(rows)}

    def ordered(scores: np.ndarray, own: Candidate, index: dict[str, int],
                active: np.ndarray) -> list[int]:
        ok = (scores >= 0) & active
        if own.ranking is not None:
            return [index[x] for x in own.ranking if x in index and ok[index[x]]]
        idx = np.nonzero(ok)[0]
        return [int(j) for j in idx[np.lexsort((idx, -scores[idx]))]]

    row_prefs = [ordered(W[i], rows[i], col_index, inst.col_active) if inst.row_active[i] else []
                 for i in range(len(rows))]
    if inst.peer:
        col_prefs = row_prefs
    else:
        col_prefs = [ordered(W[:, j], cols[j], row_index, inst.row_active)
                     if inst.col_active[j] else [] for j in range(len(cols))]
    row_sets = [set(p) for p in row_prefs]
    col_sets = row_sets if inst.peer else [set(p) for p in col_prefs]
    row_prefs = [[j for j in p if i in col_sets[j]] for i, p in enumerate(row_prefs)]
    if inst.peer:
        return row_prefs, row_prefs
    col_prefs = [[i for i in p if j in row_sets[i]] for j, p in enumerate(col_prefs)]
    return row_prefs, col_prefs


def hospitals_residents(mentor_prefs: Prefs, mentee_prefs: Prefs, caps: Sequence[int]
                        ) -> list[tuple[int, int]]:
    """Mentee-proposing deferred acceptance with mentor places.

    Parameters
    ----------
    mentor_prefs, mentee_prefs : lists of index lists, best first, mutually acceptable
    caps : places per mentor

    Returns
    -------
    list of (mentor, mentee), sorted

    Examples
    --------
    >>> hospitals_residents([[0, 1]], [[0], [0]], [1])
    [(0, 0)]

    Complexity: O(P log c) for P list entries and c the largest capacity.
    """
    rank = [{e: r for r, e in enumerate(p)} for p in mentor_prefs]
    nxt = [0] * len(mentee_prefs)
    held: list[list[tuple[int, int]]] = [[] for _ in mentor_prefs]  # heap of (-rank, mentee)
    free = deque(range(len(mentee_prefs)))
    while free:
        e = free.popleft()
        if nxt[e] >= len(mentee_prefs[e]):
            continue
        m = mentee_prefs[e][nxt[e]]
        nxt[e] += 1
        heapq.heappush(held[m], (-rank[m][e], e))
        if len(held[m]) > caps[m]:
            _, worst = heapq.heappop(held[m])
            free.append(worst)
    return sorted((m, e) for m, heap in enumerate(held) for _, e in heap)


class _Table:
    """Irving's preference table with symmetric deletions."""

    def __init__(self, prefs: Prefs) -> None:
        self.lists = prefs
        self.pos = [{y: i for i, y in enumerate(p)} for p in prefs]
        self.dead = [[False] * len(p) for p in prefs]
        self.head = [0] * len(prefs)
        self.tail = [len(p) - 1 for p in prefs]
        self.count = [len(p) for p in prefs]

    def first(self, x: int) -> int | None:
        while self.head[x] <= self.tail[x] and self.dead[x][self.head[x]]:
            self.head[x] += 1
        return self.lists[x][self.head[x]] if self.head[x] <= self.tail[x] else None

    def last(self, x: int) -> int | None:
        while self.tail[x] >= self.head[x] and self.dead[x][self.tail[x]]:
            self.tail[x] -= 1
        return self.lists[x][self.tail[x]] if self.tail[x] >= self.head[x] else None

    def second(self, x: int) -> int | None:
        seen = 0
        for i in range(self.head[x], self.tail[x] + 1):
            if not self.dead[x][i]:
                seen += 1
                if seen == 2:
                    return self.lists[x][i]
        return None

    def delete(self, x: int, y: int) -> None:
        for a, b in ((x, y), (y, x)):
            i = self.pos[a][b]
            if not self.dead[a][i]:
                self.dead[a][i] = True
                self.count[a] -= 1

    def truncate_after(self, y: int, x: int) -> list[int]:
        """y deletes everyone it ranks below x; returns who was deleted."""
        gone = []
        for i in range(self.pos[y][x] + 1, self.tail[y] + 1):
            if not self.dead[y][i]:
                gone.append(self.lists[y][i])
        for z in gone:
            self.delete(y, z)
        return gone


def stable_roommates(prefs: Prefs) -> list[int] | None:
    """Irving's algorithm for stable roommates with incomplete lists.

    Parameters
    ----------
    prefs : list of index lists, best first, mutually acceptable (y in prefs[x] iff x in
        prefs[y])

    Returns
    -------
    list or None
        ``partner[x]`` (-1 when unpaired), or None when no stable matching exists.

    Examples
    --------
    >>> stable_roommates([[1, 2], [0, 2], [0, 1]])  # 0 and 1 like each other best
    [1, 0, -1]
    >>> stable_roommates([[1, 2, 3], [2, 0, 3], [0, 1, 3], [0, 1, 2]]) is None
    True

    Complexity: O(P * L) for P list entries and L the longest list.
    """
    n = len(prefs)
    table = _Table(prefs)
    holder: list[int | None] = [None] * n
    free = deque(range(n))
    while free:  # phase 1: proposals
        x = free.popleft()
        y = table.first(x)
        if y is None:
            continue
        previous = holder[y]
        holder[y] = x
        for z in table.truncate_after(y, x):
            if z == previous:
                free.append(z)
    start = 0
    while True:  # phase 2: eliminate rotations
        while start < n and table.count[start] < 2:
            start += 1
        if start >= n:
            break
        ps: list[int] = [start]
        qs: list[int] = []
        seen = {start: 0}
        while True:
            q = table.second(ps[-1])
            p = table.last(q) if q is not None else None
            if q is None or p is None:
                return None
            qs.append(q)
            if p in seen:
                cycle = seen[p]
                break
            seen[p] = len(ps)
            ps.append(p)
        touched: list[int] = []
        for p, q in zip(ps[cycle:], qs[cycle:], strict=True):
            touched.append(q)
            touched.extend(table.truncate_after(q, p))
        if any(table.count[x] == 0 for x in touched):
            return None
    partner = [-1] * n
    for x in range(n):
        if table.count[x] == 1:
            partner[x] = table.first(x)  # type: ignore[assignment]
    for x in range(n):
        if partner[x] >= 0 and partner[partner[x]] != x:
            return None
    return partner


def blocking_pairs(row_prefs: Prefs, col_prefs: Prefs, pairs: Sequence[tuple[int, int]],
                   caps: Sequence[int], *, peer: bool) -> list[tuple[int, int]]:
    """Acceptable pairs (row, col) that would both rather be together.

    Complexity: O(P) for P list entries (plus the capacity bookkeeping).
    """
    rank_r = [{j: r for r, j in enumerate(p)} for p in row_prefs]
    rank_c = [{i: r for r, i in enumerate(p)} for p in col_prefs]
    if peer:
        partner = {}
        for a, b in pairs:
            partner[a], partner[b] = b, a
        found = []
        for x, lst in enumerate(row_prefs):
            for y in lst:
                if x < y and partner.get(x) != y \
                        and (x not in partner or rank_r[x][y] < rank_r[x][partner[x]]) \
                        and (y not in partner or rank_r[y][x] < rank_r[y][partner[y]]):
                    found.append((x, y))
        return found
    mentor_of = {e: m for m, e in pairs}
    held: dict[int, list[int]] = {}
    for m, e in pairs:
        held.setdefault(m, []).append(e)
    found = []
    for e, lst in enumerate(col_prefs):
        for m in lst:
            if mentor_of.get(e) == m:
                continue
            wants = e not in mentor_of or rank_c[e][m] < rank_c[e][mentor_of[e]]
            mine = held.get(m, [])
            room = len(mine) < caps[m] or any(rank_r[m][e] < rank_r[m][x] for x in mine)
            if wants and room:
                found.append((m, e))
    return sorted(found)
