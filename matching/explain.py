"""Explanations: why each pair was formed, why each candidate was left without partner.

Per pair: the score and its parts; the evidence (topics one offers that the other seeks,
shared interest groups, shared languages); each side's rank of the other among its feasible
candidates; the best partner each side ranked higher and lost, and what taking it instead
would cost the total (the displaced partners pair up when they can). Per unpaired candidate
one reason: ``no capacity``, ``no feasible partner``, ``capacity full``, ``odd one out`` or
``lost to better pairs``, with a sentence of detail.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt

from matching.scoring import PART_LABELS, PART_NAMES, score
from matching.types import (
    MATURITY_NAMES,
    Alternative,
    Candidate,
    Explanation,
    Mode,
    Options,
    Pair,
    Result,
    SharedTopic,
    Unmatched,
)

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Context:
    """What the explanations need: the matrix over every candidate and who is available."""

    mode: Mode
    options: Options
    rows: Sequence[Candidate]
    cols: Sequence[Candidate]
    W: FloatArray
    row_cap: Sequence[int]  # declared capacities
    col_cap: Sequence[int]
    pinned: frozenset[tuple[int, int]]

    @property
    def peer(self) -> bool:
        return self.mode == "peer"


def _clean(x: float) -> float:
    return round(x, 12) + 0.0


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def shared_topics(a: Candidate, b: Candidate, mode: Mode) -> tuple[SharedTopic, ...]:
    """Topics one offers and the other seeks (mentoring: only what the mentor a offers)."""
    found = [SharedTopic(t, a.id, b.id, a.offers_map[t]) for t in b.seeks if t in a.offers_map]
    if mode == "peer":
        found += [SharedTopic(t, b.id, a.id, b.offers_map[t]) for t in a.seeks
                  if t in b.offers_map]
    return tuple(found)


class _Explainer:
    def __init__(self, ctx: Context, pairs: Sequence[tuple[int, int]]) -> None:
        self.ctx = ctx
        self.pairs = list(pairs)
        self.labels = {c.id: c.label for c in (*ctx.rows, *ctx.cols)}
        W = ctx.W
        self.pinned_rows = {r for r, _ in ctx.pinned}
        self.pinned_cols = {c for _, c in ctx.pinned}
        if ctx.peer:
            self.partner: dict[int, int] = {}
            for r, c in pairs:
                self.partner[r], self.partner[c] = c, r
            taken = self.pinned_rows | self.pinned_cols
            self.row_free = np.array([ctx.row_cap[i] > 0 and i not in taken
                                      for i in range(W.shape[0])], dtype=bool)
            self.col_free = self.row_free
        else:
            self.mentor_of = {c: r for r, c in pairs}
            self.mentees_of: dict[int, list[int]] = {}
            for r, c in pairs:
                self.mentees_of.setdefault(r, []).append(c)
            self.row_free = np.array([cap > 0 for cap in ctx.row_cap], dtype=bool)
            self.col_free = np.array([ctx.col_cap[j] > 0 and j not in self.pinned_cols
                                      for j in range(W.shape[1])], dtype=bool)

    @cached_property
    def row_open(self) -> npt.NDArray[np.bool_]:
        return np.array([cap > 0 for cap in self.ctx.row_cap], dtype=bool)

    @cached_property
    def col_open(self) -> npt.NDArray[np.bool_]:
        return self.row_open if self.ctx.peer else np.array([cap > 0 for cap in self.ctx.col_cap], dtype=bool)

    @cached_property
    def facts(self) -> dict[tuple[int, int], tuple[int, int, int, int, int, int]]:
        """Per pair, vectorised by chunks: each side's rank of the other, its number of
        feasible partners, and its best available partner (index, -1 for none)."""
        ctx, W = self.ctx, self.ctx.W
        if not self.pairs:
            return {}
        WT = W if ctx.peer else np.ascontiguousarray(W.T)
        r_all = np.array([r for r, _ in self.pairs])
        c_all = np.array([c for _, c in self.pairs])
        out: dict[tuple[int, int], tuple[int, int, int, int, int, int]] = {}
        for start in range(0, len(self.pairs), 256):
            r, c = r_all[start:start + 256], c_all[start:start + 256]
            own = W[r, c][:, None]
            # Candidates that take nobody (capacity 0) are nobody's option.
            rows = np.where(self.col_open[None, :], W[r], -1.0)
            cols = np.where(self.row_open[None, :], WT[c], -1.0)
            rank_a = (rows > own).sum(axis=1) + 1
            rank_b = (cols > own).sum(axis=1) + 1
            opts_a, opts_b = (rows >= 0).sum(axis=1), (cols >= 0).sum(axis=1)
            best_a = np.where(self.col_free[None, :], rows, -1.0)
            best_b = np.where(self.row_free[None, :], cols, -1.0)
            for k, (i, j) in enumerate(zip(r.tolist(), c.tolist(), strict=True)):
                best_a[k, self.mentees_of.get(i, []) if not ctx.peer else j] = -1.0
                best_b[k, i] = -1.0
            alt_a, alt_b = best_a.argmax(axis=1), best_b.argmax(axis=1)
            alt_a = np.where(best_a[np.arange(len(r)), alt_a] > own[:, 0], alt_a, -1)
            alt_b = np.where(best_b[np.arange(len(r)), alt_b] > own[:, 0], alt_b, -1)
            for k, (i, j) in enumerate(zip(r.tolist(), c.tolist(), strict=True)):
                out[(i, j)] = (int(rank_a[k]), int(opts_a[k]), int(rank_b[k]),
                               int(opts_b[k]), int(alt_a[k]), int(alt_b[k]))
        return out

    def w(self, r: int, c: int) -> float | None:
        value = float(self.ctx.W[r, c])
        return value if value >= 0 else None

    def alternative_peer(self, i: int, j: int, c: int) -> Alternative | None:
        """i, paired with j, would score more with c: the swap pairs j with c's partner."""
        if c < 0:
            return None
        W = self.ctx.W
        delta = W[i, c] - W[i, j]
        other = self.partner.get(c)
        if other is not None:
            delta -= W[c, other]
            delta += self.w(j, other) or 0.0
        return Alternative(self.ctx.cols[c].id, float(W[i, c]), _clean(-delta))

    def alternative_mentee(self, m: int, e: int, m2: int) -> Alternative | None:
        """Mentee e would score more with mentor m2: if m2 is full, one of its mentees moves
        to m (or stays unpaired), whichever costs least."""
        if m2 < 0:
            return None
        W = self.ctx.W
        delta = W[m2, e] - W[m, e]
        theirs = self.mentees_of.get(m2, [])
        if len(theirs) >= self.ctx.row_cap[m2]:
            delta += max((self.w(m, e2) or 0.0) - W[m2, e2] for e2 in theirs)
        return Alternative(self.ctx.rows[m2].id, float(W[m2, e]), _clean(-delta))

    def alternative_mentor(self, m: int, e: int, e2: int) -> Alternative | None:
        """Mentor m would score more with mentee e2 instead of e: e takes e2's mentor."""
        if e2 < 0:
            return None
        W = self.ctx.W
        delta = W[m, e2] - W[m, e]
        m2 = self.mentor_of.get(e2)
        if m2 is not None:
            delta -= W[m2, e2]
            delta += self.w(m2, e) or 0.0
        return Alternative(self.ctx.cols[e2].id, float(W[m, e2]), _clean(-delta))

    def pair(self, r: int, c: int) -> Pair:
        ctx = self.ctx
        a, b = ctx.rows[r], ctx.cols[c]
        scored = score(a, b, ctx.options)
        assert scored is not None, f"infeasible pair {a.id}, {b.id}"
        s = scored.score
        rank_a, options_a, rank_b, options_b, best_a, best_b = self.facts[(r, c)]
        if ctx.peer:
            alt_a = self.alternative_peer(r, c, best_a)
            alt_b = self.alternative_peer(c, r, best_b)
        else:
            alt_a = self.alternative_mentor(r, c, best_a)
            alt_b = self.alternative_mentee(r, c, best_b)
        explanation = Explanation(
            shared_topics=shared_topics(a, b, ctx.mode),
            shared_groups=tuple(sorted(set(a.interest_groups) & set(b.interest_groups))),
            shared_languages=tuple(sorted(set(a.languages) & set(b.languages))),
            rank_a=rank_a, options_a=options_a, rank_b=rank_b, options_b=options_b,
            alternative_a=alt_a, alternative_b=alt_b, pinned=(r, c) in ctx.pinned)
        return Pair(a.id, b.id, s, dict(scored.parts),
                    _reasons(a, b, s, dict(scored.parts), explanation, self.labels), explanation)


