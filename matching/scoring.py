"""Scores of pairs: hard constraints, documented parts and weights.

A pair is **infeasible** (``score`` returns None) when the two candidates

- are the same candidate or belong to the same authority,
- share no working language,
- have blocked each other (either way) or are a forbidden pair (``options.forbidden``),
- were partners within the cooldown (``options.cooldown_years``; an entry of
  ``past_partners`` without a year, or no ``options.year``, counts as within it),
- are in the same country while ``options.require_different_countries`` is set,
- have incompatible roles: in mentoring mode ``a`` must be the mentor and ``b`` the mentee
  (two mentors, two mentees or the wrong direction are infeasible); in peer mode both must
  be peers.

A feasible pair scores ``sum(weight[p] * component[p])`` over the parts below, each component
in [0, 1]. The weights are normalised to add up to 1, so the score is in [0, 1]; the parts
returned are the weighted components and add up to the score.

===================  =========  =========  ==================================================
part                 mentoring  peer       component
===================  =========  =========  ==================================================
``topic_fit``        0.40       0.30       what one offers against what the other seeks:
                                           mean over the topics b seeks of a's maturity / 3
                                           (mentoring: mentor a -> mentee b; peer: the mean
                                           of both directions)
``shared_ambition``  0.00       0.15       Jaccard overlap of the topics both seek
``experience``       0.20       0.10       mentoring: mean over the topics the mentee seeks of
                                           the mentor's lead in maturity, capped at 2 levels,
                                           / 2; peer: 1 - |difference of mean maturity| / 3
``groups``           0.15       0.15       Jaccard overlap of the interest groups
``language``         0.10       0.10       shared working languages: 1 -> 0.5, 2 or more -> 1
``size``             0.10       0.15       size similarity on a log scale:
                                           1 - min(|ln(size_a / size_b)| / ln(1000), 1);
                                           0.5 when a size is unknown
``cross_border``     0.05       0.05       1 when the countries differ, else 0
===================  =========  =========  ==================================================

``options.weights`` overrides some weights (the others keep their defaults) before the
normalisation. Scores are deterministic floats: integer counts are divided once and the
parts are added in the order above, so the vectorised matrix used by the solvers gives
bit-for-bit the same floats as :func:`score`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from matching.types import Candidate, InputError, Mode, Options, PairScore

PART_NAMES: tuple[str, ...] = ("topic_fit", "shared_ambition", "experience", "groups",
                               "language", "size", "cross_border")
PART_LABELS: dict[str, str] = {
    "topic_fit": "topic fit", "shared_ambition": "shared ambition", "experience": "experience",
    "groups": "shared interest groups", "language": "shared languages",
    "size": "similar size", "cross_border": "cross-border"}
DEFAULT_WEIGHTS: dict[Mode, dict[str, float]] = {
    "mentoring": {"topic_fit": 0.40, "shared_ambition": 0.0, "experience": 0.20, "groups": 0.15,
                  "language": 0.10, "size": 0.10, "cross_border": 0.05},
    "peer": {"topic_fit": 0.30, "shared_ambition": 0.15, "experience": 0.10, "groups": 0.15,
             "language": 0.10, "size": 0.15, "cross_border": 0.05},
}
LOG_RANGE = math.log(1000.0)
INFEASIBLE = -1.0
FloatArray = npt.NDArray[np.float64]
Progress = Callable[[str, float], None]


def resolve_weights(options: Options, mode: Mode, *, field: str = "options.weights"
                    ) -> tuple[float, ...]:
    """The weights in ``PART_NAMES`` order, defaults overridden, normalised to add up to 1."""
    merged = dict(DEFAULT_WEIGHTS[mode])
    merged.update(dict(options.weights))
    raw = [merged[name] for name in PART_NAMES]
    total = sum(raw)
    if not total > 0:
        raise InputError(field, "at least one weight must be greater than 0")
    return tuple(w / total for w in raw)


def pair_mode(a: Candidate, b: Candidate, options: Options) -> Mode:
    """The mode a pair is scored in: the option, else inferred from the two roles."""
    if options.mode is not None:
        return options.mode
    return "peer" if a.role == "peer" and b.role == "peer" else "mentoring"


def past_within_cooldown(a: Candidate, b: Candidate, options: Options) -> bool:
    """True when a lists b (or b lists a) as a past partner within the cooldown."""
    if options.cooldown_years == 0:
        return False
    for x, y in ((a, b), (b, a)):
        for past in x.past_partners:
            if past.id != y.id:
                continue
            if past.year is None or options.year is None:
                return True
            if options.year - past.year < options.cooldown_years:
                return True
    return False


def infeasibility(a: Candidate, b: Candidate, options: Options | None = None) -> str | None:
    """Why a and b cannot be paired (plain English), or None when they can.

    Examples
    --------
    >>> a = Candidate.from_dict({"id": "a", "authority": "A", "role": "peer",
    ...     "country": "BE", "languages": ["nl"]})
    >>> b = Candidate.from_dict({"id": "b", "authority": "B", "role": "peer",
    ...     "country": "PT", "languages": ["pt"]})
    >>> infeasibility(a, b)
    'no shared working language'

    Complexity: O(L + B + P) for L languages, B blocked ids and P past partners.
    """
    options = options or Options()
    mode = pair_mode(a, b, options)
    if a.id == b.id:
        return "a candidate cannot be paired with itself"
    if mode == "mentoring":
        if a.role == b.role:
            return f"both are {a.role}s"
        if a.role != "mentor" or b.role != "mentee":
            return "in mentoring mode the first must be the mentor and the second the mentee"
    elif a.role != "peer" or b.role != "peer":
        return "in peer mode both must be peers"
    if a.authority == b.authority:
        return "same authority"
    if not set(a.languages) & set(b.languages):
        return "no shared working language"
    if b.id in a.blocked or a.id in b.blocked:
        return "one has declined the other"
    if (min(a.id, b.id), max(a.id, b.id)) in options.forbidden_keys:
        return "forbidden by the organiser"
    if past_within_cooldown(a, b, options):
        return "past partners within the cooldown"
    if options.require_different_countries and a.country == b.country:
        return "same country"
    return None


def _direction(offerer: Candidate, seeker: Candidate) -> float:
    offers = offerer.offers_map
    num = sum(offers.get(t, 0) for t in seeker.seeks)
    return num / (3 * max(len(seeker.seeks), 1))


def _jaccard(x: tuple[str, ...], y: tuple[str, ...]) -> float:
    inter = len(set(x) & set(y))
    return inter / max(len(x) + len(y) - inter, 1)


def _log_size(c: Candidate) -> float | None:
    return math.log(c.size) if c.size is not None else None


def components(a: Candidate, b: Candidate, mode: Mode) -> tuple[float, ...]:
    """The components of each part (in ``PART_NAMES`` order), each in [0, 1], for a feasible pair."""
    if mode == "mentoring":
        topic = _direction(a, b)
        mine, theirs = a.offers_map, b.offers_map
        lead = sum(min(max(mine.get(t, 0) - theirs.get(t, 0), 0), 2) for t in b.seeks)
        experience = lead / (2 * max(len(b.seeks), 1))
    else:
        topic = (_direction(a, b) + _direction(b, a)) / 2
        experience = 1 - abs(a.level - b.level) / 3
    la, lb = _log_size(a), _log_size(b)
    size = 0.5 if la is None or lb is None else 1 - min(abs(la - lb) / LOG_RANGE, 1.0)
    shared_languages = len(set(a.languages) & set(b.languages))
    return (topic, _jaccard(a.seeks, b.seeks), experience,
            _jaccard(a.interest_groups, b.interest_groups), min(shared_languages, 2) / 2,
            size, 1.0 if a.country != b.country else 0.0)


def score(a: Candidate, b: Candidate, options: Options | None = None) -> PairScore | None:
    """Score the pair (a, b), or None when a hard constraint makes it infeasible.

    Parameters
    ----------
    a, b : Candidate
        In mentoring mode ``a`` is the mentor and ``b`` the mentee.
    options : Options, optional
        Mode, weights, forbidden pairs, cooldown... The mode defaults to the one the roles
        imply (two peers: peer, else mentoring).

    Returns
    -------
    PairScore or None
        ``score`` in [0, 1] and ``parts`` (part name -> weighted component) adding up to it.
        In peer mode ``score(a, b) == score(b, a)``.

    Examples
    --------
    >>> m = Candidate.from_dict({"id": "m", "authority": "M", "role": "mentor",
    ...     "country": "BE", "languages": ["en"], "offers": {"food": 3}})
    >>> e = Candidate.from_dict({"id": "e", "authority": "E", "role": "mentee",
    ...     "country": "PT", "languages": ["en"], "seeks": ["food"]})
    >>> round(score(m, e).parts["topic_fit"], 3), score(e, m) is None
    (0.4, True)

    Complexity: O(T + G + L) for the topics, groups and languages of the two candidates.
    """
    options = options or Options()
    if infeasibility(a, b, options) is not None:
        return None
    mode = pair_mode(a, b, options)
    weights = resolve_weights(options, mode)
    comps = components(a, b, mode)
    parts = {name: w * c for name, w, c in zip(PART_NAMES, weights, comps, strict=True)}
    total = 0.0
    for name in PART_NAMES:
        total += parts[name]
    return PairScore(score=min(1.0, total), parts=parts)


class _Features:
    """Per-candidate arrays for the vectorised scores."""

    def __init__(self, cands: Sequence[Candidate], topics: dict[str, int],
                 groups: dict[str, int], langs: dict[str, int]) -> None:
        n = len(cands)
        self.offer = np.zeros((n, len(topics)))
        self.seek = np.zeros((n, len(topics)))
        self.group = np.zeros((n, len(groups)))
        self.lang = np.zeros((n, len(langs)))
        for i, c in enumerate(cands):
            for t, m in c.offers:
                self.offer[i, topics[t]] = m
            for t in c.seeks:
                self.seek[i, topics[t]] = 1.0
            for g in c.interest_groups:
                self.group[i, groups[g]] = 1.0
            for lang in c.languages:
                self.lang[i, langs[lang]] = 1.0
        self.nseek = np.array([len(c.seeks) for c in cands], dtype=np.float64)
        self.ngroup = np.array([len(c.interest_groups) for c in cands], dtype=np.float64)
        self.level = np.array([c.level for c in cands], dtype=np.float64)
        logs = [_log_size(c) for c in cands]
        self.known = np.array([x is not None for x in logs], dtype=bool)
        self.logsize = np.array([x if x is not None else 0.0 for x in logs], dtype=np.float64)
        self.country = np.array([c.country for c in cands], dtype=np.str_)
        self.authority = np.array([c.authority for c in cands], dtype=np.str_)


def _jaccard_block(x: FloatArray, nx: FloatArray, y: FloatArray, ny: FloatArray) -> FloatArray:
    inter = x @ y.T
    union = nx[:, None] + ny[None, :] - inter
    result: FloatArray = inter / np.maximum(union, 1.0)
    return result


def _block(fr: _Features, fc: _Features, s: slice, cs: slice, mode: Mode,
           weights: tuple[float, ...], options: Options) -> FloatArray:
    """Scores of rows ``s`` against cols ``cs`` (INFEASIBLE where infeasible)."""
    shared_lang = fr.lang[s] @ fc.lang[cs].T
    seek_c, offer_c, nseek_c = fc.seek[cs], fc.offer[cs], fc.nseek[cs]
    d_rc = (fr.offer[s] @ seek_c.T) / (3 * np.maximum(nseek_c, 1.0))[None, :]
    if mode == "peer":
        d_cr = (fr.seek[s] @ offer_c.T) / (3 * np.maximum(fr.nseek[s], 1.0))[:, None]
        topic = (d_rc + d_cr) / 2
        experience = 1 - np.abs(fr.level[s][:, None] - fc.level[cs][None, :]) / 3
    else:
        topic = d_rc
        lead = np.zeros_like(topic)
        for k in range(3):
            seeks_at_k = seek_c * (offer_c == k)
            ahead = (fr.offer[s] >= k + 1).astype(np.float64)
            if k + 2 <= 3:
                ahead += fr.offer[s] >= k + 2
            lead += ahead @ seeks_at_k.T
        experience = lead / (2 * np.maximum(nseek_c, 1.0))[None, :]
    both_known = fr.known[s][:, None] & fc.known[cs][None, :]
    diff = np.abs(fr.logsize[s][:, None] - fc.logsize[cs][None, :])
    size = np.where(both_known, 1 - np.minimum(diff / LOG_RANGE, 1.0), 0.5)
    other_country = fr.country[s][:, None] != fc.country[cs][None, :]
    comps = (topic, _jaccard_block(fr.seek[s], fr.nseek[s], seek_c, nseek_c), experience,
             _jaccard_block(fr.group[s], fr.ngroup[s], fc.group[cs], fc.ngroup[cs]),
             np.minimum(shared_lang, 2.0) / 2, size, other_country.astype(np.float64))
    total = np.zeros_like(topic)
    for w, comp in zip(weights, comps, strict=True):
        total = total + w * comp
    total = np.minimum(total, 1.0)
    feasible = (shared_lang > 0) & (fr.authority[s][:, None] != fc.authority[cs][None, :])
    if options.require_different_countries:
        feasible &= other_country
    result: FloatArray = np.where(feasible, total, INFEASIBLE)
    return result


def score_matrix(rows: Sequence[Candidate], cols: Sequence[Candidate], options: Options,
                 *, mode: Mode, progress: Progress | None = None, block: int = 256
                 ) -> FloatArray:
    """Scores of every (row, col) pair, ``INFEASIBLE`` (-1.0) where infeasible.

    Peer mode: pass the same candidates as rows and cols (the diagonal is infeasible).
    Mentoring mode: rows are mentors, cols mentees. Entries equal :func:`score` bit for bit.

    Complexity: O(R * C * (T + G + L)) time with R rows, C cols and T, G, L topics, groups
    and languages (dense matrix products), O(R * C) memory.
    """
    weights = resolve_weights(options, mode)
    every = list(rows) + list(cols)
    topics = {t: i for i, t in enumerate(sorted({t for c in every for t, _ in c.offers}
                                                | {t for c in every for t in c.seeks}))}
    groups = {g: i for i, g in enumerate(sorted({g for c in every for g in c.interest_groups}))}
    langs = {x: i for i, x in enumerate(sorted({x for c in every for x in c.languages}))}
    fr = _Features(rows, topics, groups, langs)
    fc = fr if rows is cols else _Features(cols, topics, groups, langs)
    out = np.empty((len(rows), len(cols)))
    symmetric = rows is cols
    for start in range(0, len(rows), block):
        s = slice(start, min(start + block, len(rows)))
        cs = slice(start if symmetric else 0, len(cols))  # peer: the upper part, mirrored
        scores = _block(fr, fc, s, cs, mode, weights, options)
        out[s, cs] = scores
        if symmetric:
            out[cs, s] = scores.T
        if progress is not None:
            progress("scoring", min(start + block, len(rows)) / max(len(rows), 1))
    _apply_pair_constraints(out, rows, cols, options, mode)
    return out


def _apply_pair_constraints(out: FloatArray, rows: Sequence[Candidate],
                            cols: Sequence[Candidate], options: Options, mode: Mode) -> None:
    """Mark self pairs, blocks, forbidden pairs and past partners infeasible, in place."""
    ri = {c.id: i for i, c in enumerate(rows)}
    ci = {c.id: i for i, c in enumerate(cols)}
    if mode == "peer":
        for c in rows:
            if c.id in ci:
                out[ri[c.id], ci[c.id]] = INFEASIBLE
    by_id = {c.id: c for c in list(rows) + list(cols)}
    pairs: set[tuple[str, str]] = set(options.forbidden_keys)
    for c in by_id.values():
        pairs.update((c.id, other) for other in c.blocked)
        pairs.update((c.id, p.id) for p in c.past_partners
                     if p.id in by_id and past_within_cooldown(c, by_id[p.id], options))
    for x, y in sorted(pairs):
        for u, v in ((x, y), (y, x)):
            if u in ri and v in ci:
                out[ri[u], ci[v]] = INFEASIBLE
