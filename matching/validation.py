"""Validation of JSON-like input: every problem is an :class:`InputError` naming its field.

``load_problem`` checks a whole document ``{"mode", "options", "candidates"}``;
``check_problem`` checks what only the set of candidates can tell (duplicate ids, references
to ids that do not exist, roles against the mode, pinned pairs); ``solve`` calls it too.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, cast

from matching.types import (
    MODES,
    ROLES,
    Candidate,
    InputError,
    Mode,
    Options,
    PastPartner,
    Problem,
    Role,
)

COUNTRY_RE = re.compile(r"^[A-Z]{2}$")
LANGUAGE_RE = re.compile(r"^[a-z]{2}$")
MAX_TEXT = 200
CANDIDATE_KEYS = ("id", "authority", "role", "country", "languages", "size", "offers", "seeks",
                  "interest_groups", "capacity", "blocked", "past_partners", "ranking", "name")
REQUIRED_KEYS = ("id", "authority", "role", "country", "languages")
OPTION_KEYS = ("mode", "weights", "pinned", "forbidden", "require_different_countries",
               "cooldown_years", "year", "k", "exact_limit", "stable")
DOCUMENT_KEYS = ("mode", "options", "candidates")


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


MAX_SIZE = 10_000_000_000  # population served (or staff): more than the world's
MAX_CAPACITY = 1_000  # mentees one mentor takes
MAX_WEIGHT = 1_000_000  # weights are relative: their sum must stay a normal float


def _finite(value: int | float) -> bool:
    """A number that is finite as a float (an integer of 400 digits is not)."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def _text(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError(field, "must be a non-empty string")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate ("\ud800") is valid JSON but not text
        raise InputError(field, "must be valid Unicode text") from None
    if len(value) > MAX_TEXT:
        raise InputError(field, f"must be at most {MAX_TEXT} characters")
    return value