def _reasons(a: Candidate, b: Candidate, s: float, parts: dict[str, float],
             ex: Explanation, labels: dict[str, str]) -> tuple[str, ...]:
    """Plain sentences naming candidates by label (name, else id)."""
    lines = []
    if ex.pinned:
        lines.append("Pinned by the organiser.")
    top = sorted((p for p in PART_NAMES if parts[p] > 0), key=lambda p: (-parts[p], p))[:3]
    if top:
        lines.append(f"Score {s:.3f}, mostly from " + ", ".join(
            f"{PART_LABELS[p]} ({parts[p]:.3f})" for p in top) + ".")
    for t in ex.shared_topics:
        lines.append(f"{labels[t.sought_by]} seeks {t.topic}, which {labels[t.offered_by]} offers "
                     f"({MATURITY_NAMES[t.maturity]}).")
    if ex.shared_groups:
        lines.append("Both are in the interest groups " + ", ".join(ex.shared_groups) + ".")
    lines.append("They can work together in " + ", ".join(ex.shared_languages) + ".")
    if a.country != b.country:
        lines.append(f"Cross-border: {a.country} and {b.country}.")
    partners = "feasible partner" if ex.options_a == 1 else "feasible partners"
    lines.append(f"{b.label} is {a.label}'s {_ordinal(ex.rank_a)} choice of {ex.options_a} {partners}; "
                 f"{a.label} is {b.label}'s {_ordinal(ex.rank_b)} of {ex.options_b}.")
    for who, alt in ((a.label, ex.alternative_a), (b.label, ex.alternative_b)):
        if alt is not None:
            if alt.swap_cost > 0:
                effect = f"would lower the total by {alt.swap_cost:.3f}"
            elif alt.swap_cost < 0:  # only where a pinned pair forced this one
                effect = f"would raise the total by {-alt.swap_cost:.3f} (this pair was pinned)"
            else:
                effect = "would leave the total as it is"
            lines.append(f"{who} scores higher with {labels[alt.id]} ({alt.score:.3f}); pairing them "
                         f"instead {effect}.")
    return tuple(lines)


