"""Bad input gives an InputError whose one-line message names the field."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from matching import Candidate, InputError, Options, load_problem, solve
from tests.matching.conftest import candidate


def document() -> dict[str, Any]:
    return {
        "mode": "mentoring",
        "options": {"year": 2026, "cooldown_years": 2},
        "candidates": [
            {"id": "gent", "authority": "Gent", "role": "mentor", "country": "BE",
             "languages": ["nl", "en"], "size": 260000, "offers": {"food": 3, "cleaning": 2},
             "seeks": [], "interest_groups": ["food"], "capacity": 2},
            {"id": "porto", "authority": "Porto", "role": "mentee", "country": "PT",
             "languages": ["pt", "en"], "size": 230000, "seeks": ["food"],
             "past_partners": [{"id": "gent", "year": 2025}]},
            {"id": "lyon", "authority": "Lyon", "role": "mentee", "country": "FR",
             "languages": ["fr", "en"], "blocked": ["gent"]},
        ],
    }


def setter(path: list[Any], value: Any) -> Callable[[dict[str, Any]], None]:
    def apply(doc: dict[str, Any]) -> None:
        target = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return apply


def deleter(path: list[Any]) -> Callable[[dict[str, Any]], None]:
    def apply(doc: dict[str, Any]) -> None:
        target = doc
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]
    return apply


BAD: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("unknown role", setter(["candidates", 1, "role"], "student"), "candidates[1].role"),
    ("duplicate id", setter(["candidates", 2, "id"], "porto"), "candidates[2].id"),
    ("blocked id missing", setter(["candidates", 2, "blocked"], ["nobody"]),
     "candidates[2].blocked[0]"),
    ("past partner missing", setter(["candidates", 1, "past_partners"], ["ghost"]),
     "candidates[1].past_partners[0]"),
    ("past partner year", setter(["candidates", 1, "past_partners"], [{"id": "gent",
                                                                     "year": "2020"}]),
     "candidates[1].past_partners[0].year"),
    ("negative capacity", setter(["candidates", 0, "capacity"], -1), "candidates[0].capacity"),
    ("mentee capacity 2", setter(["candidates", 1, "capacity"], 2), "candidates[1].capacity"),
    ("capacity as text", setter(["candidates", 0, "capacity"], "2"), "candidates[0].capacity"),
    ("capacity as bool", setter(["candidates", 0, "capacity"], True), "candidates[0].capacity"),
    ("lowercase country", setter(["candidates", 0, "country"], "be"), "candidates[0].country"),
    ("country name", setter(["candidates", 0, "country"], "Belgium"), "candidates[0].country"),
    ("language code", setter(["candidates", 0, "languages"], ["nld"]),
     "candidates[0].languages[0]"),
    ("no language", setter(["candidates", 0, "languages"], []), "candidates[0].languages"),
    ("maturity 4", setter(["candidates", 0, "offers"], {"food": 4}),
     "candidates[0].offers.food"),
    ("maturity 0", setter(["candidates", 0, "offers"], {"food": 0}),
     "candidates[0].offers.food"),
    ("offers as list", setter(["candidates", 0, "offers"], ["food"]), "candidates[0].offers"),
    ("seeks as text", setter(["candidates", 1, "seeks"], "food"), "candidates[1].seeks"),
    ("negative size", setter(["candidates", 0, "size"], -5), "candidates[0].size"),
    ("size as text", setter(["candidates", 0, "size"], "big"), "candidates[0].size"),
    ("missing id", deleter(["candidates", 0, "id"]), "candidates[0].id"),
    ("missing authority", deleter(["candidates", 0, "authority"]), "candidates[0].authority"),
    ("empty id", setter(["candidates", 0, "id"], " "), "candidates[0].id"),
    ("unknown candidate key", setter(["candidates", 0, "sekks"], []), "candidates[0].sekks"),
    ("candidate not object", setter(["candidates", 0], "gent"), "candidates[0]"),
    ("blocks itself", setter(["candidates", 0, "blocked"], ["gent"]),
     "candidates[0].blocked[0]"),
    ("ranking twice", setter(["candidates", 1, "ranking"], ["gent", "gent"]),
     "candidates[1].ranking"),
    ("ranking unknown", setter(["candidates", 1, "ranking"], ["nobody"]),
     "candidates[1].ranking[0]"),
    ("unknown mode", setter(["mode"], "dating"), "mode"),
    ("modes disagree", setter(["options", "mode"], "peer"), "options.mode"),
    ("peer in mentoring", setter(["candidates", 1, "role"], "peer"), "candidates[1].role"),
    ("unknown option", setter(["options", "colour"], "red"), "options.colour"),
    ("unknown weight", setter(["options", "weights"], {"beauty": 1}), "options.weights.beauty"),
    ("negative weight", setter(["options", "weights"], {"topic_fit": -1}),
     "options.weights.topic_fit"),
    ("all weights zero", setter(["options", "weights"], {p: 0 for p in (
        "topic_fit", "shared_ambition", "experience", "groups", "language", "size",
        "cross_border")}), "options.weights"),
    ("k zero", setter(["options", "k"], 0), "options.k"),
    ("stable as text", setter(["options", "stable"], "yes"), "options.stable"),
    ("cooldown negative", setter(["options", "cooldown_years"], -1), "options.cooldown_years"),
    ("pinned unknown", setter(["options", "pinned"], [["gent", "ghost"]]),
     "options.pinned[0][1]"),
    ("pinned not pair", setter(["options", "pinned"], [["gent"]]), "options.pinned[0]"),
    ("pinned infeasible", setter(["options", "pinned"], [["gent", "lyon"]]),
     "options.pinned[0]"),
    ("pinned in cooldown", setter(["options", "pinned"], [["gent", "porto"]]),
     "options.pinned[0]"),
    ("forbidden unknown", setter(["options", "forbidden"], [["ghost", "gent"]]),
     "options.forbidden[0][0]"),
    ("candidates missing", deleter(["candidates"]), "candidates"),
    ("candidates not list", setter(["candidates"], {"a": 1}), "candidates"),
    ("unknown top key", setter(["extra"], 1), "extra"),
]


@pytest.mark.parametrize(("name", "mutate", "field"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_names_the_field(name: str, mutate: Callable[[dict[str, Any]], None],
                                   field: str) -> None:
    doc = copy.deepcopy(document())
    mutate(doc)
    with pytest.raises(InputError) as caught:
        load_problem(doc)
    assert caught.value.field == field
    message = str(caught.value)
    assert message.startswith(f"{field}: ") and "\n" not in message
    assert isinstance(caught.value, ValueError)


def test_good_document_loads_sorted_with_mode() -> None:
    problem = load_problem(document())
    assert [c.id for c in problem.candidates] == ["gent", "lyon", "porto"]
    assert problem.mode == problem.options.mode == "mentoring"
    gent = problem.candidates[0]
    assert gent.languages == ("en", "nl") and gent.offers == (("cleaning", 2), ("food", 3))
    assert problem.candidates[2].past_partners[0].year == 2025


def test_error_message_example_from_the_brief() -> None:
    doc = document()
    doc["candidates"].append({"id": "x", "authority": "X", "role": "boss", "country": "DE",
                              "languages": ["de"]})
    with pytest.raises(InputError, match=r"^candidates\[3\]\.role: must be one of mentor, "
                                         r"mentee, peer$"):
        load_problem(doc)


def test_mode_inferred_and_pins_checked_by_solve_too() -> None:
    a, b = candidate("a", country="DE"), candidate("b", authority="auth-a")
    assert load_problem({"candidates": [candidate_dict("a")]}).mode == "peer"
    with pytest.raises(InputError, match=r"options\.pinned\[0\]: a and b cannot be paired: "
                                         r"same authority"):
        solve([a, b], {"pinned": [["a", "b"]]})
    with pytest.raises(InputError, match=r"candidates\[1\]\.id: duplicate id 'a'"):
        solve([a, candidate("a")], Options())
    with pytest.raises(InputError, match=r"candidates\[0\]\.blocked\[0\]: unknown id 'zz'"):
        solve([candidate("a", blocked=["zz"]), b])


def test_pins_within_capacity() -> None:
    m = candidate("m", role="mentor", capacity=1, offers={"food": 3})
    e1, e2 = (candidate(x, role="mentee", seeks=["food"], country="FR") for x in ("e1", "e2"))
    with pytest.raises(InputError, match=r"options\.pinned\[1\]: m is pinned more times"):
        solve([m, e1, e2], {"mode": "mentoring", "pinned": [["m", "e1"], ["e2", "m"]]})


def test_candidate_from_dict_alone_names_plain_fields() -> None:
    with pytest.raises(InputError) as caught:
        Candidate.from_dict({"id": "a", "authority": "A", "role": "peer", "country": "BE",
                             "languages": ["en"], "capacity": -3})
    assert str(caught.value) == "capacity: must be 0 or more"


def candidate_dict(ident: str) -> dict[str, Any]:
    return {"id": ident, "authority": ident, "role": "peer", "country": "BE",
            "languages": ["en"]}
