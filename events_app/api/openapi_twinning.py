"""The twinning programme's part of the OpenAPI document, merged by :func:`merge_twinning`.

Request bodies are the input schemas the routes validate with, responses the models in
``twinning_serializers.py``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from events_app.api.openapi import (
    ANYONE_OR_ORGANISER,
    JSON,
    ORGANISER,
    REF,
    _body,
    _ok,
    _ref,
    _responses,
)
from events_app.api.serializers import ErrorOut
from events_app.api.twinning_serializers import (
    ProposalsOut,
    ProposalsQuery,
    PublishInput,
    PublishResult,
    RequestList,
    RoundList,
    RoundSummaryOut,
    RunResult,
    SubmitResult,
)
from events_app.twinning.schemas import MatchInput, RequestInput, RoundInput

REQUEST_MODELS: list[type[BaseModel]] = [RoundInput, RequestInput, MatchInput, PublishInput]
RESPONSE_MODELS: list[type[BaseModel]] = [
    RoundSummaryOut, RoundList, SubmitResult, RequestList, RunResult, ProposalsOut, PublishResult,
]

BASE = "/api/v1/twinning/rounds"
_ROUND_ID = {
    "name": "id", "in": "path", "required": True, "description": "The twinning round's id",
    "schema": {"type": "integer", "minimum": 1},
}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": _ref(ErrorOut)}}}


_NOT_FOUND = _error("No such twinning round (or run) (code `not_found`).")
_WRITE = ("400", "413", "415", "422")


def _organiser(ok: dict[str, Any], *codes: str, conflict: str | None = None, found: bool = True) -> dict[str, Any]:
    out = _responses(ok, "401", "403", *codes)
    if found:
        out["404"] = _NOT_FOUND
    if conflict:
        out["409"] = _error(conflict)
    return out


def _optional_body(model: type[BaseModel], description: str) -> dict[str, Any]:
    return {**_body(model, description + " The body may be left out (no Content-Type, no bytes)."), "required": False}


def _run_query() -> list[dict[str, Any]]:
    schema = ProposalsQuery.model_json_schema(ref_template=REF)["properties"]["run"]
    return [{"name": "run", "in": "query", "required": False,
             "description": "The run's number (the latest when left out)", "schema": schema}]


def _paths() -> dict[str, Any]:
    round_ok = _ok("The round with its counts", RoundSummaryOut)
    return {
        BASE: {
            "get": {
                "operationId": "listTwinningRounds", "summary": "Every twinning round, latest deadline first",
                "security": ORGANISER,
                "responses": _organiser({"200": _ok("The rounds", RoundList)}, found=False),
            },
            "post": {
                "operationId": "createTwinningRound",
                "summary": "Open a twinning round for requests until its deadline",
                "security": ORGANISER,
                "requestBody": _body(RoundInput, "The deadline (ISO 8601 with an offset) must be in the future"),
                "responses": _organiser({"201": _ok("The new round", RoundSummaryOut)}, *_WRITE, found=False),
            },
        },
        f"{BASE}/{{id}}": {
            "parameters": [_ROUND_ID],
            "get": {
                "operationId": "getTwinningRound", "summary": "One round with its counts of requests, runs and "
                "twinnings", "security": ORGANISER,
                "responses": _organiser({"200": round_ok}),
            },
        },
        f"{BASE}/{{id}}/requests": {
            "parameters": [_ROUND_ID],
            "post": {
                "operationId": "submitTwinningRequest",
                "summary": "Submit an authority's request: confirmed at once with an organiser's token, else "
                "confirmed from the emailed link",
                "description": (
                    "Without a token this is the public form: the contact person gets an email with a private "
                    "link to confirm, change or withdraw the request, and the answer is only a receipt. "
                    "An authority has one request per round: submitting again by the same person emails a "
                    "fresh link (200, `created` false); by another person it is a 409. "
                    "Public submissions are rate-limited per client address."
                ),
                "security": ANYONE_OR_ORGANISER,
                "requestBody": _body(RequestInput, "Topic and interest-group slugs from the network's lists"),
                "responses": {
                    **_responses(
                        {
                            "201": _ok("The request is in", SubmitResult),
                            "200": _ok("The authority had a request already: a fresh link was emailed",
                                       SubmitResult),
                        },
                        "400", "401", "403", "413", "415", "422", "429",
                    ),
                    "404": _NOT_FOUND,
                    "409": _error("The deadline has passed, or another person of this authority made its "
                                  "request (code `conflict`)."),
                },
            },
            "get": {
                "operationId": "listTwinningRequests", "summary": "The round's requests, by id",
                "security": ORGANISER,
                "responses": _organiser({"200": _ok("The requests", RequestList)}),
            },
        },
        f"{BASE}/{{id}}/match": {
            "parameters": [_ROUND_ID],
            "post": {
                "operationId": "runTwinningMatch",
                "summary": "Run the matching on the round's free confirmed requests and keep the run",
                "description": (
                    "`pinned` and `forbidden` (pairs of request ids) replace the round's lists when given; "
                    "they are saved only when the run succeeds. A pin that cannot be kept (no shared "
                    "language, a capacity, ...) is a 422 naming `pinned`, and nothing is stored."
                ),
                "security": ORGANISER,
                "requestBody": _optional_body(MatchInput, "stable: rank-based stable mode."),
                "responses": _organiser(
                    {"201": _ok("The run with its proposals", RunResult)}, *_WRITE,
                    conflict="The round still takes requests, is closed, or (stable mode) nobody ranked a "
                    "shortlist (code `conflict`).",
                ),
            },
        },
        f"{BASE}/{{id}}/proposals": {
            "parameters": [_ROUND_ID],
            "get": {
                "operationId": "getTwinningProposals",
                "summary": "A run's pairs with their explanations, the unpaired and why, and the round's twinnings",
                "security": ORGANISER,
                "parameters": _run_query(),
                "responses": _organiser({"200": _ok("The proposals", ProposalsOut)}, "422"),
            },
        },
        f"{BASE}/{{id}}/publish": {
            "parameters": [_ROUND_ID],
            "post": {
                "operationId": "publishTwinningRun",
                "summary": "Turn a run's pairs into twinnings and email each authority one introduction",
                "description": "Pairs whose requests are taken already are skipped: publishing twice sends nothing "
                "the second time.",
                "security": ORGANISER,
                "requestBody": _optional_body(PublishInput, "run: the run's number, the latest when left out."),
                "responses": _organiser(
                    {"200": _ok("What was published", PublishResult)}, *_WRITE,
                    conflict="Nothing was run yet, or the round still takes requests or is closed "
                    "(code `conflict`).",
                ),
            },
        },
    }


def merge_twinning(document: dict[str, Any]) -> None:
    """Add the twinning paths and component schemas to ``document`` (in place)."""
    document["paths"].update(_paths())
    schemas = document["components"]["schemas"]
    models = [(m, "validation") for m in REQUEST_MODELS] + [(m, "serialization") for m in RESPONSE_MODELS]
    for model, mode in models:
        schema = model.model_json_schema(ref_template=REF, mode=mode)  # type: ignore[arg-type]
        for name, sub in [*schema.pop("$defs", {}).items(), (model.__name__, schema)]:
            if name in schemas and schemas[name] != sub:
                raise RuntimeError(f"two different schemas are called {name}")
            schemas[name] = sub