def explain_pairs(ctx: Context, pairs: Sequence[tuple[int, int]]) -> tuple[Pair, ...]:
    """One :class:`Pair` per (row, col), sorted by ids. O(N) per pair (vectorised)."""
    explainer = _Explainer(ctx, pairs)
    return tuple(sorted((explainer.pair(r, c) for r, c in pairs), key=lambda p: (p.a, p.b)))


def _only_closed(ctx: Context, cand: Candidate) -> str:
    return "Its only feasible partners take no partner (capacity 0)."


def explain_unmatched(ctx: Context, pairs: Sequence[tuple[int, int]]) -> tuple[Unmatched, ...]:
    """Why each candidate without partner has none. O(N) per such candidate."""
    ex = _Explainer(ctx, pairs)
    W = ctx.W
    out: list[Unmatched] = []

    if ctx.peer:
        matched = set(ex.partner)
        pairable = [i for i in range(W.shape[0]) if ex.row_free[i] and
                    bool(((W[i] >= 0) & ex.row_free).any())]
        alone = [i for i in pairable if i not in matched]
        takers = np.array([cap > 0 for cap in ctx.row_cap], dtype=bool)
        for i, cand in enumerate(ctx.rows):
            if i in matched:
                continue
            # Partners that asked for nobody (capacity 0) are no partners at all.
            feasible = (W[i] >= 0) & takers
            available = feasible & ex.row_free
            if ctx.row_cap[i] == 0:
                out.append(Unmatched(cand.id, "no capacity", "It asked for no partner."))
            elif not feasible.any():
                out.append(Unmatched(cand.id, "no feasible partner", _no_partner(ctx, cand)
                                     if not (W[i] >= 0).any() else _only_closed(ctx, cand)))
            elif not available.any():
                out.append(Unmatched(cand.id, "lost to better pairs",
                                     "All its feasible partners are pinned to others."))
            else:
                best = int(np.argmax(np.where(available, W[i], -1.0)))
                other = ex.partner.get(best)
                detail = (f"Its best partner {ctx.rows[best].label} ({W[i, best]:.3f}) is paired "
                          f"with {ctx.rows[other].label if other is not None else 'nobody'}.")
                odd = len(alone) == 1 and len(pairable) % 2 == 1
                out.append(Unmatched(cand.id, "odd one out" if odd else "lost to better pairs",
                                     ("An odd number of candidates can be paired, so one is "
                                      "left over. " if odd else "") + detail))
        return tuple(out)
    load = {m: len(es) for m, es in ex.mentees_of.items()}
    open_mentees = np.array([cap > 0 for cap in ctx.col_cap], dtype=bool)
    open_mentors = np.array([cap > 0 for cap in ctx.row_cap], dtype=bool)
    for m, cand in enumerate(ctx.rows):
        if m in load:
            continue
        feasible = (W[m] >= 0) & open_mentees
        if ctx.row_cap[m] == 0:
            out.append(Unmatched(cand.id, "no capacity", "It offered no places."))
        elif not feasible.any():
            out.append(Unmatched(cand.id, "no feasible partner", _no_partner(ctx, cand)
                                 if not (W[m] >= 0).any() else _only_closed(ctx, cand)))
        else:
            best = int(np.argmax(np.where(feasible, W[m], -1.0)))
            holder = ex.mentor_of.get(best)
            out.append(Unmatched(cand.id, "lost to better pairs", (
                f"Its best mentee {ctx.cols[best].label} ({W[m, best]:.3f}) is with "
                f"{ctx.rows[holder].label if holder is not None else 'nobody'}, and so are "
                f"its other feasible mentees.")))
    for e, cand in enumerate(ctx.cols):
        if e in ex.mentor_of:
            continue
        feasible = (W[:, e] >= 0) & open_mentors
        places = feasible & ex.row_free
        if ctx.col_cap[e] == 0:
            out.append(Unmatched(cand.id, "no capacity", "It asked for no mentor."))
        elif not feasible.any():
            out.append(Unmatched(cand.id, "no feasible partner", _no_partner(ctx, cand)
                                 if not (W[:, e] >= 0).any() else _only_closed(ctx, cand)))
        elif all(load.get(m, 0) >= ctx.row_cap[m] for m in np.nonzero(places)[0].tolist()):
            best = int(np.argmax(np.where(feasible, W[:, e], -1.0)))
            out.append(Unmatched(cand.id, "capacity full", (
                f"Every feasible mentor is full; the best, {ctx.rows[best].label} "
                f"({W[best, e]:.3f}), has {load.get(best, 0)} of {ctx.row_cap[best]} "
                f"places taken.")))
        else:
            out.append(Unmatched(cand.id, "lost to better pairs",
                                 "Its feasible mentors with free places are not on its "
                                 "shortlist or do not rank it."))
    return tuple(sorted(out, key=lambda u: u.id))


