"""The twinning programme over the JSON API: rounds, requests, matching runs, proposals, publishing.

Every answer is checked against the OpenAPI document by the contract client
(tests/api/conftest.py). The bad-input table is acceptance 5 for the API: a clear
4xx naming the problem, and not one row written.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from tortoise import connections

from events_app.auth.models import Role
from events_app.clock import utcnow
from events_app.notifications.models import OutboxMessage
from events_app.ratelimit import RateLimiter
from events_app.settings import RateLimit
from events_app.twinning.models import (
    MatchRun,
    RequestStatus,
    Twinning,
    TwinningRequest,
    TwinningRound,
)
from events_app.twinning.requests import confirm_request, submit_request
from events_app.twinning.rounds import close_requests, create_round
from events_app.twinning.schemas import RoundInput
from tests.api.payloads import bearer
from tests.twinning.conftest import catalogue, request_data, token_for  # noqa: F401  (catalogue: a fixture)

pytestmark = pytest.mark.usefixtures("catalogue")

BASE = "/api/v1/twinning/rounds"
TWINNING_TABLES = [
    "twinning", "twinning_match_run", "twinning_request_link", "twinning_request", "twinning_round",
    "authority_contact", "authority_profile", "organisation", "outbox_message",
]


@pytest.fixture
async def auth(api_token) -> dict[str, str]:
    return bearer(await api_token(Role.ORGANISER))


def round_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Peer twinning 2027", "mode": "peer",
        "deadline": (utcnow() + timedelta(days=14)).isoformat(),
        "intro": "Welcome to the round.", "require_different_countries": True, "cooldown_years": 2,
    }
    body.update(overrides)
    return body


def request_body(i: int, mode: str = "peer", **overrides: Any) -> dict[str, Any]:
    body = request_data(i, mode=mode).model_dump(mode="json")
    body.update(overrides)
    return body


async def snapshot() -> dict[str, list[str]]:
    conn = connections.get("default")
    out = {}
    for table in TWINNING_TABLES:
        rows = await conn.execute_query_dict(f"SELECT * FROM {table}")
        out[table] = sorted(repr(sorted(row.items())) for row in rows)
    return out


# --- the happy path ----------------------------------------------------------------------


async def test_round_requests_match_pin_proposals_publish(client, auth, api_token):
    created = await client.post(BASE, json=round_body(), headers=auth)
    assert created.status_code == 201, created.text
    round_ = created.json()
    assert created.headers["location"] == f"{BASE}/{round_['id']}"
    assert (round_["mode"], round_["status"], round_["requests"], round_["runs"]) == ("peer", "open", 0, 0)
    assert round_["require_different_countries"] is True and round_["cooldown_years"] == 2
    base = f"{BASE}/{round_['id']}"

    ids = []
    for i in range(10):
        response = await client.post(f"{base}/requests", json=request_body(i), headers=auth)
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["created"] is True and body["request"]["status"] == "confirmed"
        assert body["request"]["organisation"]["name"] == request_data(i).organisation
        assert body["request"]["contact"]["email"] == f"contact{i}@authority{i}.example"
        token = await token_for(f"contact{i}@authority{i}.example", "twinning_confirm")
        assert token not in response.text  # the private link stays in the email
        ids.append(body["request"]["id"])

    one = (await client.get(base, headers=auth)).json()
    assert (one["requests"], one["confirmed"], one["status"]) == (10, 10, "open")
    listed = (await client.get(f"{base}/requests", headers=auth)).json()["items"]
    assert [r["id"] for r in listed] == ids
    assert [r["id"] for r in (await client.get(BASE, headers=auth)).json()["items"]] == [round_["id"]]

    await close_requests(round_id=round_["id"])
    first = await client.post(f"{base}/match", headers=auth)  # no body: the defaults
    assert first.status_code == 201, first.text
    run = first.json()
    assert first.headers["location"] == f"{base}/proposals?run=1"
    assert (run["number"], run["stable"], run["pairs"], run["unmatched"]) == (1, False, 5, [])
    assert run["run_by"].endswith("@example.org") and run["solver"]
    assert abs(sum(p["score"] for p in run["proposals"]) - run["total_score"]) < 1e-9
    assert run["total_score"] <= run["upper_bound"] + 1e-9 and run["gap"] >= 0
    for proposal in run["proposals"]:
        assert abs(sum(proposal["parts"].values()) - proposal["score"]) < 1e-9
        assert proposal["a"]["organisation"] and proposal["a"]["country"] != proposal["b"]["country"]
        assert proposal["shared_languages"] and proposal["twinning"] is None and not proposal["pinned"]
        assert 1 <= proposal["a"]["rank"] <= proposal["a"]["options"]

    # pin a pair the first run did not make (the match body replaces the round's pins)
    a, b = run["proposals"][0]["a"]["request_id"], run["proposals"][1]["b"]["request_id"]
    second = await client.post(f"{base}/match", json={"pinned": [[a, b]]}, headers=auth)
    assert second.status_code == 201, second.text
    pinned = [p for p in second.json()["proposals"] if {p["a"]["request_id"], p["b"]["request_id"]} == {a, b}]
    assert len(pinned) == 1 and pinned[0]["pinned"] is True and second.json()["number"] == 2
    assert (await client.get(base, headers=auth)).json()["pinned"] == [[a, b]]

    shown = await client.get(f"{base}/proposals", headers=auth)
    assert shown.status_code == 200
    view = shown.json()
    assert view["run"]["number"] == 2 and view["run"]["unmatched"] == 0 and view["run"]["pairs"] == 5
    assert view["proposals"] == second.json()["proposals"] and view["twinnings"] == []
    assert view["round"]["status"] == "matching" and view["solver"] == view["run"]["solver"]
    earlier = (await client.get(f"{base}/proposals?run=1", headers=auth)).json()
    assert earlier["run"]["number"] == 1 and earlier["proposals"] == run["proposals"]
    missing = await client.get(f"{base}/proposals?run=9", headers=auth)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"

    before = await OutboxMessage.all().count()
    published = await client.post(f"{base}/publish", json={"run": 2}, headers=auth)
    assert published.status_code == 200, published.text
    result = published.json()
    assert result["emails"] == 10 and len(result["twinnings"]) == 5
    assert {a, b} in [{t["a"]["request_id"], t["b"]["request_id"]} for t in result["twinnings"]]  # the pin
    assert all(t["status"] == "proposed" and t["a_answer"] == "pending" for t in result["twinnings"])
    intros = Counter(m.to_email for m in await OutboxMessage.filter(kind="twinning_intro"))
    assert len(intros) == 10 and set(intros.values()) == {1}  # one email per authority
    assert await OutboxMessage.all().count() == before + 10
    assert "/twinning/requests/" not in published.text

    after = (await client.get(f"{base}/proposals", headers=auth)).json()
    assert len(after["twinnings"]) == 5 and all(p["twinning"]["status"] == "proposed" for p in after["proposals"])
    assert after["round"]["status"] == "published"
    again = await client.post(f"{base}/publish", headers=auth)
    assert again.status_code == 200 and again.json() == {"twinnings": [], "emails": 0}
    counts = (await client.get(base, headers=auth)).json()
    assert counts["runs"] == 2 and counts["twinnings"]["proposed"] == 5


async def test_mentoring_round_pairs_mentors_first_within_capacity(client, auth):
    round_ = (await client.post(BASE, json=round_body(mode="mentoring", title="Mentoring 2027"), headers=auth)).json()
    base = f"{BASE}/{round_['id']}"
    for i in range(8):
        response = await client.post(f"{base}/requests", json=request_body(i, "mentoring"), headers=auth)
        assert response.status_code == 201, response.text
    await close_requests(round_id=round_["id"])
    run = (await client.post(f"{base}/match", json={}, headers=auth)).json()
    assert run["proposals"]
    for proposal in run["proposals"]:
        assert (proposal["a"]["role"], proposal["b"]["role"]) == ("mentor", "mentee")
    mentors = Counter(p["a"]["request_id"] for p in run["proposals"])
    for request_id, taken in mentors.items():
        assert taken <= (await TwinningRequest.get(id=request_id)).capacity


# --- public submission -------------------------------------------------------------------


async def test_public_submission_is_unconfirmed_until_the_emailed_link(client, auth):
    round_ = (await client.post(BASE, json=round_body(), headers=auth)).json()
    path = f"{BASE}/{round_['id']}/requests"
    response = await client.post(path, json=request_body(3))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["created"] is True
    assert body["request"] == {"id": body["request"]["id"], "round_id": round_["id"],
                               "organisation": "Comune di Torino", "status": "unconfirmed"}
    email = "contact3@authority3.example"
    token = await token_for(email, "twinning_confirm")
    assert token not in response.text and "/twinning/requests/" not in response.text
    assert (await TwinningRequest.get(id=body["request"]["id"])).status == RequestStatus.UNCONFIRMED

    # the same person again before confirming: the newer submission replaces it, a new link by email
    again = await client.post(path, json=request_body(3, motivation="Changed my mind"))
    assert again.status_code == 200 and again.json()["created"] is False
    assert again.json()["request"]["id"] == body["request"]["id"]
    fresh = await token_for(email, "twinning_confirm")
    assert fresh != token and fresh not in again.text and "Changed" not in again.text
    token = fresh
    confirmed = await confirm_request(token=token)
    # somebody else of the same authority once it is confirmed: the same public answer, an email
    # tells them a colleague asked already, nothing else changes
    before = await snapshot()
    other = await client.post(path, json=request_body(3, contact_email="someone.else@authority3.example"))
    assert other.status_code == 200 and other.json()["created"] is False
    assert await OutboxMessage.filter(kind="twinning_taken", to_email="someone.else@authority3.example").count() == 1
    changed = await snapshot()
    assert {k: v for k, v in changed.items() if k != "outbox_message"} == \
        {k: v for k, v in before.items() if k != "outbox_message"}

    assert confirmed.status == RequestStatus.CONFIRMED
    listed = (await client.get(path, headers=auth)).json()["items"]
    assert [(r["status"], r["contact"]["email"]) for r in listed] == [("confirmed", email)]


async def test_public_submissions_are_rate_limited_per_address(client, auth, app):
    round_ = (await client.post(BASE, json=round_body(), headers=auth)).json()
    path = f"{BASE}/{round_['id']}/requests"
    app.state.limiter = RateLimiter(RateLimit(count=1, seconds=60))  # weight 10: ten tries a minute
    for _ in range(10):
        assert (await client.post(path, json={"role": "peer"})).status_code == 422
    limited = await client.post(path, json=request_body(1))
    assert limited.status_code == 429 and limited.json()["error"]["code"] == "rate_limited"
    assert await TwinningRequest.all().count() == 0
    entered = await client.post(path, json=request_body(1), headers=auth)  # organisers are not limited
    assert entered.status_code == 201


# --- bad input: a clear 4xx, nothing written (acceptance 5) ------------------------------


@dataclass
class World:
    headers: dict[str, dict[str, str]]
    rounds: dict[str, int]
    requests: dict[str, int]


@pytest.fixture
async def world(api_token) -> World:
    """An open peer round, an open mentoring round, and two peer rounds past their deadline.

    ``closed`` holds three ordinary requests plus one that works only in Finnish and one only
    in Portuguese (they cannot be paired); ``other`` holds two requests of its own.
    """
    headers = {"organiser": bearer(await api_token(Role.ORGANISER)), "checkin": bearer(await api_token(Role.CHECKIN)),
               "none": {}}
    deadline = utcnow() + timedelta(days=10)
    rounds, requests = {}, {}
    for name, mode in (("open", "peer"), ("mentoring", "mentoring"), ("closed", "peer"), ("other", "peer")):
        data = RoundInput(title=f"Round {name}", mode=mode, deadline=deadline)
        rounds[name] = (await create_round(data=data, actor=None)).id
    for key, i, changes in (("r0", 0, {}), ("r1", 1, {}), ("r2", 2, {}),
                            ("fi", 6, {"languages": ["fi"]}), ("pt", 5, {"languages": ["pt"]})):
        submitted = await submit_request(round_id=rounds["closed"], data=request_data(i, **changes), confirmed=True)
        requests[key] = submitted.request.id
    for key, i in (("o0", 7), ("o1", 8)):
        submitted = await submit_request(round_id=rounds["other"], data=request_data(i), confirmed=True)
        requests[key] = submitted.request.id
    for name in ("closed", "other"):
        await close_requests(round_id=rounds[name])
    return World(headers, rounds, requests)


Body = dict[str, Any] | list[Any] | bytes | Callable[[World], Any] | None
PAST = (utcnow() - timedelta(days=1)).isoformat()


@dataclass
class Bad:
    case: str
    method: str
    path: str  # {open}, {mentoring}, {closed}, {other}: round ids; {missing}: no such round
    body: Body
    status: int
    code: str
    field: str | None = None
    who: str = "organiser"
    content_type: str = "application/json"


def pins(pinned: list[tuple[str, str]], forbidden: list[tuple[str, str]] | None = None) -> Callable[[World], Any]:
    def build(w: World) -> dict[str, Any]:
        body: dict[str, Any] = {"pinned": [[w.requests.get(a, 999_999), w.requests.get(b, 999_999)]
                                           for a, b in pinned]}
        if forbidden is not None:
            body["forbidden"] = [[w.requests[a], w.requests[b]] for a, b in forbidden]
        return body
    return build


ROUNDS, OPEN = "/api/v1/twinning/rounds", "/api/v1/twinning/rounds/{open}"
CLOSED, MENTORING = "/api/v1/twinning/rounds/{closed}", "/api/v1/twinning/rounds/{mentoring}"

BAD: list[Bad] = [
    # creating a round
    Bad("malformed JSON", "POST", ROUNDS, b'{"title": "Twinning", "mode":', 400, "invalid_json"),
    Bad("not a JSON object", "POST", ROUNDS, [round_body()], 400, "invalid_json"),
    Bad("wrong content type", "POST", ROUNDS, b"title=Twinning&mode=peer", 415, "unsupported_media_type",
        content_type="application/x-www-form-urlencoded"),
    Bad("unknown mode", "POST", ROUNDS, round_body(mode="speed-dating"), 422, "validation_error", "mode"),
    Bad("deadline in the past", "POST", ROUNDS, round_body(deadline=PAST), 422, "validation_error", "deadline"),
    Bad("deadline without offset", "POST", ROUNDS, round_body(deadline="2031-05-01T12:00:00"), 422,
        "validation_error", "deadline"),
    Bad("unknown weight", "POST", ROUNDS, round_body(weights={"beauty": 1}), 422, "validation_error", "weights"),
    Bad("unknown round field", "POST", ROUNDS, round_body(colour="green"), 422, "validation_error", "colour"),
    Bad("no title", "POST", ROUNDS, round_body(title="  "), 422, "validation_error", "title"),
    # submitting a request
    Bad("unknown role", "POST", OPEN + "/requests", request_body(0, role="boss"), 422, "validation_error", "role"),
    Bad("mentor in a peer round", "POST", OPEN + "/requests", request_body(0, role="mentor"), 422,
        "validation_error", "role"),
    Bad("peer in a mentoring round", "POST", MENTORING + "/requests", request_body(0, role="peer"), 422,
        "validation_error", "role"),
    Bad("capacity 0", "POST", MENTORING + "/requests", request_body(0, "mentoring", capacity=0), 422,
        "validation_error", "capacity"),
    Bad("capacity 11", "POST", MENTORING + "/requests", request_body(0, "mentoring", capacity=11), 422,
        "validation_error", "capacity"),
    Bad("capacity 2 for a mentee", "POST", MENTORING + "/requests", request_body(1, "mentoring", capacity=2), 422,
        "validation_error", "capacity"),
    Bad("negative size", "POST", OPEN + "/requests", request_body(0, size=-5), 422, "validation_error", "size"),
    Bad("unknown topic slug offered", "POST", OPEN + "/requests", request_body(0, offers={"space-travel": 2}),
        422, "validation_error", "offers"),
    Bad("unknown topic slug sought", "POST", OPEN + "/requests", request_body(0, seeks=["space-travel"]), 422,
        "validation_error", "seeks"),
    Bad("unknown interest group", "POST", OPEN + "/requests", request_body(0, interest_groups=["chess"]), 422,
        "validation_error", "interest_groups"),
    Bad("maturity 4", "POST", OPEN + "/requests", request_body(0, offers={"food": 4}), 422, "validation_error",
        "offers.food"),
    Bad("no topic at all", "POST", OPEN + "/requests", request_body(0, offers={}, seeks=[]), 422,
        "validation_error", "seeks"),
    Bad("bad language code", "POST", OPEN + "/requests", request_body(0, languages=["english"]), 422,
        "validation_error", "languages"),
    Bad("no language", "POST", OPEN + "/requests", request_body(0, languages=[]), 422, "validation_error",
        "languages"),
    Bad("bad country", "POST", OPEN + "/requests", request_body(0, country="Belgium"), 422, "validation_error",
        "country"),
    Bad("bad email", "POST", OPEN + "/requests", request_body(0, contact_email="not-an-email"), 422,
        "validation_error", "contact_email"),
    Bad("size as text", "POST", OPEN + "/requests", request_body(0, size="big"), 422, "validation_error", "size"),
    Bad("public: bad email", "POST", OPEN + "/requests", request_body(0, contact_email="x@"), 422,
        "validation_error", "contact_email", who="none"),
    Bad("public: malformed JSON", "POST", OPEN + "/requests", b'{"organisation": ', 400, "invalid_json",
        who="none"),
    Bad("after the deadline", "POST", CLOSED + "/requests", request_body(9), 409, "conflict", who="none"),
    # unknown rounds
    Bad("unknown round: request", "POST", ROUNDS + "/{missing}/requests", request_body(0), 404, "not_found",
        who="none"),
    Bad("unknown round: get", "GET", ROUNDS + "/{missing}", None, 404, "not_found"),
    Bad("unknown round: requests", "GET", ROUNDS + "/{missing}/requests", None, 404, "not_found"),
    Bad("unknown round: match", "POST", ROUNDS + "/{missing}/match", {}, 404, "not_found"),
    Bad("unknown round: proposals", "GET", ROUNDS + "/{missing}/proposals", None, 404, "not_found"),
    Bad("unknown round: publish", "POST", ROUNDS + "/{missing}/publish", None, 404, "not_found"),
    Bad("round id past the column", "GET", ROUNDS + "/2147483648", None, 404, "not_found"),
    Bad("round id not a number", "GET", ROUNDS + "/first", None, 404, "not_found"),
    # matching
    Bad("match before the deadline", "POST", OPEN + "/match", {}, 409, "conflict"),
    Bad("match: malformed JSON", "POST", CLOSED + "/match", b'{"stable": tru', 400, "invalid_json"),
    Bad("match: wrong content type", "POST", CLOSED + "/match", b"stable=1", 415, "unsupported_media_type",
        content_type="text/plain"),
    Bad("match: unknown field", "POST", CLOSED + "/match", {"pins": []}, 422, "validation_error", "pins"),
    Bad("pin an unknown request id", "POST", CLOSED + "/match", pins([("r0", "nobody")]), 422,
        "validation_error", "pinned[0]"),
    Bad("pin a request of another round", "POST", CLOSED + "/match", pins([("r0", "o0")]), 422,
        "validation_error", "pinned[0]"),
    Bad("pin a request with itself", "POST", CLOSED + "/match", pins([("r0", "r0")]), 422, "validation_error",
        "pinned[0]"),
    Bad("pinned and forbidden", "POST", CLOSED + "/match", pins([("r0", "r1")], [("r1", "r0")]), 422,
        "validation_error", "pinned"),
    Bad("infeasible pin (no shared language)", "POST", CLOSED + "/match", pins([("fi", "pt")]), 422,
        "validation_error", "pinned"),
    Bad("pin not a pair", "POST", CLOSED + "/match", lambda w: {"pinned": [[w.requests["r0"]]]}, 422,
        "validation_error", "pinned.0.1"),
    Bad("stable mode before any ranking", "POST", CLOSED + "/match", {"stable": True}, 409, "conflict"),
    # proposals and publishing
    Bad("proposals of run 0", "GET", CLOSED + "/proposals?run=0", None, 422, "validation_error", "run"),
    Bad("proposals of run 'last'", "GET", CLOSED + "/proposals?run=last", None, 422, "validation_error", "run"),
    Bad("proposals of a run that does not exist", "GET", CLOSED + "/proposals?run=3", None, 404, "not_found"),
    Bad("publish before any run", "POST", CLOSED + "/publish", None, 409, "conflict"),
    Bad("publish before the deadline", "POST", OPEN + "/publish", {}, 409, "conflict"),
    Bad("publish a run that does not exist", "POST", CLOSED + "/publish", {"run": 4}, 404, "not_found"),
    Bad("publish run 0", "POST", CLOSED + "/publish", {"run": 0}, 422, "validation_error", "run"),
    # who may ask
    *[Bad(f"no token: {m} {p.rsplit('/', 1)[-1]}", m, p, b, 401, "unauthorized", who="none")
      for m, p, b in (("GET", ROUNDS, None), ("POST", ROUNDS, round_body()), ("GET", CLOSED, None),
                      ("GET", CLOSED + "/requests", None), ("POST", CLOSED + "/match", {}),
                      ("GET", CLOSED + "/proposals", None), ("POST", CLOSED + "/publish", None))],
    *[Bad(f"check-in token: {m} {p.rsplit('/', 1)[-1]}", m, p, b, 403, "forbidden", who="checkin")
      for m, p, b in (("GET", ROUNDS, None), ("POST", ROUNDS, round_body()), ("GET", CLOSED, None),
                      ("POST", OPEN + "/requests", request_body(0)), ("GET", CLOSED + "/requests", None),
                      ("POST", CLOSED + "/match", {}), ("GET", CLOSED + "/proposals", None),
                      ("POST", CLOSED + "/publish", None))],
    Bad("wrong token on a submission", "POST", OPEN + "/requests", request_body(0), 401, "unauthorized",
        who="wrong"),
]


@pytest.mark.parametrize("bad", BAD, ids=[b.case for b in BAD])
async def test_bad_input_is_a_clear_4xx_and_writes_nothing(client, world: World, bad: Bad):
    path = bad.path.format(missing=999_999, **world.rounds)
    headers = dict(bearer("ea_" + "A" * 43) if bad.who == "wrong" else world.headers[bad.who])
    body = bad.body(world) if callable(bad.body) else bad.body
    kwargs: dict[str, Any] = {}
    if isinstance(body, bytes):
        kwargs["content"] = body
        headers["Content-Type"] = bad.content_type
    elif body is not None:
        kwargs["json"] = body
    before = await snapshot()
    response = await client.request(bad.method, path, headers=headers, **kwargs)
    assert response.status_code == bad.status, response.text
    error = response.json()["error"]
    assert error["code"] == bad.code and error["message"]
    if bad.field is not None:
        assert bad.field in error["fields"], error
    assert "Contact " not in response.text  # no request's data in a refusal
    assert await snapshot() == before


async def test_a_failed_run_keeps_the_earlier_pins(client, world: World):
    auth = world.headers["organiser"]
    base = f"{BASE}/{world.rounds['closed']}"
    r0, r1, fi, pt = (world.requests[k] for k in ("r0", "r1", "fi", "pt"))
    ok = await client.post(f"{base}/match", json={"pinned": [[r0, r1]]}, headers=auth)
    assert ok.status_code == 201, ok.text
    before = await snapshot()
    refused = await client.post(f"{base}/match", json={"pinned": [[fi, pt]], "forbidden": [[r0, r1]]}, headers=auth)
    assert refused.status_code == 422 and "pinned" in refused.json()["error"]["fields"]
    assert str(fi) in refused.json()["error"]["message"] and str(pt) in refused.json()["error"]["message"]
    assert await snapshot() == before
    round_ = await TwinningRound.get(id=world.rounds["closed"])
    assert (round_.pinned, round_.forbidden) == ([[r0, r1]], [])
    assert await MatchRun.all().count() == 1 and await Twinning.all().count() == 0