def _int(value: Any, field: str, *, low: int | None = None, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(field, "must be a whole number")
    if low is not None and value < low:
        raise InputError(field, f"must be {low} or more")
    if high is not None and value > high:
        raise InputError(field, f"must be {high} or less")
    return value


def _bool(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise InputError(field, "must be true or false")
    return value


def _list(value: Any, field: str) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise InputError(field, "must be a list")
    return list(value)


def _texts(value: Any, field: str) -> tuple[str, ...]:
    return tuple(_text(item, f"{field}[{i}]") for i, item in enumerate(_list(value, field)))


def _mapping(value: Any, field: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InputError(field, "must be an object")
    return cast(Mapping[str, Any], value)


def _no_unknown_keys(data: Mapping[str, Any], allowed: Sequence[str], path: str) -> None:
    for key in sorted(map(str, data)):
        if key not in allowed:
            raise InputError(_join(path, key), f"unknown field; expected one of {', '.join(allowed)}")


def parse_candidate(data: Any, *, path: str = "") -> Candidate:
    """Validate one candidate (see :meth:`Candidate.from_dict`). Complexity O(size of data)."""
    data = _mapping(data, path or "candidate")
    _no_unknown_keys(data, CANDIDATE_KEYS, path)
    for key in REQUIRED_KEYS:
        if key not in data:
            raise InputError(_join(path, key), "is required")
    role = data["role"]
    if role not in ROLES:
        raise InputError(_join(path, "role"), f"must be one of {', '.join(ROLES)}")
    country = data["country"]
    if not isinstance(country, str) or not COUNTRY_RE.match(country):
        raise InputError(_join(path, "country"), "must be an ISO 3166-1 alpha-2 code such as BE")
    languages = _list(data["languages"], _join(path, "languages"))
    if not languages:
        raise InputError(_join(path, "languages"), "must name at least one working language")
    for i, code in enumerate(languages):
        if not isinstance(code, str) or not LANGUAGE_RE.match(code):
            raise InputError(f"{_join(path, 'languages')}[{i}]",
                             "must be an ISO 639-1 code such as nl")
    size = data.get("size")
    if size is not None:
        if isinstance(size, bool) or not isinstance(size, int | float) or not _finite(size):
            raise InputError(_join(path, "size"), "must be a number")
        if size <= 0:
            raise InputError(_join(path, "size"), "must be greater than 0")
        if size > MAX_SIZE:
            raise InputError(_join(path, "size"), f"must be at most {MAX_SIZE:,}")
    offers_field = _join(path, "offers")
    offers = _mapping(data.get("offers", {}), offers_field)
    parsed_offers: dict[str, int] = {}
    for topic in sorted(offers):
        _text(topic, offers_field)
        parsed_offers[topic] = _int(offers[topic], f"{offers_field}.{topic}", low=1, high=3)
    capacity = _int(data.get("capacity", 1), _join(path, "capacity"), low=0, high=MAX_CAPACITY)
    if role != "mentor" and capacity > 1:
        raise InputError(_join(path, "capacity"), f"must be 0 or 1 for a {role}")
    ident = _text(data["id"], _join(path, "id"))
    blocked = _texts(data.get("blocked", []), _join(path, "blocked"))
    past = tuple(_past_partner(item, f"{_join(path, 'past_partners')}[{i}]")
                 for i, item in enumerate(_list(data.get("past_partners", []),
                                                _join(path, "past_partners"))))
    ranking: tuple[str, ...] | None = None
    if data.get("ranking") is not None:
        ranking = _texts(data["ranking"], _join(path, "ranking"))
        if len(set(ranking)) != len(ranking):
            raise InputError(_join(path, "ranking"), "lists an id twice")
    for name, ids in (("blocked", blocked), ("ranking", ranking or ()),
                      ("past_partners", tuple(p.id for p in past))):
        if ident in ids:
            raise InputError(f"{_join(path, name)}[{ids.index(ident)}]",
                             "a candidate cannot list itself")
    name = data.get("name")
    return Candidate(
        id=ident,
        authority=_text(data["authority"], _join(path, "authority")),
        role=cast(Role, role),
        country=country,
        languages=tuple(languages),
        size=float(size) if size is not None else None,
        offers=tuple(parsed_offers.items()),
        seeks=_texts(data.get("seeks", []), _join(path, "seeks")),
        interest_groups=_texts(data.get("interest_groups", []), _join(path, "interest_groups")),
        capacity=capacity,
        blocked=blocked,
        past_partners=past,
        ranking=ranking,
        name=_text(name, _join(path, "name")) if name is not None else None,
    )


def _past_partner(item: Any, field: str) -> PastPartner:
    if isinstance(item, str):
        return PastPartner(_text(item, field))
    data = _mapping(item, field)
    _no_unknown_keys(data, ("id", "year"), field)
    if "id" not in data:
        raise InputError(f"{field}.id", "is required")
    year = data.get("year")
    return PastPartner(_text(data["id"], f"{field}.id"),
                       _int(year, f"{field}.year", low=1900, high=2200) if year is not None
                       else None)


def _pairs(value: Any, field: str) -> tuple[tuple[str, str], ...]:
    pairs = []
    for i, item in enumerate(_list(value, field)):
        where = f"{field}[{i}]"
        if isinstance(item, Mapping):
            _no_unknown_keys(item, ("a", "b"), where)
            item = [item.get("a"), item.get("b")]
        items = _list(item, where)
        if len(items) != 2:
            raise InputError(where, "must be a pair of two ids")
        a, b = _text(items[0], f"{where}[0]"), _text(items[1], f"{where}[1]")
        if a == b:
            raise InputError(where, "must name two different candidates")
        pairs.append((a, b))
    return tuple(pairs)


def parse_options(data: Any, *, path: str = "options") -> Options:
    """Validate options (see :meth:`Options.from_dict`). Complexity O(size of data)."""
    from matching.scoring import PART_NAMES

    data = _mapping({} if data is None else data, path)
    _no_unknown_keys(data, OPTION_KEYS, path)
    mode = data.get("mode")
    if mode is not None and mode not in MODES:
        raise InputError(_join(path, "mode"), f"must be one of {', '.join(MODES)}")
    weights: dict[str, float] = {}
    if "weights" in data:
        raw = _mapping(data["weights"], _join(path, "weights"))
        _no_unknown_keys(raw, PART_NAMES, _join(path, "weights"))
        for part in sorted(raw):
            value = raw[part]
            where = f"{_join(path, 'weights')}.{part}"
            if isinstance(value, bool) or not isinstance(value, int | float) \
                    or not _finite(value) or not 0 <= value <= MAX_WEIGHT:
                raise InputError(where, f"must be a number from 0 to {MAX_WEIGHT:,}")
            weights[part] = float(value)
    year = data.get("year")
    options = Options(
        mode=cast(Mode | None, mode),
        weights=tuple(weights.items()),
        pinned=_pairs(data.get("pinned", []), _join(path, "pinned")),
        forbidden=_pairs(data.get("forbidden", []), _join(path, "forbidden")),
        require_different_countries=_bool(data.get("require_different_countries", False),
                                          _join(path, "require_different_countries")),
        cooldown_years=_int(data.get("cooldown_years", 3), _join(path, "cooldown_years"), low=0),
        year=_int(year, _join(path, "year"), low=1900, high=2200) if year is not None else None,
        k=_int(data.get("k", 10), _join(path, "k"), low=1),
        exact_limit=_int(data.get("exact_limit", 1000), _join(path, "exact_limit"), low=0),
        stable=_bool(data.get("stable", False), _join(path, "stable")),
    )
    from matching.scoring import resolve_weights

    resolve_weights(options, mode or "peer", field=_join(path, "weights"))
    return options


def load_problem(data: Any) -> Problem:
    """Validate a whole input document.

    Parameters
    ----------
    data : dict
        ``{"mode": "peer" | "mentoring", "options": {...}, "candidates": [...]}``; the mode
        may instead be given in the options, and is inferred from the roles when absent.

    Returns
    -------
    Problem
        Candidates sorted by id and options carrying the mode.

    Raises
    ------
    InputError
        The first problem found, naming its field (``candidates[2].blocked[0]`` ...).

    Examples
    --------
    >>> p = load_problem({"mode": "peer", "candidates": [
    ...     {"id": "a", "authority": "A", "role": "peer", "country": "BE", "languages": ["en"]},
    ...     {"id": "b", "authority": "B", "role": "peer", "country": "DE", "languages": ["en"]}]})
    >>> [c.id for c in p.candidates], p.mode
    (['a', 'b'], 'peer')

    Complexity: O(N log N + size of data), plus O(P) score checks for P pinned pairs.
    """
    data = _mapping(data, "document")
    _no_unknown_keys(data, DOCUMENT_KEYS, "")
    if "candidates" not in data:
        raise InputError("candidates", "is required")
    raw = _list(data["candidates"], "candidates")
    candidates = [parse_candidate(item, path=f"candidates[{i}]") for i, item in enumerate(raw)]
    mode = data.get("mode")
    if mode is not None and mode not in MODES:
        raise InputError("mode", f"must be one of {', '.join(MODES)}")
    options = parse_options(data.get("options"))
    if mode is not None and options.mode is not None and options.mode != mode:
        raise InputError("options.mode", f"says {options.mode} but the document says {mode}")
    options = check_problem(candidates, _with_mode(options, cast(Mode | None, mode)))
    assert options.mode is not None
    return Problem(mode=options.mode, options=options,
                   candidates=tuple(sorted(candidates, key=lambda c: c.id)))


def _with_mode(options: Options, mode: Mode | None) -> Options:
    from dataclasses import replace

    return replace(options, mode=mode or options.mode)


def infer_mode(candidates: Sequence[Candidate]) -> Mode:
    """Peer when every candidate is a peer, else mentoring."""
    return "peer" if all(c.role == "peer" for c in candidates) else "mentoring"


def check_problem(candidates: Sequence[Candidate], options: Options) -> Options:
    """Check what depends on the whole set of candidates; return the options with the mode set.

    Checks duplicate ids, roles against the mode, references (blocked, past partners,
    rankings, pinned and forbidden pairs) to ids that do not exist, and pinned pairs
    (feasible, not forbidden, within capacities). Complexity O(N + references).
    """
    from dataclasses import replace

    from matching.scoring import infeasibility

    mode = options.mode or infer_mode(candidates)
    options = replace(options, mode=mode)
    index: dict[str, int] = {}
    for i, cand in enumerate(candidates):
        if not isinstance(cand, Candidate):
            raise InputError(f"candidates[{i}]", "must be a Candidate")
        if cand.id in index:
            raise InputError(f"candidates[{i}].id", f"duplicate id {cand.id!r}")
        index[cand.id] = i
        allowed = ("peer",) if mode == "peer" else ("mentor", "mentee")
        if cand.role not in allowed:
            raise InputError(f"candidates[{i}].role", f"must be {' or '.join(allowed)} in {mode} mode")
    for i, cand in enumerate(candidates):
        lists = {"blocked": cand.blocked, "past_partners": tuple(p.id for p in cand.past_partners),
                 "ranking": cand.ranking or ()}
        for name, ids in lists.items():
            for j, other in enumerate(ids):
                if other not in index:
                    raise InputError(f"candidates[{i}].{name}[{j}]", f"unknown id {other!r}")
    by_id = {c.id: c for c in candidates}
    for name, pairs in (("forbidden", options.forbidden), ("pinned", options.pinned)):
        for j, pair in enumerate(pairs):
            for side, ident in enumerate(pair):
                if ident not in index:
                    raise InputError(f"options.{name}[{j}][{side}]", f"unknown id {ident!r}")
    load: dict[str, int] = {}
    pinned_keys: set[tuple[str, str]] = set()
    for j, (x, y) in enumerate(options.pinned):
        a, b = by_id[x], by_id[y]
        if mode == "mentoring" and a.role == "mentee":
            a, b = b, a
        key = (min(x, y), max(x, y))
        if key in pinned_keys:
            raise InputError(f"options.pinned[{j}]", f"{x} and {y} are pinned twice")
        pinned_keys.add(key)
        if key in options.forbidden_keys:
            raise InputError(f"options.pinned[{j}]", f"{x} and {y} are also forbidden")
        why = infeasibility(a, b, options)
        if why is not None:
            raise InputError(f"options.pinned[{j}]", f"{a.id} and {b.id} cannot be paired: {why}")
        for cand in (a, b):
            load[cand.id] = load.get(cand.id, 0) + 1
            if load[cand.id] > cand.capacity:
                raise InputError(f"options.pinned[{j}]",
                                 f"{cand.id} is pinned more times than its capacity "
                                 f"({cand.capacity})")
    return options
