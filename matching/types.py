"""Value types of the matching library: frozen dataclasses in, frozen dataclasses out.

Everything here is immutable and ordered: collections are sorted tuples, so two equal inputs
give equal objects and the same output, whatever order the caller listed things in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal, cast

Role = Literal["mentor", "mentee", "peer"]
Mode = Literal["peer", "mentoring"]
ROLES: tuple[Role, ...] = ("mentor", "mentee", "peer")
MODES: tuple[Mode, ...] = ("peer", "mentoring")
MATURITY_NAMES: Mapping[int, str] = {1: "started", 2: "practising", 3: "advanced"}


class InputError(ValueError):
    """Bad input, with the field it concerns.

    ``str(error)`` is one line naming the field, e.g.
    ``candidates[3].role: must be one of mentor, mentee, peer``.
    """

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}" if field else message)


@dataclass(frozen=True)
class PastPartner:
    """A partner from an earlier round; ``year`` is when the twinning started (None: unknown)."""

    id: str
    year: int | None = None


@dataclass(frozen=True)
class Candidate:
    """One request of one authority in a round.

    Collections are normalised to sorted tuples (``ranking`` keeps its order: it is a
    preference list). Build one from JSON-like data with :meth:`from_dict`, which validates.

    Examples
    --------
    >>> c = Candidate.from_dict({"id": "gent", "authority": "gent", "role": "mentor",
    ...     "country": "BE", "languages": ["nl", "en"], "offers": {"food": 3}})
    >>> c.languages, c.offers
    (('en', 'nl'), (('food', 3),))
    """

    id: str
    authority: str
    role: Role
    country: str
    languages: tuple[str, ...]
    size: float | None = None
    offers: tuple[tuple[str, int], ...] = ()
    seeks: tuple[str, ...] = ()
    interest_groups: tuple[str, ...] = ()
    capacity: int = 1
    blocked: tuple[str, ...] = ()
    past_partners: tuple[PastPartner, ...] = ()
    ranking: tuple[str, ...] | None = None
    name: str | None = None

    def __post_init__(self) -> None:
        norm = object.__setattr__
        norm(self, "languages", tuple(sorted(set(self.languages))))
        norm(self, "offers", tuple(sorted(dict(self.offers).items())))
        norm(self, "seeks", tuple(sorted(set(self.seeks))))
        norm(self, "interest_groups", tuple(sorted(set(self.interest_groups))))
        norm(self, "blocked", tuple(sorted(set(self.blocked))))
        norm(self, "past_partners", tuple(sorted(set(self.past_partners),
                                                 key=lambda p: (p.id, p.year or 0))))
        if self.ranking is not None:
            norm(self, "ranking", tuple(self.ranking))

    @classmethod
    def from_dict(cls, data: Any, *, path: str = "") -> Candidate:
        """Validate one candidate given as JSON-like data.

        Parameters
        ----------
        data : dict
            ``{"id", "authority", "role", "country", "languages", "size", "offers", "seeks",
            "interest_groups", "capacity", "blocked", "past_partners", "ranking", "name"}``;
            all but the first five may be omitted.
        path : str
            Prefix for error fields, e.g. ``"candidates[3]"``.

        Returns
        -------
        Candidate

        Raises
        ------
        InputError
            Naming the bad field, e.g. ``candidates[3].capacity: must be 0 or more``.

        Examples
        --------
        >>> Candidate.from_dict({"id": "a", "authority": "A", "role": "peer",
        ...     "country": "be", "languages": ["en"]}, path="candidates[0]")
        Traceback (most recent call last):
        ...
        matching.types.InputError: candidates[0].country: must be an ISO 3166-1 alpha-2 code such as BE

        Complexity: O(size of data).
        """
        from matching.validation import parse_candidate

        return parse_candidate(data, path=path)

    @property
    def label(self) -> str:
        """How explanations name the candidate: its name when given, else its id."""
        return self.name or self.id

    @cached_property
    def offers_map(self) -> dict[str, int]:
        """Topic slug -> maturity (1 started, 2 practising, 3 advanced)."""
        return dict(self.offers)

    @cached_property
    def level(self) -> float:
        """Mean maturity over the topics offered (0.0 when none): the overall experience."""
        if not self.offers:
            return 0.0
        return sum(m for _, m in self.offers) / len(self.offers)


@dataclass(frozen=True)
class Options:
    """How to match. Build one from JSON-like data with :meth:`from_dict`, which validates.

    Attributes
    ----------
    mode : "peer", "mentoring" or None
        None: peer when every candidate is a peer, else mentoring.
    weights : sorted (part, weight) pairs
        Overrides of the default weight of each score part (see ``matching.scoring``).
    pinned, forbidden : (id, id) pairs, as given
        Pairs forced into the result (must be feasible) or made infeasible.
    require_different_countries : bool
        Same-country pairs become infeasible.
    cooldown_years : int
        Past partners stay infeasible for this many years (0: allowed again at once).
    year : int or None
        The current year, for the cooldown. Without it every past partner is infeasible.
    k : int
        Each candidate's best k feasible partners seed the solver's LP (default 10); pairs
        the LP duals show could matter are added on the way, so k mostly affects speed.
    exact_limit : int
        Up to this many candidates the result is always proven optimal (default 1000).
    stable : bool
        Stable mode: Gale-Shapley (mentoring) or Irving (peer) on the candidates' rankings.
    """

    mode: Mode | None = None
    weights: tuple[tuple[str, float], ...] = ()
    pinned: tuple[tuple[str, str], ...] = ()
    forbidden: tuple[tuple[str, str], ...] = ()
    require_different_countries: bool = False
    cooldown_years: int = 3
    year: int | None = None
    k: int = 10
    exact_limit: int = 1000
    stable: bool = False

    def __post_init__(self) -> None:
        norm = object.__setattr__
        weights = cast(Any, self.weights)
        if isinstance(weights, Mapping):
            weights = weights.items()
        norm(self, "weights", tuple(sorted((str(k), float(v)) for k, v in weights)))
        # Pairs stay as the caller wrote them (error messages point at their index and side).
        norm(self, "forbidden", tuple((a, b) for a, b in self.forbidden))
        norm(self, "pinned", tuple((a, b) for a, b in self.pinned))

    @cached_property
    def forbidden_keys(self) -> frozenset[tuple[str, str]]:
        """The forbidden pairs, each written in id order."""
        return frozenset(_ordered(a, b) for a, b in self.forbidden)

    @classmethod
    def from_dict(cls, data: Any, *, path: str = "options") -> Options:
        """Validate options given as JSON-like data (unknown keys are an error).

        Parameters
        ----------
        data : dict or None
            Keys: mode, weights, pinned, forbidden, require_different_countries,
            cooldown_years, year, k, exact_limit, stable.
        path : str
            Prefix for error fields.

        Returns
        -------
        Options

        Examples
        --------
        >>> Options.from_dict({"mode": "peer", "pinned": [["b", "a"]]}).pinned
        (('b', 'a'),)
        """
        from matching.validation import parse_options

        return parse_options(data, path=path)


def _ordered(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


@dataclass(frozen=True)
class Problem:
    """A validated input document: mode, options (with the mode filled in) and candidates."""

    mode: Mode
    options: Options
    candidates: tuple[Candidate, ...]


@dataclass(frozen=True)
class PairScore:
    """The score of a feasible pair in [0, 1] and its parts, which add up to it."""

    score: float
    parts: Mapping[str, float]


@dataclass(frozen=True)
class SharedTopic:
    """Evidence: ``offered_by`` offers ``topic`` at ``maturity`` and ``sought_by`` seeks it."""

    topic: str
    offered_by: str
    sought_by: str
    maturity: int


@dataclass(frozen=True)
class Alternative:
    """The best partner a side would have preferred, and what taking it would cost the total."""

    id: str
    score: float
    swap_cost: float


@dataclass(frozen=True)
class Explanation:
    """Why a pair was formed.

    ``rank_a`` is b's rank among a's feasible candidates by score (1 = best; ties share a
    rank) out of ``options_a``; likewise for b. ``alternative_a`` is the best partner a
    ranked above b, with the loss of total score if a had taken it instead (None: a got
    its first choice).
    """

    shared_topics: tuple[SharedTopic, ...]
    shared_groups: tuple[str, ...]
    shared_languages: tuple[str, ...]
    rank_a: int
    options_a: int
    rank_b: int
    options_b: int
    alternative_a: Alternative | None
    alternative_b: Alternative | None
    pinned: bool


@dataclass(frozen=True)
class Pair:
    """One pair of the result. In mentoring mode ``a`` is the mentor."""

    a: str
    b: str
    score: float
    parts: Mapping[str, float]
    reasons: tuple[str, ...]
    explanation: Explanation


@dataclass(frozen=True)
class Unmatched:
    """A candidate left without partner: ``reason`` is one of ``no feasible partner``,
    ``capacity full``, ``odd one out``, ``lost to better pairs``, ``no capacity``."""

    id: str
    reason: str
    detail: str


@dataclass(frozen=True)
class Stability:
    """Stable mode's report. ``score_given_up`` = optimum total minus the stable total."""

    exists: bool
    blocking_pairs: int
    optimum_total: float
    score_given_up: float
    note: str


@dataclass(frozen=True)
class Result:
    """What :func:`matching.solve` returns. ``to_dict()`` gives the JSON output format."""

    mode: Mode
    pairs: tuple[Pair, ...]
    unmatched: tuple[Unmatched, ...]
    total_score: float
    upper_bound: float
    solver: str
    exact: bool
    free_places: tuple[tuple[str, int], ...] = ()
    stability: Stability | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def gap(self) -> float:
        """Upper bound minus total (0.0 when the solver proved optimality)."""
        return max(0.0, self.upper_bound - self.total_score)

    @property
    def ratio(self) -> float:
        """Total as a share of the upper bound (1.0 when the bound is 0)."""
        return 1.0 if self.upper_bound <= 0 else self.total_score / self.upper_bound

    def to_dict(self) -> dict[str, Any]:
        """The output document: pairs, unmatched, total_score, upper_bound, solver and more.

        ``json.dumps(result.to_dict(), sort_keys=True)`` is byte-identical for equal inputs.
        """
        from matching.explain import result_to_dict

        return result_to_dict(self)