def _no_partner(ctx: Context, cand: Candidate) -> str:
    from matching.scoring import infeasibility

    others = ctx.cols if cand.role == "mentor" else ctx.rows

    reasons: dict[str, int] = {}
    for other in others:
        if other.id == cand.id:
            continue
        a, b = (cand, other) if ctx.peer or cand.role == "mentor" else (other, cand)
        why = infeasibility(a, b, ctx.options)
        if why is not None:
            reasons[why] = reasons.get(why, 0) + 1
    if not reasons:
        return "No other candidate can take part."
    common = sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))[:2]
    return "Every pair is infeasible: " + "; ".join(f"{why} ({n})" for why, n in common) + "."


def result_to_dict(result: Result) -> dict[str, Any]:
    """The output document of :meth:`Result.to_dict`."""

    def alt(a: Alternative | None) -> dict[str, Any] | None:
        return None if a is None else {"id": a.id, "score": a.score, "swap_cost": a.swap_cost}

    out: dict[str, Any] = {
        "mode": result.mode,
        "pairs": [{"a": p.a, "b": p.b, "score": p.score, "parts": dict(p.parts),
                   "reasons": list(p.reasons)} for p in result.pairs],
        "unmatched": [{"id": u.id, "reason": u.reason, "detail": u.detail}
                      for u in result.unmatched],
        "total_score": result.total_score,
        "upper_bound": result.upper_bound,
        "gap": result.gap,
        "ratio": result.ratio,
        "exact": result.exact,
        "solver": result.solver,
        "free_places": dict(result.free_places),
        "explanations": [{
            "a": p.a, "b": p.b, "pinned": p.explanation.pinned,
            "shared_topics": [{"topic": t.topic, "offered_by": t.offered_by,
                               "sought_by": t.sought_by, "maturity": t.maturity}
                              for t in p.explanation.shared_topics],
            "shared_groups": list(p.explanation.shared_groups),
            "shared_languages": list(p.explanation.shared_languages),
            "rank_a": p.explanation.rank_a, "options_a": p.explanation.options_a,
            "rank_b": p.explanation.rank_b, "options_b": p.explanation.options_b,
            "alternative_a": alt(p.explanation.alternative_a),
            "alternative_b": alt(p.explanation.alternative_b),
        } for p in result.pairs],
        "notes": list(result.notes),
    }
    if result.stability is not None:
        s = result.stability
        out["stable"] = {"exists": s.exists, "blocking_pairs": s.blocking_pairs,
                         "optimum_total": s.optimum_total, "score_given_up": s.score_given_up,
                         "note": s.note}
        out["score_given_up"] = s.score_given_up
    return out
